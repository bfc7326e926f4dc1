package pin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/site/clause"
)

func TestPinRewritesTheProfileKeepingItsComments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bank.yaml")
	src := "# The customer's deal.\nlang: en   # English module\neffective: 2027-02-01\nclauses:\n  - EM-1 # definitions\n  - EM-2\nvalues:\n  # agreed on the phone\n  notice_period_days: 30\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	changed, err := Write(path, []Version{{"EM-1", "1.0.0"}, {"EM-2", "1.1.0"}})
	if err != nil || !changed {
		t.Fatalf("Write: %v, %v", changed, err)
	}
	got, _ := os.ReadFile(path)
	for _, want := range []string{"# The customer's deal.\n", "lang: en # English module\n", "  EM-1: 1.0.0 # definitions\n", "  EM-2: 1.1.0\n", "  # agreed on the phone\n"} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("pinned profile lacks %q:\n%s", want, got)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the original 0600", st.Mode().Perm())
	}
	p, err := clause.LoadProfile(path)
	if err != nil || !p.Pinned() || p.Pins["EM-2"] != "1.1.0" || strings.Join(p.Clauses, ",") != "EM-1,EM-2" {
		t.Fatalf("reloaded: %+v, %v", p, err)
	}
	if changed, err := Write(path, []Version{{"EM-1", "1.0.0"}, {"EM-2", "1.1.0"}}); err != nil || changed {
		t.Errorf("pinning again: changed %v, %v", changed, err)
	}

	// A profile without clauses: gets them before values:, with a comment.
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("lang: nl\nvalues:\n  x: 1\n"), 0o644)
	if _, err := Write(plain, []Version{{"EM-1", "1.0.0"}}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(plain)
	if !strings.HasPrefix(string(got), "lang: nl\n# Clause versions agreed") || !strings.Contains(string(got), "clauses:\n  EM-1: 1.0.0\nvalues:\n") {
		t.Errorf("pinned plain profile:\n%s", got)
	}

	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(path, link); err == nil {
		if _, err := Write(link, nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("pinning through a symlink: %v", err)
		}
	}
}
