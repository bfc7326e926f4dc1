package terms_test

import (
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestMain says up front when the OpenSSH interop tests will skip.
func TestMain(m *testing.M) { interop.Main(m, "ssh-keygen") }
