package printer

import (
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestMain says up front when the print tests will skip.
func TestMain(m *testing.M) {
	interop.Main(m, "chromium", "pandoc", "pdfinfo", "pdftotext", "pdffonts")
}
