package clause

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/golden"
)

const contentDir = "../../content"

// shippedLibrary loads the default clause set, skipping when it is absent.
func shippedLibrary(t *testing.T) (*Library, []*Profile) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(contentDir, "clauses", "*", "*.md"))
	if len(files) == 0 {
		t.Skip("content/clauses holds no clauses yet")
	}
	return load(t, contentDir), profiles(t, contentDir)
}

// TestGoldenRenderings renders every clause of the shipped library in the
// library view and, for each shipped profile, in the customer view, and
// compares text, HTML and fingerprints with testdata/golden. A diff here
// is a change in what customers read and in the fingerprints contracts
// cite: review it, then run go test ./site/clause -update.
func TestGoldenRenderings(t *testing.T) {
	l, ps := shippedLibrary(t)
	got := map[string]string{}
	var prints []string
	add := func(view string, c *Clause, r *Rendered) {
		base := filepath.Join(view, c.Lang, c.ID+"-v"+c.Version)
		got[base+".md"] = r.Text
		got[base+".html"] = r.HTML
		prints = append(prints, fmt.Sprintf("%s %s %s %s %s", view, c.Lang, c.ID, c.Version, r.Fingerprint))
	}
	for _, c := range l.Clauses {
		r, err := c.Render(l, nil)
		if err != nil {
			t.Fatalf("library view of %s: %v", c.File, err)
		}
		add("library", c, r)
	}
	for _, p := range ps {
		name := strings.TrimSuffix(filepath.Base(p.File), filepath.Ext(p.File))
		for _, c := range l.Current(p.Lang) {
			if p.Clauses != nil && !contains(p.Clauses, c.ID) {
				continue
			}
			r, err := c.Render(l, p)
			if err != nil {
				t.Fatalf("customer view of %s for %s: %v", c.File, p.File, err)
			}
			add(name, c, r)
		}
	}
	sort.Strings(prints)
	got["fingerprints.txt"] = strings.Join(prints, "\n") + "\n"

	root := filepath.Join("testdata", "golden")
	if golden.Update() {
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		for name, s := range got {
			path := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	var onDisk []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			onDisk = append(onDisk, rel)
		}
		return nil
	})
	for _, name := range onDisk {
		if _, ok := got[name]; !ok {
			t.Errorf("golden file %s is no longer produced; run go test ./site/clause -update", name)
		}
	}
	for name, s := range got {
		want, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Errorf("no golden file %s; run go test ./site/clause -update", name)
			continue
		}
		if string(want) != s {
			t.Errorf("%s differs from the golden file; review and run go test ./site/clause -update\ngot:\n%s", name, s)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestShippedContentValidatesWithoutErrors(t *testing.T) {
	l, ps := shippedLibrary(t)
	if errs := errorsIn(Validate(l, ps)); len(errs) != 0 {
		t.Fatalf("the shipped content must validate clean (lint: site/clause/lint):\n%s", dump(errs))
	}
}

func TestRenderingIsDeterministic(t *testing.T) {
	l, ps := shippedLibrary(t)
	for _, c := range l.Current("en") {
		a, err := c.Render(l, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := load(t, contentDir).Find(c.ID, c.Version, c.Lang).Render(l, nil)
		if a.Text != b.Text || a.HTML != b.HTML || a.Fingerprint != b.Fingerprint {
			t.Fatalf("%s renders differently across loads", c.File)
		}
		for _, p := range ps {
			if p.Lang == c.Lang {
				x, err1 := c.Render(l, p)
				y, err2 := c.Render(l, p)
				if err1 != nil || err2 != nil || x.Fingerprint != y.Fingerprint {
					t.Fatalf("%s for %s: %v %v", c.File, p.File, err1, err2)
				}
			}
		}
	}
}
