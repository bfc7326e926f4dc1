package fsx

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// ErrInjected is the error a Faulty folder returns where a fault was asked for.
var ErrInjected = errors.New("injected fault")

// Op names an operation a Faulty folder can fail.
type Op string

const (
	OpWrite  Op = "write"  // fails once Bytes bytes were written to the file
	OpSync   Op = "fsync"  // a file's Sync
	OpRename Op = "rename" // Rename or Link to a name matching Match
	OpAppend Op = "append" // a write to a file opened with Append, at byte Bytes
)

// Fault says which operation fails: the first one whose file name contains
// Match (empty: any), once Bytes bytes have been written to that file.
type Fault struct {
	Op    Op
	Match string
	Bytes int64
}

// Faulty wraps an FS and fails one operation as its Fault says, once;
// everything else passes through. Tests use it to prove that a failure at
// any step leaves output that is unfinished and resumable, never one that
// looks complete.
type Faulty struct {
	FS
	Fault Fault

	mu    sync.Mutex
	fired bool
}

// Fired reports whether the fault happened.
func (f *Faulty) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

func (f *Faulty) hit(op Op, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fired || f.Fault.Op != op || !strings.Contains(name, f.Fault.Match) {
		return false
	}
	return true
}

func (f *Faulty) fire() {
	f.mu.Lock()
	f.fired = true
	f.mu.Unlock()
}

func (f *Faulty) Create(name string, perm fs.FileMode) (File, error) {
	file, err := f.FS.Create(name, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f, name: name, op: OpWrite}, nil
}

func (f *Faulty) Append(name string) (File, error) {
	file, err := f.FS.Append(name)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f, name: name, op: OpAppend}, nil
}

func (f *Faulty) Rename(oldname, newname string) error {
	if f.hit(OpRename, newname) {
		f.fire()
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: ErrInjected}
	}
	return f.FS.Rename(oldname, newname)
}

func (f *Faulty) Link(oldname, newname string) error {
	if f.hit(OpRename, newname) {
		f.fire()
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: ErrInjected}
	}
	return f.FS.Link(oldname, newname)
}

func (f *Faulty) Sync(name string) error {
	if f.hit(OpSync, name) {
		f.fire()
		return &fs.PathError{Op: "fsync", Path: name, Err: ErrInjected}
	}
	return f.FS.Sync(name)
}

type faultyFile struct {
	File
	fs   *Faulty
	name string
	op   Op
	n    int64
}

func (w *faultyFile) Write(p []byte) (int, error) { return w.write(p, w.File.Write) }

func (w *faultyFile) write(p []byte, write func([]byte) (int, error)) (int, error) {
	if w.fs.hit(w.op, w.name) {
		if room := w.fs.Fault.Bytes - w.n; room < int64(len(p)) {
			k := 0
			if room > 0 {
				k, _ = write(p[:room])
			}
			w.n += int64(k)
			w.fs.fire()
			return k, &fs.PathError{Op: string(w.op), Path: w.name, Err: ErrInjected}
		}
	}
	k, err := write(p)
	w.n += int64(k)
	return k, err
}

// OpenRandom opens a file for writing at offsets; OpWrite counts the
// bytes of Write and WriteAt alike.
func (f *Faulty) OpenRandom(name string, perm fs.FileMode) (RandomFile, error) {
	r, ok := f.FS.(RandomFS)
	if !ok {
		return nil, errors.New("fsx: the wrapped folder cannot write at offsets")
	}
	file, err := r.OpenRandom(name, perm)
	if err != nil {
		return nil, err
	}
	return &faultyRandom{RandomFile: file, w: faultyFile{File: file, fs: f, name: name, op: OpWrite}}, nil
}

type faultyRandom struct {
	RandomFile
	mu sync.Mutex
	w  faultyFile
}

func (r *faultyRandom) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.Write(p)
}

func (r *faultyRandom) WriteAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.write(p, func(b []byte) (int, error) { return r.RandomFile.WriteAt(b, off) })
}

func (r *faultyRandom) Sync() error { return r.w.Sync() }

func (w *faultyFile) Sync() error {
	if w.fs.hit(OpSync, w.name) {
		w.fs.fire()
		return &fs.PathError{Op: "fsync", Path: w.name, Err: ErrInjected}
	}
	return w.File.Sync()
}
