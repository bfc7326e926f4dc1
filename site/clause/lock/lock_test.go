package lock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/site/clause"
)

const (
	fixtureDir = "../testdata/lib"
	em1nl      = "clauses/nl/EM-1-v1.0.0.md"
	em2en      = "clauses/en/EM-2-v1.0.0.md"
	em2nl      = "clauses/nl/EM-2-v1.0.0.md"
)

type edit struct {
	file, old, new string
	remove         bool
}

// fixture copies the clause package's fixture library to a temporary folder.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixtureDir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func load(t *testing.T, dir string) *clause.Library {
	t.Helper()
	l, err := clause.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
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

func dump(fs []clause.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func TestLockFindsChangedRemovedAndUnlockedVersions(t *testing.T) {
	locked := func(t *testing.T, edits ...edit) string {
		dir := fixture(t)
		if n, err := Write(load(t, dir)); err != nil || n != 4 {
			t.Fatalf("Write: %d, %v", n, err)
		}
		for _, e := range edits {
			path := filepath.Join(dir, e.file)
			if e.remove {
				os.Remove(path)
				continue
			}
			data, _ := os.ReadFile(path)
			s := string(data)
			if e.old == "" {
				s = e.new
			} else {
				s = strings.Replace(s, e.old, e.new, 1)
			}
			os.WriteFile(path, []byte(s), 0o644)
		}
		return dir
	}
	v2 := func() string {
		data, _ := os.ReadFile(filepath.Join(fixtureDir, em2en))
		return strings.Replace(strings.Replace(string(data), "version: 1.0.0", "version: 2.0.0", 1), "2.1 ", "2.1 New: ", 1)
	}()
	tests := []struct {
		name     string
		edits    []edit
		code     string
		severity string
		file     string
		want     string
	}{
		{"an edited published version is an error at its file", []edit{{file: em2en, old: "2.1 Notice", new: "2.1 The notice"}},
			CodeLockChanged, clause.SeverityError, em2en, "publish the change as a new version"},
		{"a changed parameter default changes the text too", []edit{{file: em2en, old: "default: 60", new: "default: 90"}},
			CodeLockChanged, clause.SeverityError, em2en, "EM-2 version 1.0.0 (en) is published and locked"},
		{"a new published version not yet locked is a warning", []edit{{file: "clauses/en/EM-2-v2.0.0.md", new: v2}},
			CodeNotLocked, clause.SeverityWarning, "clauses/en/EM-2-v2.0.0.md", "check --write-lock"},
		{"a removed published version is an error in the lock", []edit{{file: em2nl, remove: true}},
			CodeLockMissing, clause.SeverityError, File, "EM-2 version 1.0.0 (nl) was published and no longer exists"},
		{"a published version made a draft is an error", []edit{{file: em1nl, old: "status: published", new: "status: draft"}},
			CodeLockMissing, clause.SeverityError, File, "is now a draft"},
		{"a garbled lock line is an error", []edit{{file: File, old: "EM-1 1.0.0 en sha256:", new: "EM-1 1.0.0 en md5:"}},
			CodeLockSyntax, clause.SeverityError, File, "is not a sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := locked(t, tc.edits...)
			fs := withRule(Verify(load(t, dir)), tc.code)
			if len(fs) != 1 || fs[0].Severity != tc.severity || !strings.HasSuffix(fs[0].File, tc.file) || !strings.Contains(fs[0].Message+fs[0].Hint, tc.want) {
				t.Fatalf("%s findings:\n%s", tc.code, dump(fs))
			}
		})
	}
	t.Run("without a lock one warning says how to write it", func(t *testing.T) {
		fs := withRule(Verify(load(t, fixture(t))), CodeNotLocked)
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "4 published clause versions are not locked") {
			t.Fatalf("findings:\n%s", dump(fs))
		}
	})
	t.Run("Write adds new versions and never rewrites a locked line", func(t *testing.T) {
		dir := locked(t, edit{file: em2en, old: "2.1 Notice", new: "2.1 The notice"}, edit{file: "clauses/en/EM-2-v2.0.0.md", new: v2})
		before, _ := os.ReadFile(filepath.Join(dir, File))
		n, err := Write(load(t, dir))
		if err != nil || n != 1 {
			t.Fatalf("Write: %d, %v", n, err)
		}
		after, _ := os.ReadFile(filepath.Join(dir, File))
		for _, line := range strings.Split(string(before), "\n") {
			if !strings.Contains(string(after), line+"\n") {
				t.Errorf("line %q was rewritten", line)
			}
		}
		if !strings.Contains(string(after), "EM-2 2.0.0 en sha256:") {
			t.Errorf("EM-2 2.0.0 not added:\n%s", after)
		}
		if fs := withRule(Verify(load(t, dir)), CodeLockChanged); len(fs) != 1 {
			t.Errorf("the edited version is still an error after Write:\n%s", dump(fs))
		}
	})
	t.Run("the lock is sorted as people read ids", func(t *testing.T) {
		es, fs := Parse("x", strings.NewReader("EM-10 1.0.0 en sha256:"+strings.Repeat("a", 64)+"\nEM-2 1.0.0 en sha256:"+strings.Repeat("b", 64)+"\n"))
		sortEntries(es)
		if len(fs) != 0 || es[0].ID != "EM-2" {
			t.Fatalf("%v %v", es, fs)
		}
	})
}

func TestApplyAddsTheLockFindingsToTheLibrary(t *testing.T) {
	dir := fixture(t)
	if _, err := Write(load(t, dir)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, em2en)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), "2.1 Notice", "2.1 The notice", 1)), 0o644)
	l := load(t, dir)
	if fs := withRule(l.Findings, CodeLockChanged); len(fs) != 0 {
		t.Fatalf("clause.Load alone checks the lock:\n%s", dump(fs))
	}
	Apply(l)
	if fs := withRule(l.Findings, CodeLockChanged); len(fs) != 1 {
		t.Fatalf("after Apply:\n%s", dump(l.Findings))
	}
}

func TestWriteRefusesASymlinkedLock(t *testing.T) {
	dir := fixture(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.WriteFile(target, nil, 0o644)
	if err := os.Symlink(target, filepath.Join(dir, File)); err != nil {
		t.Skip("no symlinks here")
	}
	if _, err := Write(load(t, dir)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Write through a symlink: %v", err)
	}
	if data, _ := os.ReadFile(target); len(data) != 0 {
		t.Error("the symlink's target was written")
	}
}

// FuzzLock feeds arbitrary text to the lock parser: it never panics, and
// every entry it accepts is well formed.
func FuzzLock(f *testing.F) {
	f.Add("# c\nEM-1 1.0.0 en sha256:" + strings.Repeat("0", 64) + "\n")
	f.Add("EM-1 1.0.0 en\n\n\tEM-1 1.0.0 en sha256:x")
	f.Fuzz(func(t *testing.T, src string) {
		es, _ := Parse("f", strings.NewReader(src))
		for _, e := range es {
			if !clause.ValidID(e.ID) || !clause.ValidVersion(e.Version) || !reFingerprint.MatchString(e.Fingerprint) {
				t.Fatalf("accepted %+v", e)
			}
		}
	})
}
