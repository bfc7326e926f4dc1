package clause

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// edit changes one file of the fixture library testdata/lib: old is
// replaced by new; an empty old replaces the whole file; remove deletes it.
type edit struct {
	file, old, new string
	remove         bool
}

// fixture copies testdata/lib to a temporary folder, applies the edits and
// returns the folder.
func fixture(t testing.TB, edits ...edit) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/lib")); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		path := filepath.Join(dir, e.file)
		if e.remove {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			continue
		}
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

func load(t testing.TB, dir string) *Library {
	t.Helper()
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func profiles(t testing.TB, dir string) []*Profile {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "profiles", "*.yaml"))
	var out []*Profile
	for _, p := range paths {
		pr, err := LoadProfile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pr)
	}
	return out
}

// checkDir loads dir and its profiles and runs Validate.
func checkDir(t testing.TB, dir string) []Finding {
	t.Helper()
	return Validate(load(t, dir), profiles(t, dir))
}

func withRule(fs []Finding, rule string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func errorsIn(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == SeverityError {
			out = append(out, f)
		}
	}
	return out
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

const (
	em1en   = "clauses/en/EM-1-v1.0.0.md"
	em1nl   = "clauses/nl/EM-1-v1.0.0.md"
	em2en   = "clauses/en/EM-2-v1.0.0.md"
	em2nl   = "clauses/nl/EM-2-v1.0.0.md"
	bank    = "profiles/bank.yaml"
	oblFile = "obligations.yaml"
)

func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	return string(data), err
}
