package tarsink

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// Stream is a sink that writes the bag as a tar stream, entries one after
// another, for a pipe to a tape or an object-storage client. Every header
// precedes its data, so every file's size must be known before its data
// flows (compression none). It is not resumable: the journal and the tag
// files live in a private temporary folder removed by Close, and once an
// entry's bytes went out a failure fails the whole create.
type Stream struct {
	w      io.Writer
	name   string
	tmp    string
	dir    *fsx.Dir
	fs     fsx.FS
	prefix string

	mu   sync.Mutex // held by the entry being written
	dirs map[string]bool
	err  error // the stream is broken
}

// StreamName is the top folder of a streamed bag.
const StreamName = "exit-bundle"

// NewStream opens a stream sink writing to w; name is for messages.
func NewStream(w io.Writer, name string, wrap bagit.Wrap) (*Stream, error) {
	tmp, err := fsx.MkdirTemp("", "exitbundle-stream-")
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", name, err)
	}
	d, err := fsx.OpenDir(tmp)
	if err == nil {
		if err = d.Lock(manifest.LockFile); err != nil {
			d.Close()
		}
	}
	if err != nil {
		fsx.RemoveAll(tmp)
		return nil, fmt.Errorf("output %s: %w", name, err)
	}
	return &Stream{w: w, name: name, tmp: tmp, dir: d, fs: applyWrap(wrap, d), prefix: StreamName, dirs: map[string]bool{}}, nil
}

func (s *Stream) FS() fsx.FS           { return s.fs }
func (s *Stream) Admit(bool) func()    { return func() {} } // one file at a time anyway (Jobs 1)
func (s *Stream) FinishesSigned() bool { return false }
func (s *Stream) String() string       { return s.name }

func (s *Stream) Open(p string) (io.ReadCloser, int64, error) {
	return nil, 0, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
}

func (s *Stream) Keep(p string, _ int64, _ time.Time) error {
	return fmt.Errorf("%s: a stream keeps nothing", p)
}

func (s *Stream) Settle(map[string]bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Store takes the stream until Commit or Abort: entries go out one at a
// time.
func (s *Stream) Store(p string, size int64, mtime time.Time) (bagit.Stored, error) {
	if size < 0 {
		return nil, fmt.Errorf("%s: a tar stream needs each file's size before its data, which is not known here (compressed, or from a source that cannot tell it beforehand, as vSphere): use --compress none with a folder or .ova source, or --tar FILE", p)
	}
	if err := bagit.CheckPath(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return nil, s.err
	}
	var head []byte
	var dirs []string
	for i := -1; i < len(p); i++ {
		if i >= 0 && p[i] != '/' {
			continue
		}
		d := p[:i+1]
		if !s.dirs[d] {
			dirs = append(dirs, d)
			head = append(head, tarHeader(s.prefix+"/"+d, typeDir, 0, mtime, false)...)
		}
	}
	head = append(head, tarHeader(s.prefix+"/"+p, typeReg, size, mtime, false)...)
	return &streamEntry{s: s, p: p, head: head, dirs: dirs, size: size}, nil
}

type streamEntry struct {
	s    *Stream
	p    string
	head []byte   // not yet written: an entry aborted before its first byte costs nothing
	dirs []string // the folders head makes
	size int64
	n    int64
	out  bool // bytes of it went out
	done bool
}

func (e *streamEntry) send(b []byte) error {
	e.out = true
	for _, d := range e.dirs {
		e.s.dirs[d] = true
	}
	e.dirs = nil
	_, err := e.s.w.Write(b)
	return err
}

func (e *streamEntry) Write(b []byte) (int, error) {
	if e.n+int64(len(b)) > e.size {
		return 0, fmt.Errorf("write %s: more than the %d bytes announced", e.p, e.size)
	}
	if e.head != nil {
		if err := e.send(e.head); err != nil {
			return 0, e.broken(err)
		}
		e.head = nil
	}
	if err := e.send(b); err != nil {
		return 0, e.broken(err)
	}
	e.n += int64(len(b))
	return len(b), nil
}

func (e *streamEntry) broken(err error) error {
	e.s.err = fmt.Errorf("the tar stream to %s broke while %s was written (%w); a stream cannot be resumed: run create again from the start", e.s.name, e.p, err)
	return e.s.err
}

func (e *streamEntry) Commit() error {
	if e.done {
		return errors.New("committed twice")
	}
	defer e.release()
	if e.n != e.size {
		return e.broken(fmt.Errorf("%d bytes written, %d announced", e.n, e.size))
	}
	b := append(e.head, make([]byte, padded(e.size)-e.size)...)
	if err := e.send(b); err != nil {
		return e.broken(err)
	}
	return nil
}

func (e *streamEntry) Abort() {
	if e.done {
		return
	}
	if e.out && e.s.err == nil {
		e.broken(errors.New("the file failed after part of it was sent"))
	}
	e.release()
}

func (e *streamEntry) release() {
	e.done = true
	e.s.mu.Unlock()
}

// Finish sends the tag files and the end of the archive.
func (s *Stream) Finish(created time.Time) error {
	for _, n := range bagit.TagOrder {
		fi, err := s.fs.Lstat(n)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", n)
		}
		if err == nil {
			err = s.sendFile(n, fi.Size(), created)
		}
		if err != nil {
			return fmt.Errorf("create %s: add %s: %w", s.name, n, err)
		}
	}
	if _, err := s.w.Write(make([]byte, 2*blockSize)); err != nil {
		return fmt.Errorf("create %s: %w", s.name, err)
	}
	return nil
}

func (s *Stream) sendFile(n string, size int64, created time.Time) error {
	f, err := s.fs.Open(n)
	if err != nil {
		return err
	}
	defer f.Close()
	e, err := s.Store(n, size, created)
	if err != nil {
		return err
	}
	if _, err := io.Copy(e, f); err != nil {
		e.Abort()
		return err
	}
	return e.Commit()
}

// Close removes the temporary folder: a stream is never resumed.
func (s *Stream) Close() error {
	err := s.dir.Close()
	if rerr := fsx.RemoveAll(s.tmp); err == nil {
		err = rerr
	}
	return err
}
