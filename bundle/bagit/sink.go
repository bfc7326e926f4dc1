package bagit

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// A Sink receives a bag as create writes it: a folder, or one tar file.
// Create writes the bag's files into FS, resumable like any folder, and
// calls Finish once the signature is in place.
type Sink interface {
	// FS is the folder the bag is written into.
	FS() fsx.FS
	// Finish makes a signed bag final: nothing for a folder; for a tar,
	// serialize the bag and remove its folder.
	Finish(created time.Time) error
	// FinishesSigned says a signed bag found in FS is left to Finish (a tar
	// killed while it was serialized) rather than being a finished output.
	FinishesSigned() bool
	// String names the output for messages.
	String() string
	Close() error
}

// Wrap decorates a sink's folders; tests pass one that injects faults
// (fsx.Faulty). nil leaves them as they are.
type Wrap func(fsx.FS) fsx.FS

func (w Wrap) apply(f fsx.FS) fsx.FS {
	if w == nil {
		return f
	}
	return w(f)
}

// Folder is a sink that writes the bag as a folder.
type Folder struct {
	dir *fsx.Dir
	fs  fsx.FS
}

// NewFolder opens (creating when absent) the folder dir as a sink.
func NewFolder(dir string, wrap Wrap) (*Folder, error) {
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("output %s exists and is not a folder: %w", dir, manifest.ErrNotOurs)
	}
	d, err := fsx.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", dir, err)
	}
	// One create at a time (the lock is released by Close or exit); and a
	// link anywhere in the output was planted: refuse it before anything
	// is written (every write refuses one too, see fsx).
	if err := d.Lock(manifest.LockFile); err != nil {
		d.Close()
		return nil, fmt.Errorf("output %w", err)
	}
	if err := fsx.FindLink(d, "."); err != nil {
		d.Close()
		return nil, fmt.Errorf("output %s: %w", dir, err)
	}
	return &Folder{dir: d, fs: wrap.apply(d)}, nil
}

func (f *Folder) FS() fsx.FS             { return f.fs }
func (f *Folder) Finish(time.Time) error { return nil }
func (f *Folder) FinishesSigned() bool   { return false }
func (f *Folder) String() string         { return f.dir.Path() }
func (f *Folder) Close() error           { return f.dir.Close() }

// Tar is a sink that writes the bag as one tar file: the bag is built in
// FILE.parts first (resumable like a folder) and serialized when signed,
// to FILE.partial and renamed, so a tar under its final name is whole.
type Tar struct {
	path   string
	parent *fsx.Dir
	pfs    fsx.FS
	parts  *fsx.Dir
	fs     fsx.FS
}

// PartsSuffix names the folder a tar sink builds the bag in.
const PartsSuffix = ".parts"

// NewTar opens a tar sink for the file p; it fails with an error wrapping
// manifest.ErrFinished when p exists, since a tar under its final name is
// a finished bundle.
func NewTar(p string, wrap Wrap) (*Tar, error) {
	if _, err := os.Lstat(p); err == nil {
		return nil, fmt.Errorf("%s: %w", p, manifest.ErrFinished)
	}
	for _, aside := range []string{p + fsx.PartialSuffix, p + PartsSuffix} {
		if fi, err := os.Lstat(aside); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("output %s: %w", p, &fsx.LinkError{Path: aside})
		}
	}
	parent, err := fsx.OpenDir(filepath.Dir(p))
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", p, err)
	}
	parts, err := fsx.OpenDir(p + PartsSuffix)
	if err == nil {
		if err = parts.Lock(manifest.LockFile); err == nil {
			err = fsx.FindLink(parts, ".")
		}
		if err != nil {
			parts.Close()
		}
	}
	if err != nil {
		parent.Close()
		return nil, fmt.Errorf("output %s: %w", p, err)
	}
	return &Tar{path: p, parent: parent, pfs: wrap.apply(parent), parts: parts, fs: wrap.apply(parts)}, nil
}

func (t *Tar) FS() fsx.FS           { return t.fs }
func (t *Tar) FinishesSigned() bool { return true }
func (t *Tar) String() string       { return t.path }

func (t *Tar) Finish(created time.Time) error {
	base := filepath.Base(t.path)
	if err := WriteTar(t.fs, t.pfs, base, TarName(t.path), created); err != nil {
		return fmt.Errorf("create %s: %w; the signed bag is complete in %s: run the same command again to retry", t.path, err, t.parts.Path())
	}
	if err := t.pfs.RemoveAll(base + PartsSuffix); err != nil {
		return fmt.Errorf("create %s: remove %s: %w", t.path, t.parts.Path(), err)
	}
	return t.pfs.SyncDir(".")
}

func (t *Tar) Close() error {
	t.parts.Close()
	return t.parent.Close()
}

// TarName is the name of the single folder a bundle tar holds: the tar's
// name without .tar, sanitized.
func TarName(tarPath string) string {
	base := filepath.Base(tarPath)
	if ext := path.Ext(base); strings.EqualFold(ext, ".tar") {
		base = base[:len(base)-len(ext)]
	}
	return manifest.SanitizeName(base)
}
