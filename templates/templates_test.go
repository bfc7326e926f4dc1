package templates

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestOpenOverridesFileByFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bundle"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle", "brand.css"), []byte("/* ours */"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(fsys, "bundle/brand.css")
	if err != nil || string(got) != "/* ours */" {
		t.Fatalf("override not served: %q, %v", got, err)
	}
	entries, err := fs.ReadDir(fsys, "bundle")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	defaults, _ := fs.ReadDir(Default(), "bundle")
	for _, e := range defaults {
		if !names[e.Name()] {
			t.Errorf("listing lost default %s", e.Name())
		}
	}
	if !names["brand.css"] {
		t.Error("listing lacks the override brand.css")
	}
}

func TestOpenWithoutDirServesDefaults(t *testing.T) {
	fsys, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadDir(fsys, "site"); err != nil {
		t.Fatalf("defaults missing site/: %v", err)
	}
}

func TestOpenRejectsMissingOrFile(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("a missing folder was accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := Open(f); err == nil {
		t.Error("a file was accepted as a templates folder")
	}
}
