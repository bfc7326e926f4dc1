//go:build !trustee

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/demo"
)

// assertDemoFolder checks the layout the quick start promises, and that
// its bundle verifies when a trustee runs verify on it.
func assertDemoFolder(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"keys/signing-key", "keys/signing-key.pub", "keys/age-identity.txt", "bundle/index.html"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			t.Error(err)
		}
	}
	var vms []string
	entries, _ := os.ReadDir(filepath.Join(dir, "bundle", "data", "vms"))
	for _, e := range entries {
		vms = append(vms, e.Name())
	}
	if !slices.Equal(vms, []string{"db", "mail", "web"}) {
		t.Errorf("bundle/data/vms holds %v, want the VMs db, mail, web", vms)
	}
	code, out, errOut := runExitbundle(t, "verify", filepath.Join(dir, "bundle"), "--identity", filepath.Join(dir, "keys", "age-identity.txt"))
	if code != 0 {
		t.Errorf("verify exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestDemoRunsTwiceIntoTheSameFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		dir  string // relative to the working folder
	}{
		{"the default folder", nil, demo.DefaultDir},
		{"a folder given with --out", []string{"--out", "mine/exit-demo"}, "mine/exit-demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			args := append([]string{"demo"}, tc.args...)
			for run := 1; run <= 2; run++ {
				code, out, errOut := runExitbundle(t, args...)
				if code != 0 {
					t.Fatalf("run %d: exit %d\n%s\n%s", run, code, out, errOut)
				}
				if run == 2 && !strings.Contains(errOut, "replacing the earlier demo in "+tc.dir) {
					t.Errorf("the rerun did not say it replaces the earlier demo:\n%s", errOut)
				}
				assertDemoFolder(t, tc.dir)
			}
		})
	}
}

func TestDemoRefusesAFolderItDidNotWriteWithExit2(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, out, errOut := runExitbundle(t, "demo", "--out", "d"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	os.WriteFile(filepath.Join("d", "notes.txt"), []byte("mine"), 0o600)
	code, _, errOut := runExitbundle(t, "demo", "--out", "d")
	if code != 2 || !strings.Contains(errOut, `"notes.txt"`) {
		t.Errorf("exit %d, want 2 naming notes.txt:\n%s", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join("d", "notes.txt")); string(got) != "mine" {
		t.Errorf("the user's file is now %q", got)
	}
	assertDemoFolder(t, "d")

	os.MkdirAll("theirs", 0o755)
	os.WriteFile(filepath.Join("theirs", "report.pdf"), []byte("%PDF"), 0o600)
	code, _, errOut = runExitbundle(t, "demo", "--out", "theirs")
	if code != 2 || !strings.Contains(errOut, "recognised by its "+demo.MarkerFile+" marker") {
		t.Errorf("a folder without the marker: exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir("theirs"); len(entries) != 1 {
		t.Errorf("the demo wrote into a folder without its marker: %v", entries)
	}
}
