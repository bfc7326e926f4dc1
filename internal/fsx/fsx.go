// Package fsx is the one place exitkit writes output files. Everything it
// writes is durable before it is reported done (the file and its folder are
// fsynced), appears whole or not at all (written under a .partial name and
// renamed), never replaces a file the caller did not claim, and never
// follows a symbolic link: names are resolved inside an os.Root, new files
// are created with O_EXCL, and existing ones are opened with O_NOFOLLOW.
//
// Open an output folder with OpenDir and write through its methods, or
// through the FS interface, which tests wrap to make a write, an fsync, a
// rename or an append fail at a chosen byte (see Faulty). WriteNewFile and
// CreateNew are for single files outside a claimed folder (keys, reports).
package fsx

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"
)

// PartialSuffix marks a file being written; it is renamed when whole.
const PartialSuffix = ".partial"

// File is an output file being written.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// FS is an output folder: the operations writers of output need, on names
// relative to it ("/"-separated). Dir implements it on disk; Faulty wraps
// one to inject failures.
type FS interface {
	// Create makes a new file; it fails if the name exists (even as a link).
	Create(name string, perm fs.FileMode) (File, error)
	// Append opens an existing regular file for appending, never a link.
	Append(name string) (File, error)
	// Rename moves old to new within the folder, replacing new.
	Rename(oldname, newname string) error
	// Link makes newname a second name of oldname; it fails if newname exists.
	Link(oldname, newname string) error
	Remove(name string) error
	RemoveAll(name string) error
	MkdirAll(name string, perm fs.FileMode) error
	// SyncDir makes the entries of a folder (".": the root) durable.
	SyncDir(name string) error
	// Sync makes a file's content durable (fsync).
	Sync(name string) error
	// Open reads a regular file, never through a link.
	Open(name string) (*os.File, error)
	Lstat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}

// ErrLink is wrapped by the error of any operation on an output folder
// whose name passes through a symbolic link (see LinkError).
var ErrLink = errors.New("symbolic link in the output")

// LinkError names a symbolic link found in an output folder. os.Root
// alone keeps every name inside the folder but follows a link that stays
// inside it, and renames or removes a link in place of what the caller
// meant; a link in an output was planted by someone else, so every
// operation of a Dir refuses it, touching neither the link nor its target.
type LinkError struct{ Path string }

func (e *LinkError) Error() string {
	return fmt.Sprintf("%s is a symbolic link, and exitkit never writes, renames or removes anything through a link in its output (its target was not touched): remove the link, or choose another output", e.Path)
}

func (e *LinkError) Unwrap() error { return ErrLink }

// noLink refuses a name any of whose elements is a symbolic link.
func (d *Dir) noLink(names ...string) error {
	for _, name := range names {
		clean := path.Clean(name)
		if clean == "." || clean == "/" {
			continue
		}
		for i := 0; i <= len(clean); i++ {
			if i < len(clean) && clean[i] != '/' {
				continue
			}
			fi, err := d.root.Lstat(clean[:i])
			if err != nil {
				break // absent: the operation itself says so
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				return &LinkError{Path: d.Join(clean[:i])}
			}
		}
	}
	return nil
}

// FindLink walks dir in fsys and returns a *LinkError for the first
// symbolic link in it, so that a command refuses a planted link before
// it writes anything.
func FindLink(fsys FS, dir string) error {
	list, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range list {
		p := path.Join(dir, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			if d, ok := fsys.(interface{ Join(string) string }); ok {
				return &LinkError{Path: d.Join(p)}
			}
			return &LinkError{Path: p}
		case e.IsDir():
			if err := FindLink(fsys, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Dir is an output folder on disk, opened as an os.Root.
type Dir struct {
	root *os.Root
	path string
	lock *os.File // the folder, held open while it is locked
}

// ErrLocked is wrapped by Lock's error when another process (or another
// Dir in this one) holds the folder's lock.
var ErrLocked = errors.New("the output is in use by another process")

// Lock takes an exclusive lock on the folder (flock), held until Close or
// the process's exit, whatever way it ends, so a lock left by a process
// that died is no obstacle. When another holder has it, the error says
// who, from the first line of the file holder in the folder (written by
// the holder; absent while it finishes).
func (d *Dir) Lock(holder string) error {
	f, err := d.root.Open(".")
	if err != nil {
		return err
	}
	if err := flock(f); err != nil {
		f.Close()
		if !errors.Is(err, ErrLocked) {
			return fmt.Errorf("lock %s: %w", d.path, err)
		}
		who := "the process that holds it is finishing"
		if hf, err := d.Open(holder); err == nil {
			b := make([]byte, 256)
			n, _ := io.ReadFull(hf, b)
			hf.Close()
			line, _, _ := strings.Cut(string(b[:n]), "\n")
			who = printable(line)
		}
		return fmt.Errorf("%s is being written by another exitbundle create (%s): wait for it to end; two creates into one output would spoil it: %w", d.path, who, ErrLocked)
	}
	d.lock = f
	return nil
}

// printable replaces control characters (and invalid UTF-8) in outside
// text about to be printed.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// OpenDir opens path as an output folder, creating it (and its parents)
// when absent. It refuses a path whose last element is a symbolic link.
func OpenDir(p string) (*Dir, error) {
	if fi, err := os.Lstat(p); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link; give the real folder", p)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s exists and is not a folder", p)
		}
	} else if err := os.MkdirAll(p, 0o755); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(p)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r, path: p}, nil
}

// Path is the folder's path as given to OpenDir.
func (d *Dir) Path() string { return d.path }

// Join returns the OS path of name, for messages.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, filepath.FromSlash(name)) }

func (d *Dir) Close() error {
	if d.lock != nil {
		d.lock.Close() // releases the flock
		d.lock = nil
	}
	return d.root.Close()
}

func (d *Dir) Create(name string, perm fs.FileMode) (File, error) {
	if err := d.noLink(name); err != nil {
		return nil, err
	}
	return d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|NoFollow, perm)
}

func (d *Dir) Append(name string) (File, error) {
	if err := d.noLink(name); err != nil {
		return nil, err
	}
	return d.root.OpenFile(name, os.O_WRONLY|os.O_APPEND|NoFollow, 0)
}

func (d *Dir) Rename(oldname, newname string) error {
	if err := d.noLink(oldname, newname); err != nil {
		return err
	}
	return d.root.Rename(oldname, newname)
}

func (d *Dir) Link(oldname, newname string) error {
	if err := d.noLink(oldname, newname); err != nil {
		return err
	}
	return d.root.Link(oldname, newname)
}

func (d *Dir) Remove(name string) error {
	if err := d.noLink(name); err != nil {
		return err
	}
	return d.root.Remove(name)
}

// RemoveAll removes name and everything below it; a link below it is
// removed, never followed (os.Root), but name itself must not be one.
func (d *Dir) RemoveAll(name string) error {
	if err := d.noLink(name); err != nil {
		return err
	}
	return d.root.RemoveAll(name)
}

func (d *Dir) MkdirAll(name string, perm fs.FileMode) error {
	if err := d.noLink(name); err != nil {
		return err
	}
	return d.root.MkdirAll(name, perm)
}

// RandomFile is an output file written at offsets, not only in order:
// the one-pass tar, whose entries of known size are written side by side
// and whose headers are patched once their data is in.
type RandomFile interface {
	File
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
}

// RandomFS is an FS that opens files for writing at offsets (Dir, and
// Faulty over one).
type RandomFS interface {
	// OpenRandom opens name for reading and writing at offsets, creating
	// it when absent; never through a link, never anything but a regular
	// file.
	OpenRandom(name string, perm fs.FileMode) (RandomFile, error)
}

func (d *Dir) OpenRandom(name string, perm fs.FileMode) (RandomFile, error) {
	if err := d.noLink(name); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(name, os.O_RDWR|os.O_CREATE|NoFollow, perm)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", d.Join(name))
	} else if links(fi) > 1 {
		// A second name planted for it: writing would change that file too.
		f.Close()
		return nil, fmt.Errorf("%s has %d names (hard links); exitkit writes into a file it resumes only when it is the file's one name: remove it, or choose another output", d.Join(name), links(fi))
	}
	return f, nil
}

func (d *Dir) Lstat(name string) (fs.FileInfo, error) { return d.root.Lstat(name) }

func (d *Dir) Open(name string) (*os.File, error) {
	if err := d.noLink(name); err != nil {
		return nil, err
	}
	return d.root.OpenFile(name, os.O_RDONLY|NoFollow, 0)
}

func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

func (d *Dir) Sync(name string) error {
	f, err := d.Open(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *Dir) SyncDir(name string) error {
	if err := d.noLink(name); err != nil {
		return err
	}
	f, err := d.root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && syncsDirs && !errors.Is(err, syscall.EINVAL) {
		return err // EINVAL: a file system that cannot sync folders
	}
	return nil
}

// WriteFile writes data to name whole and durably: to name.partial (a
// stale one from a crash is removed first), fsync, rename over name, fsync
// the folder. It replaces name, so use it only in a folder the caller has
// claimed; WriteNew never replaces.
func WriteFile(fsys FS, name string, data []byte, perm fs.FileMode) error {
	tmp := name + PartialSuffix
	if err := writeSynced(fsys, tmp, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fsys.Rename(tmp, name); err != nil {
		fsys.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fsys.SyncDir(path.Dir(name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// WriteNew writes data to name whole and durably and never replaces an
// existing name: it writes a hidden temporary file and links it into place.
func WriteNew(fsys FS, name string, data []byte, perm fs.FileMode) error {
	tmp, err := tempName(name)
	if err != nil {
		return err
	}
	if err := writeSynced(fsys, tmp, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return Commit(fsys, tmp, name)
}

// CreateTemp creates a hidden temporary file beside name, to be committed
// with Commit once its content has been checked.
func CreateTemp(fsys FS, name string, perm fs.FileMode) (File, string, error) {
	tmp, err := tempName(name)
	if err != nil {
		return nil, "", err
	}
	f, err := fsys.Create(tmp, perm)
	return f, tmp, err
}

func tempName(name string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	dir, base := path.Split(name)
	return dir + "." + base + "." + hex.EncodeToString(b[:]) + ".exitbundle-partial", nil
}

// Commit moves a finished temporary file to name unless name exists: a
// hard link fails on an existing name atomically; where links are not
// supported it falls back to a checked rename. The temporary is removed
// either way, and the folder is synced.
func Commit(fsys FS, tmp, name string) error {
	err := fsys.Link(tmp, name)
	if err == nil {
		err = fsys.Remove(tmp)
	} else if !errors.Is(err, fs.ErrExist) {
		if _, serr := fsys.Lstat(name); serr != nil {
			err = fsys.Rename(tmp, name)
		}
	}
	if err != nil {
		fsys.Remove(tmp)
		if _, serr := fsys.Lstat(name); serr == nil {
			return fmt.Errorf("%s appeared meanwhile; not overwritten: move it away and run again", name)
		}
		return fmt.Errorf("write %s: %w", name, err)
	}
	return fsys.SyncDir(path.Dir(name))
}

func writeSynced(fsys FS, name string, data []byte, perm fs.FileMode) error {
	if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := fsys.Create(name, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(name)
	}
	return err
}

// WriteNewFile writes a single new file outside any claimed folder (a key,
// a report), never over an existing name or through a link, and durably.
func WriteNewFile(p string, data []byte, perm fs.FileMode) error {
	d, err := parent(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return WriteNew(d, filepath.Base(p), data, perm)
}

// Remove removes a single file (or empty folder) the caller created.
func Remove(p string) error { return os.Remove(p) }

// RemoveAll removes a folder tree the caller created (demo scratch space).
func RemoveAll(p string) error { return os.RemoveAll(p) }

// MkdirAll creates a folder and its parents.
func MkdirAll(p string, perm fs.FileMode) error { return os.MkdirAll(p, perm) }

func parent(p string) (*Dir, error) {
	dir := filepath.Dir(p)
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r, path: dir}, nil
}

// ReplaceFile writes data to p whole and durably, replacing p (a link at p
// is replaced, not followed): only for a file the user asked to rewrite
// (--force, a lock file being updated, golden files under -update).
func ReplaceFile(p string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	d, err := parent(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return WriteFile(d, filepath.Base(p), data, perm)
}

// MkdirTemp creates a new scratch folder (see os.MkdirTemp) that only its
// owner can enter (0700): what it holds, such as a control socket, is
// reachable by no other user of the machine. Remove it with RemoveAll.
func MkdirTemp(dir, pattern string) (string, error) { return os.MkdirTemp(dir, pattern) }

// Recreate creates name afresh in a folder the caller has claimed, first
// removing the file an earlier attempt left there (a link there is refused
// with ErrLink, as every Dir operation refuses one): for logs and working
// copies that a retry rewrites, never for a file the user gave.
func Recreate(fsys FS, name string, perm fs.FileMode) (File, error) {
	if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return fsys.Create(name, perm)
}
