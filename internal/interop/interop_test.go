package interop

import (
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestMissingToolsAreNamedWithTheirDebianPackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(RequireEnv, "")
	lines := missing([]string{"chromium", "pdftoppm"})
	if len(lines) != 2 || !strings.Contains(lines[0], "chromium not found") || !strings.Contains(lines[0], "skip") ||
		!strings.Contains(lines[1], "Debian package poppler-utils") {
		t.Errorf("missing = %q", lines)
	}
	t.Setenv(RequireEnv, "1")
	if lines := missing([]string{"pandoc"}); len(lines) != 1 || !strings.Contains(lines[0], "fail ("+RequireEnv+"=1)") {
		t.Errorf("missing with interop required = %q", lines)
	}
}
