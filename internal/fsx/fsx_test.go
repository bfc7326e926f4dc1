package fsx_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/internal/fsx"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestWriteFileReplacesWholeAndLeavesNoPartial(t *testing.T) {
	d, err := fsx.OpenDir(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, s := range []string{"one", "two"} {
		if err := fsx.WriteFile(d, "a.txt", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(d.Join("a.txt"))
	if string(got) != "two" {
		t.Errorf("a.txt = %q", got)
	}
	if _, err := os.Lstat(d.Join("a.txt" + fsx.PartialSuffix)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial left: %v", err)
	}
}

func TestWriteNewNeverReplacesAnExistingFile(t *testing.T) {
	d, _ := fsx.OpenDir(t.TempDir())
	defer d.Close()
	if err := fsx.WriteNew(d, "a", []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := fsx.WriteNew(d, "a", []byte("second"), 0o600); err == nil {
		t.Error("fsx.WriteNew replaced an existing file")
	}
	got, _ := os.ReadFile(d.Join("a"))
	entries, _ := d.ReadDir(".")
	if string(got) != "first" || len(entries) != 1 {
		t.Errorf("a = %q, %d entries", got, len(entries))
	}
}

func TestNoWriteFollowsASymlink(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside")
	os.WriteFile(outside, []byte("keep"), 0o644)
	out := filepath.Join(tmp, "out")
	os.Mkdir(out, 0o755)
	os.Symlink(outside, filepath.Join(out, "link"))
	os.Symlink("../", filepath.Join(out, "up"))
	d, _ := fsx.OpenDir(out)
	defer d.Close()
	if _, err := d.Create("link", 0o644); err == nil {
		t.Error("Create wrote through a symlink")
	}
	if _, err := d.Append("link"); err == nil {
		t.Error("Append opened a symlink")
	}
	if err := fsx.WriteNew(d, "up/outside2", []byte("x"), 0o644); err == nil {
		t.Error("a write escaped the folder through a symlinked folder")
	}
	if err := fsx.WriteNewFile(filepath.Join(out, "link"), []byte("x"), 0o644); err == nil {
		t.Error("fsx.WriteNewFile replaced a symlink")
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep" {
		t.Errorf("outside file changed: %q", got)
	}
	if _, err := fsx.OpenDir(filepath.Join(out, "up")); err == nil {
		t.Error("fsx.OpenDir accepted a symlink")
	}
}

func TestFaultyFailsTheChosenOperationOnce(t *testing.T) {
	tests := []struct {
		name  string
		fault fsx.Fault
	}{
		{"a write at byte 3", fsx.Fault{Op: fsx.OpWrite, Match: "a", Bytes: 3}},
		{"an fsync", fsx.Fault{Op: fsx.OpSync, Match: "a"}},
		{"a rename", fsx.Fault{Op: fsx.OpRename, Match: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := fsx.OpenDir(t.TempDir())
			defer d.Close()
			f := &fsx.Faulty{FS: d, Fault: tt.fault}
			err := fsx.WriteFile(f, "a", []byte("hello"), 0o644)
			if !errors.Is(err, fsx.ErrInjected) || !f.Fired() {
				t.Fatalf("err = %v", err)
			}
			if entries, _ := d.ReadDir("."); len(entries) != 0 {
				t.Errorf("a failed write left %d entries", len(entries))
			}
			if err := fsx.WriteFile(f, "a", []byte("hello"), 0o644); err != nil {
				t.Errorf("second try: %v", err)
			}
		})
	}
}

func TestMkdirTempIsNewAndPrivate(t *testing.T) {
	parent := t.TempDir()
	a, err := fsx.MkdirTemp(parent, "x-")
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsx.MkdirTemp(parent, "x-")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two scratch folders share the name %s", a)
	}
	fi, err := os.Lstat(a)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: mode %v, want a folder with 0700", a, fi.Mode())
	}
	if err := fsx.RemoveAll(a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveAll left %s: %v", a, err)
	}
}

func TestRecreateReplacesALeftoverAndRefusesALink(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := fsx.OpenDir(filepath.Join(tmp, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.WriteFile(d.Join("log"), []byte("an earlier attempt, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, d.Join("link")); err != nil {
		t.Fatal(err)
	}
	if _, err := fsx.Recreate(d, "link", 0o644); !errors.Is(err, fsx.ErrLink) {
		t.Errorf("Recreate of a link: err = %v, want ErrLink", err)
	}
	if fi, err := os.Lstat(d.Join("link")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was changed: %v %v", fi, err)
	}
	for _, name := range []string{"log", "new"} {
		f, err := fsx.Recreate(d, name, 0o644)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := f.Write([]byte("fresh")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(d.Join(name))
		got, _ := os.ReadFile(d.Join(name))
		if err != nil || !fi.Mode().IsRegular() || string(got) != "fresh" {
			t.Errorf("%s: mode %v, content %q, err %v; want a regular file holding \"fresh\"", name, fi.Mode(), got, err)
		}
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep" {
		t.Errorf("the link's target was written: %q", got)
	}
}

func TestEveryOperationRefusesALinkInsideTheFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(filepath.Join(out, "real"), 0o755)
	os.WriteFile(filepath.Join(out, "real", "f"), []byte("keep"), 0o644)
	os.Symlink("real", filepath.Join(out, "in"))        // stays inside: os.Root alone would follow it
	os.Symlink("real/f", filepath.Join(out, "file-in")) // a link to a file inside
	d, _ := fsx.OpenDir(out)
	defer d.Close()
	ops := map[string]func() error{
		"Create":    func() error { _, err := d.Create("in/new", 0o644); return err },
		"Append":    func() error { _, err := d.Append("in/f"); return err },
		"Rename":    func() error { return d.Rename("in/f", "g") },
		"Rename to": func() error { return d.Rename("real/f", "file-in") },
		"Link":      func() error { return d.Link("in/f", "g") },
		"Remove":    func() error { return d.Remove("file-in") },
		"RemoveAll": func() error { return d.RemoveAll("in") },
		"MkdirAll":  func() error { return d.MkdirAll("in/sub", 0o755) },
		"Open":      func() error { _, err := d.Open("in/f"); return err },
		"Sync":      func() error { return d.Sync("in/f") },
		"SyncDir":   func() error { return d.SyncDir("in") },
		"WriteFile": func() error { return fsx.WriteFile(d, "in/f", []byte("x"), 0o644) },
		"FindLink":  func() error { return fsx.FindLink(d, ".") },
	}
	for name, op := range ops {
		var le *fsx.LinkError
		if err := op(); !errors.As(err, &le) || !errors.Is(err, fsx.ErrLink) {
			t.Errorf("%s: err = %v, want a LinkError", name, err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(out, "real", "f")); string(got) != "keep" {
		t.Errorf("the link's target changed: %q", got)
	}
	for _, l := range []string{"in", "file-in"} {
		if fi, err := os.Lstat(filepath.Join(out, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link %s was changed", l)
		}
	}
}
