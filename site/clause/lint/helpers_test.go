package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/site/clause"
)

// edit changes one file of the fixture library testdata/lib: old is
// replaced by new (every occurrence when all is set); an empty old
// replaces the whole file.
type edit struct {
	file, old, new string
}

// both applies the same edit to the English and Dutch file of a clause.
func both(path, old, new string) []edit {
	return []edit{{file: "clauses/en/" + path, old: old, new: new}, {file: "clauses/nl/" + path, old: old, new: new}}
}

func fixture(t testing.TB, edits ...edit) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/lib")); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		path := filepath.Join(dir, e.file)
		data, _ := os.ReadFile(path)
		s := string(data)
		switch {
		case e.old == "":
			s = e.new
		case !strings.Contains(s, e.old):
			t.Fatalf("fixture %s does not contain %q", e.file, e.old)
		default:
			s = strings.Replace(s, e.old, e.new, 1)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t testing.TB, dir string) *clause.Library {
	t.Helper()
	l, err := clause.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func checkDir(t testing.TB, dir string) []clause.Finding {
	t.Helper()
	ps, unparsed, err := clause.LoadProfiles(dir, nil)
	if err != nil || len(unparsed) > 0 {
		t.Fatalf("profiles: %v %v", err, unparsed)
	}
	return Check(load(t, dir), ps)
}

func withRule(fs []clause.Finding, rule string) []clause.Finding {
	var out []clause.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func errorsIn(fs []clause.Finding) []clause.Finding {
	var out []clause.Finding
	for _, f := range fs {
		if f.Severity == clause.SeverityError {
			out = append(out, f)
		}
	}
	return out
}

func dump(fs []clause.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

const (
	em2en   = "clauses/en/EM-2-v1.0.0.md"
	em2nl   = "clauses/nl/EM-2-v1.0.0.md"
	em3en   = "clauses/en/EM-3-v1.0.0.md"
	em3nl   = "clauses/nl/EM-3-v1.0.0.md"
	bank    = "profiles/bank.yaml"
	oblFile = "obligations.yaml"
)
