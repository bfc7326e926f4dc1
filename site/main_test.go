package site

import (
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestMain says up front when the browser tests will skip.
func TestMain(m *testing.M) { interop.Main(m, "chromium", "pdftoppm", "pdfinfo") }
