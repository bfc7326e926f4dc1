// Package golden holds the one -update flag of exitkit's tests and the
// comparison every golden test makes with it.
//
// `go test ./... -update` must work in every package, and the go tool hands
// the flag to each test binary, so every test package imports this one, even
// where it has no golden files (a blank import is enough):
//
//	import _ "github.com/exitkit/exitkit/internal/golden"
//
// Files live under the test's testdata/golden; Check compares with them, or
// rewrites them when -update is given.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/internal/fsx"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// Update reports whether the test run was asked to rewrite golden files.
func Update() bool { return *update }

// Path returns the path of the golden file name: testdata/golden/name.
func Path(name string) string { return filepath.Join("testdata", "golden", name) }

// Check compares got with testdata/golden/name, or rewrites the file when
// -update is given.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(name)
	if *update {
		if err := fsx.ReplaceFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run '%s' -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test -run '%s' -update and review the diff", name, t.Name())
	}
}
