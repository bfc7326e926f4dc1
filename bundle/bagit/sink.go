package bagit

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// A Sink receives a bag as create writes it: a folder, one tar file
// written in one pass, or a tar stream. Payload files go through Store
// (or, kept from an earlier run, Open and Keep); the journal, lock and tag
// files go to FS; Settle fixes the payload before the signature, Finish
// makes the signed bag final.
type Sink interface {
	// FS is the folder of the journal, the lock and the tag files: the bag
	// folder itself, or a small folder beside a tar.
	FS() fsx.FS
	// Admit is called before a file's source is opened, known saying
	// whether its stored size is known, and returns what ends the
	// admission: a sink that takes one file of unknown size at a time (a
	// tar) waits here, with nothing opened yet; the others never wait.
	Admit(known bool) (release func())
	// Store writes the payload file p (a bag path under data/). size is
	// the bytes it will hold when known before its data flows, else -1;
	// an Entry given more or fewer fails. mtime stamps a tar header.
	Store(p string, size int64, mtime time.Time) (Stored, error)
	// Open reads the payload file p an earlier run stored, and its size,
	// for the caller to prove against its journal record; Keep then keeps
	// it (a tar rewrites its header itself: a planted one is never
	// trusted). A file neither kept nor stored again does not survive
	// Settle.
	Open(p string) (io.ReadCloser, int64, error)
	Keep(p string, size int64, mtime time.Time) error
	// Settle, once every file is stored, drops what keep does not list
	// and makes the payload durable, since a signature may vouch only for
	// what is on disk.
	Settle(keep map[string]bool) error
	// Finish makes a signed bag final: nothing for a folder; a tar gets
	// the tag files and is renamed into place, a stream gets them last.
	Finish(created time.Time) error
	// FinishesSigned says a signed bag found in FS is left to Finish (a tar
	// killed after the signature) rather than being a finished output.
	FinishesSigned() bool
	// String names the output for messages.
	String() string
	Close() error
}

// A Stored is one payload file being stored: Commit when all its bytes
// are written, or Abort.
type Stored interface {
	io.Writer
	Commit() error
	Abort()
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
func (f *Folder) Admit(bool) func()      { return func() {} }
func (f *Folder) Finish(time.Time) error { return nil }

// Store writes p.partial, renamed to p by Commit, so a file under its
// name is whole.
func (f *Folder) Store(p string, size int64, _ time.Time) (Stored, error) {
	out, err := fsx.Recreate(f.fs, p+fsx.PartialSuffix, 0o644)
	if err != nil {
		return nil, err
	}
	return &folderEntry{fs: f.fs, p: p, f: out, w: &fsx.Writeback{W: out}, size: size}, nil
}

func (f *Folder) Open(p string) (io.ReadCloser, int64, error) {
	// Lstat first: opening a planted FIFO would block until a writer came.
	if fi, err := f.fs.Lstat(p); err != nil {
		return nil, 0, err
	} else if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", p)
	}
	r, err := f.fs.Open(p)
	if err != nil {
		return nil, 0, err
	}
	fi, err := r.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		r.Close()
		return nil, 0, fmt.Errorf("%s is not a regular file", p)
	}
	return r, fi.Size(), nil
}

func (f *Folder) Keep(string, int64, time.Time) error { return nil }

// Settle removes leftovers (see Sweep) and fsyncs every kept file.
func (f *Folder) Settle(keep map[string]bool) error {
	if err := Sweep(f.fs, keep); err != nil {
		return err
	}
	names := make([]string, 0, len(keep))
	for p := range keep {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if err := f.fs.Sync(p); err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
	}
	return nil
}

type folderEntry struct {
	fs   fsx.FS
	p    string
	f    fsx.File
	w    io.Writer
	size int64
	n    int64
	done bool
}

func (e *folderEntry) Write(b []byte) (int, error) {
	if e.size >= 0 && e.n+int64(len(b)) > e.size {
		return 0, fmt.Errorf("write %s: more than the %d bytes announced", e.p, e.size)
	}
	n, err := e.w.Write(b)
	e.n += int64(n)
	return n, err
}

func (e *folderEntry) Commit() error {
	e.done = true
	err := e.f.Close()
	if err == nil && e.size >= 0 && e.n != e.size {
		err = fmt.Errorf("%d bytes written, %d announced", e.n, e.size)
	}
	if err == nil {
		err = e.fs.Rename(e.p+fsx.PartialSuffix, e.p)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", e.p, err)
	}
	return nil
}

func (e *folderEntry) Abort() {
	if !e.done {
		e.done = true
		e.f.Close()
	}
}
func (f *Folder) FinishesSigned() bool { return false }
func (f *Folder) String() string       { return f.dir.Path() }
func (f *Folder) Close() error         { return f.dir.Close() }

// TarName is the name of the single folder a bundle tar holds: the tar's
// name without .tar, sanitized.
func TarName(tarPath string) string {
	base := filepath.Base(tarPath)
	if ext := path.Ext(base); strings.EqualFold(ext, ".tar") {
		base = base[:len(base)-len(ext)]
	}
	return manifest.SanitizeName(base)
}
