package main

import (
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestMain says up front when the interop tests will skip.
func TestMain(m *testing.M) { interop.Main(m, "ssh-keygen", "chromium", "pandoc") }
