package fsx_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/internal/fsx"
)

// outsideTree makes a folder with a file, outside the output folder, that
// links inside the output folder point at.
func outsideTree(t *testing.T) (dir, file string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "outside")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "sub", "keep.txt")
	if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

func assertKept(t *testing.T, file string) {
	t.Helper()
	if got, err := os.ReadFile(file); err != nil || string(got) != "keep" {
		t.Errorf("link target %s touched: %q, %v", file, got, err)
	}
}

func TestRemoveTreeRemovesAFolderAndItsLinksButNotWhatTheyPointAt(t *testing.T) {
	outside, keep := outsideTree(t)
	out := t.TempDir()
	tree := filepath.Join(out, "tree", "a", "b")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tree, "f"), []byte("x"), 0o600)
	if err := os.Symlink(outside, filepath.Join(out, "tree", "a", "dirlink")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(keep, filepath.Join(tree, "filelink"))
	os.WriteFile(filepath.Join(out, "beside"), []byte("x"), 0o600)
	d, err := fsx.OpenDir(out)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := fsx.RemoveTree(d, "tree"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(out, "tree")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("tree still there: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(out, "beside")); err != nil {
		t.Errorf("a name beside the tree was removed: %v", err)
	}
	assertKept(t, keep)
}

func TestRemoveTreeRefusesALinkInPlaceOfTheTree(t *testing.T) {
	outside, keep := outsideTree(t)
	out := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(out, "tree")); err != nil {
		t.Fatal(err)
	}
	d, _ := fsx.OpenDir(out)
	defer d.Close()
	if err := fsx.RemoveTree(d, "tree"); !errors.Is(err, fsx.ErrLink) {
		t.Fatalf("got %v, want ErrLink", err)
	}
	if fi, err := os.Lstat(filepath.Join(out, "tree")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link itself was removed or replaced: %v", err)
	}
	assertKept(t, keep)
}

func TestRemoveTreeOfAnAbsentNameSucceeds(t *testing.T) {
	d, _ := fsx.OpenDir(t.TempDir())
	defer d.Close()
	if err := fsx.RemoveTree(d, "never-written"); err != nil {
		t.Fatal(err)
	}
}
