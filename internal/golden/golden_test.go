package golden

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEveryTestPackageTakesTheFlag keeps `go test ./... -update` working:
// a test package that does not import this one fails on the unknown flag.
func TestEveryTestPackageTakesTheFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("lists every package of the module")
	}
	const self = "github.com/exitkit/exitkit/internal/golden"
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}} {{if or .TestGoFiles .XTestGoFiles}}tests{{end}} {{join .TestImports ","}},{{join .XTestImports ","}}`,
		"github.com/exitkit/exitkit/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "tests" || f[0] == self {
			continue
		}
		if !strings.Contains(","+f[2]+",", ","+self+",") {
			t.Errorf("%s has tests but does not import %s, so go test ./... -update fails there; add a blank import to one of its test files", f[0], self)
		}
	}
}
