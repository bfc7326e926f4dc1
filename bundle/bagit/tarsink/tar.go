package tarsink

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// Tar is a sink that writes the bag as one tar file in one pass: every
// payload file goes straight into FILE.partial, and FILE.parts beside it
// holds only the journal, the lock, the tag files and (empty) the VM
// folders create makes. Finish writes the
// tag files into the room kept for them after the top folder (see
// roomSize), before the payload, and renames FILE.partial to FILE, so a
// tar under its final name is whole.
//
// Entries are written side by side: one of known size reserves its
// region (header and padded data) at the tail at once, so --jobs files
// are written at the same time; one of unknown size (zstd) takes the tail
// alone until its Commit writes its header. Until Commit an entry's header
// says typePending, so a kill -9 leaves a FILE.partial that is read back
// up to the first unfinished entry and cut there.
//
// Resuming, the entries read back are outside input: create proves each
// one against its journal record before Keep, which writes its header
// anew; Settle drops every entry not kept (moving later entries down, in
// the rare case one sits between kept ones).
type Tar struct {
	path   string
	parent *fsx.Dir
	pfs    fsx.FS
	parts  *fsx.Dir
	fs     fsx.FS
	f      fsx.RandomFile
	prefix string // the top folder, "acme-exit"

	admit     sync.RWMutex // see Admit
	mu        sync.Mutex
	cond      *sync.Cond
	members   []*member // in file order
	dirs      map[string]bool
	tail      int64 // where the next entry goes
	exclusive bool  // an entry of unknown size holds the tail
	settled   bool
}

type memberState int

const (
	stOld     memberState = iota // read back from an earlier run, not (yet) proven
	stKept                       // proven by the caller, header rewritten
	stPending                    // being written
	stDone                       // written by this run
	stDropped                    // aborted
)

type member struct {
	name       string // bag path; a folder ends in "/", the top folder is ""
	dir        bool
	hdr, data  int64 // offsets of its header and data
	size       int64
	fixed      bool // its header was reserved for an unknown size
	room       bool // the room for the tag files (see roomSize)
	state      memberState
	mtime      time.Time
	headerOK   bool // a folder read back whose header is ours
	readBackOK bool
}

func (m *member) end() int64 { return m.data + padded(m.size) }

// PartsSuffix names the folder beside a tar that holds its journal and
// tag files.
const PartsSuffix = ".parts"

// NewTar opens a tar sink for the file p; it fails with an error wrapping
// manifest.ErrFinished when p exists, since a tar under its final name is
// a finished bundle. An earlier run's FILE.partial is read back up to its
// last whole entry and cut there.
func NewTar(p string, wrap bagit.Wrap) (*Tar, error) {
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
	t := &Tar{path: p, parent: parent, pfs: applyWrap(wrap, parent), parts: parts, fs: applyWrap(wrap, parts), prefix: bagit.TarName(p), dirs: map[string]bool{}}
	t.cond = sync.NewCond(&t.mu)
	rfs, ok := t.pfs.(fsx.RandomFS)
	if ok {
		t.f, err = rfs.OpenRandom(filepath.Base(p)+fsx.PartialSuffix, 0o644)
	} else {
		err = errors.New("the output folder cannot be written at offsets")
	}
	if err == nil {
		err = t.readBack()
	}
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("output %s: %w", p+fsx.PartialSuffix, err)
	}
	return t, nil
}

// readBack indexes FILE.partial: the whole entries up to the first one
// that is torn, unfinished or not in our layout; the rest is cut off.
func (t *Tar) readBack() error { return t.readBackOnce(false) }

func (t *Tar) readBackOnce(again bool) error {
	fi, err := t.f.Stat()
	if err != nil {
		return err
	}
	index, _ := bagit.IndexTarAt(t.f, fi.Size()) // an error: torn after the members returned
	var pos, roomEnd int64
	for _, tm := range index {
		hdr := tm.Header
		m := &member{hdr: pos, data: tm.Offset, size: hdr.Size, mtime: hdr.ModTime}
		if hdr.Typeflag == typeDir || hdr.Typeflag == typeGlobal {
			m.size = 0
		}
		if hdr.Typeflag == typePending || m.size < 0 || m.size > fi.Size() || m.end() > fi.Size() {
			break
		}
		rel, ok := strings.CutPrefix(hdr.Name, t.prefix+"/")
		m.name, m.dir = rel, hdr.Typeflag == typeDir
		m.readBackOK = ok && (hdr.Typeflag == typeReg || m.dir) && (rel == "" || bagit.CheckPath(strings.TrimSuffix(rel, "/")) == nil) && !tm.Sparse()
		if len(t.members) == 0 {
			if !(m.dir && rel == "" && m.readBackOK) {
				break // not a tar this sink began: start over
			}
			roomEnd = m.end() + roomSize
		} else if pos < roomEnd {
			// The room for the tag files: tag files an earlier Finish
			// wrote, then the global header that fills it to its end.
			switch {
			case hdr.Typeflag == typeGlobal && m.end() == roomEnd:
				m = &member{hdr: t.members[0].end(), data: roomEnd, room: true, state: stDone}
			case hdr.Typeflag == typeReg && m.end() < roomEnd && m.readBackOK && !strings.Contains(rel, "/"):
				pos = m.end()
				continue
			default:
				roomEnd = -1
			}
			if roomEnd < 0 {
				break
			}
		}
		t.members = append(t.members, m)
		pos = m.end()
	}
	if len(t.members) == 1 && !again && roomEnd > 0 && fi.Size() >= roomEnd {
		// The room does not read: a write of the tag files into it torn
		// (by a power cut). Whatever it holds is no file, and an empty
		// room in its place lets the payload after it be read back.
		if err := t.writeRoom(t.members[0].end(), roomEnd, time.Now()); err != nil {
			return err
		}
		t.members = nil
		return t.readBackOnce(true)
	}
	if len(t.members) < 2 || !t.members[1].room {
		t.members, pos = nil, 0 // no room for the tag files: not ours, start over
	}
	for _, m := range t.members {
		if m.dir && m.readBackOK {
			hdr := tarHeader(t.prefix+"/"+m.name, typeDir, 0, m.mtime, false)
			m.headerOK = int64(len(hdr)) == m.data-m.hdr
			if m.headerOK {
				// Ours from now on, whatever the header read back said.
				if _, err := t.f.WriteAt(hdr, m.hdr); err != nil {
					return err
				}
				t.dirs[m.name] = true
			}
		}
	}
	t.tail = pos
	if err := t.f.Truncate(pos); err != nil {
		return err
	}
	if pos == 0 {
		hdr := tarHeader(t.prefix+"/", typeDir, 0, time.Now(), false)
		if _, err := t.f.WriteAt(hdr, 0); err != nil {
			return err
		}
		room := int64(len(hdr))
		if err := t.writeRoom(room, room+roomSize, time.Now()); err != nil {
			return err
		}
		t.members = []*member{{name: "", dir: true, data: room, state: stDone}, {hdr: room, data: room + roomSize, room: true, state: stDone}}
		t.dirs[""] = true
		t.tail = room + roomSize
	}
	return nil
}

// roomSize is the room kept after the top folder for the tag files, so
// that Finish can put them before the payload, where a reader of a stream
// (verify -) finds them first: a global header whose one comment record
// fills the room until the tag files are written into it. Go's reader
// takes a global header of at most 1 MiB; the tag files of a bundle of
// up to some hundred VMs fit. Only its first and last bytes are written:
// the rest is a hole.
const roomSize = 1 << 20

// writeRoom writes at off a global header filling [off, end) with one
// comment record.
func (t *Tar) writeRoom(off, end int64, mtime time.Time) error {
	n := end - off - blockSize
	hdr := ustarBlock(clip(t.prefix+"/PaxHeaders/room", 99), "", typeGlobal, n, mtime)
	head := append(hdr, roomHead(n)...)
	if _, err := t.f.WriteAt(head, off); err != nil {
		return err
	}
	_, err := t.f.WriteAt([]byte("\n"), end-1)
	return err
}

// roomHead begins a PAX record of n bytes, "n comment=", whose value is
// whatever bytes follow, up to its last byte, a newline.
func roomHead(n int64) []byte { return []byte(fmt.Sprintf("%d comment=", n)) }

// tagsIntoRoom writes the serialized tag files b into the room, then a
// smaller global header filling the rest of it. The first bytes are
// written last, once the rest is synced: until then the tar reads as
// before (the old global header's comment holds the new bytes), after it
// as the new layout; a kill between the two leaves either.
func (t *Tar) tagsIntoRoom(room *member, b []byte, created time.Time) error {
	start, end := room.hdr, room.data
	cur := make([]byte, blockSize)
	if _, err := t.f.ReadAt(cur, start); err != nil {
		return err
	}
	if cur[156] != typeGlobal {
		// A Finish killed after it put tag files in: done if they are
		// these, else the room is emptied again (its comment first, then
		// its header, so the tar reads at every step) and filled anew.
		cur = make([]byte, len(b))
		if _, err := t.f.ReadAt(cur, start); err == nil && bytes.Equal(cur, b) {
			return nil
		}
		hdr := ustarBlock(clip(t.prefix+"/PaxHeaders/room", 99), "", typeGlobal, end-start-blockSize, created)
		if _, err := t.f.WriteAt(roomHead(end-start-blockSize), start+blockSize); err != nil {
			return err
		}
		if _, err := t.f.WriteAt(hdr, start); err != nil {
			return err
		}
	}
	if err := t.writeRoom(start+int64(len(b)), end, created); err != nil {
		return err
	}
	first := int64(blockSize + len(roomHead(end-start-blockSize)))
	if _, err := t.f.WriteAt(b[first:], start+first); err != nil {
		return err
	}
	if err := t.f.Sync(); err != nil {
		return err
	}
	_, err := t.f.WriteAt(b[:first], start)
	return err
}

// Admit is called before a file's source is opened, so that no source is
// opened only to wait for the tail (an idle download from a vSphere host
// can time out): a file whose size is unknown waits until no other file
// is being admitted and holds its admission until its entry is committed;
// a file of known size waits only while one of unknown size holds it,
// until its entry is reserved. release (idempotent) ends the admission.
func (t *Tar) Admit(known bool) (release func()) {
	if known {
		t.admit.RLock()
		return sync.OnceFunc(t.admit.RUnlock)
	}
	t.admit.Lock()
	return sync.OnceFunc(t.admit.Unlock)
}

func applyWrap(w bagit.Wrap, f fsx.FS) fsx.FS {
	if w == nil {
		return f
	}
	return w(f)
}

func (t *Tar) FS() fsx.FS           { return t.fs }
func (t *Tar) FinishesSigned() bool { return true }
func (t *Tar) String() string       { return t.path }

// Store reserves p's entry at the tail: its region when size is known,
// else the whole tail until Commit.
func (t *Tar) Store(p string, size int64, mtime time.Time) (bagit.Stored, error) {
	if err := bagit.CheckPath(p); err != nil {
		return nil, err
	}
	t.mu.Lock()
	for t.exclusive {
		t.cond.Wait()
	}
	defer t.mu.Unlock()
	if err := t.mkdirs(p, mtime); err != nil {
		return nil, err
	}
	name := t.prefix + "/" + p
	hdr := tarHeader(name, typePending, max(size, 0), mtime, size < 0)
	m := &member{name: p, hdr: t.tail, data: t.tail + int64(len(hdr)), size: size, fixed: size < 0, state: stPending, mtime: mtime}
	if size >= 0 {
		// The pending header goes in now: after a kill, the read-back
		// stops at it (an entry never finished), not at bytes of unknown
		// meaning.
		if _, err := t.f.WriteAt(hdr, m.hdr); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		t.tail = m.end()
	} else {
		m.size = 0
		t.exclusive = true
		t.tail = m.data
	}
	t.members = append(t.members, m)
	return &tarStored{t: t, m: m, off: m.data, limit: size}, nil
}

// mkdirs writes a folder entry for each parent of p not yet in the tar,
// so that tar -x makes them with the same mode everywhere.
func (t *Tar) mkdirs(p string, mtime time.Time) error {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' || t.dirs[p[:i+1]] {
			continue
		}
		hdr := tarHeader(t.prefix+"/"+p[:i+1], typeDir, 0, mtime, false)
		if _, err := t.f.WriteAt(hdr, t.tail); err != nil {
			return fmt.Errorf("write %s: %w", p[:i+1], err)
		}
		t.members = append(t.members, &member{name: p[:i+1], dir: true, hdr: t.tail, data: t.tail + int64(len(hdr)), state: stDone})
		t.tail += int64(len(hdr))
		t.dirs[p[:i+1]] = true
	}
	return nil
}

type tarStored struct {
	t     *Tar
	m     *member
	off   int64
	limit int64 // -1: unknown
	done  bool
}

func (e *tarStored) Write(b []byte) (int, error) {
	if e.limit >= 0 && e.off-e.m.data+int64(len(b)) > e.limit {
		return 0, fmt.Errorf("write %s: more than the %d bytes announced", e.m.name, e.limit)
	}
	n, err := e.t.f.WriteAt(b, e.off)
	e.off += int64(n)
	return n, err
}

// Commit pads the data and writes the entry's real header.
func (e *tarStored) Commit() error {
	t, m := e.t, e.m
	n := e.off - m.data
	if e.limit >= 0 && n != e.limit {
		e.Abort()
		return fmt.Errorf("write %s: %d bytes written, %d announced", m.name, n, e.limit)
	}
	if pad := padded(n) - n; pad > 0 {
		if _, err := t.f.WriteAt(make([]byte, pad), e.off); err != nil {
			e.Abort()
			return fmt.Errorf("write %s: %w", m.name, err)
		}
	}
	hdr := tarHeader(t.prefix+"/"+m.name, typeReg, n, m.mtime, m.fixed)
	if _, err := t.f.WriteAt(hdr, m.hdr); err != nil {
		e.Abort()
		return fmt.Errorf("write %s: %w", m.name, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.done = true
	m.size, m.state = n, stDone
	if m.fixed {
		t.tail = m.end()
		t.exclusive = false
		t.cond.Broadcast()
	}
	return nil
}

func (e *tarStored) Abort() {
	t, m := e.t, e.m
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.done {
		return
	}
	e.done = true
	m.state = stDropped
	if m.fixed {
		t.exclusive = false
		t.cond.Broadcast()
	}
	if last := t.members[len(t.members)-1]; last == m && (m.fixed || t.tail == m.end()) {
		t.members = t.members[:len(t.members)-1]
		t.tail = m.hdr
	}
}

// lookup returns the last entry read back as p.
func (t *Tar) lookup(p string) *member {
	for i := len(t.members) - 1; i >= 0; i-- {
		if m := t.members[i]; m.name == p && !m.dir && m.state == stOld && m.readBackOK {
			return m
		}
	}
	return nil
}

func (t *Tar) Open(p string) (io.ReadCloser, int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.lookup(p)
	if m == nil {
		return nil, 0, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return io.NopCloser(io.NewSectionReader(t.f, m.data, m.size)), m.size, nil
}

// Keep keeps the entry Open read, once the caller proved its data,
// writing its header and padding anew in the same room.
func (t *Tar) Keep(p string, size int64, mtime time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.lookup(p)
	if m == nil || m.size != size {
		return fmt.Errorf("%s: no entry of %d bytes to keep", p, size)
	}
	for _, fixed := range []bool{false, true} {
		hdr := tarHeader(t.prefix+"/"+p, typeReg, size, mtime, fixed)
		if int64(len(hdr)) != m.data-m.hdr {
			continue
		}
		if _, err := t.f.WriteAt(hdr, m.hdr); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if pad := padded(size) - size; pad > 0 {
			if _, err := t.f.WriteAt(make([]byte, pad), m.data+size); err != nil {
				return fmt.Errorf("write %s: %w", p, err)
			}
		}
		m.state = stKept
		return nil
	}
	return fmt.Errorf("%s: its header is not in the layout this sink writes", p)
}

// Settle drops every entry that is neither kept nor written by this run
// nor listed in keep (a folder entry stays), moving later entries down
// over the gaps, cuts the file after the last one and fsyncs it.
func (t *Tar) Settle(keep map[string]bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var w int64
	var kept []*member
	have := map[string]bool{}
	// A folder stays only above a file that does: one read back is
	// outside input, and a planted "acme/bagit.txt/" would turn a tag file
	// into a folder when the tar is extracted.
	parents := map[string]bool{"": true}
	for p := range keep {
		for i, r := range p {
			if r == '/' {
				parents[p[:i+1]] = true
			}
		}
	}
	buf := make([]byte, 1<<20)
	for _, m := range t.members {
		switch {
		case m.state == stPending:
			return fmt.Errorf("settle %s: %s is still being written", t.path, m.name)
		case m.room, m.dir && (m.state == stDone || m.headerOK) && parents[m.name]:
		case !m.dir && (m.state == stKept || m.state == stDone) && keep[m.name] && !have[m.name]:
			have[m.name] = true
		default:
			continue // dropped
		}
		n := m.end() - m.hdr
		if m.hdr != w {
			if err := t.move(m.hdr, w, n, buf); err != nil {
				return fmt.Errorf("settle %s: %w", t.path+fsx.PartialSuffix, err)
			}
			m.data += w - m.hdr
			m.hdr = w
		}
		w += n
		kept = append(kept, m)
	}
	for p := range keep {
		if !have[p] {
			return fmt.Errorf("settle %s: %s is not in the tar", t.path, p)
		}
	}
	t.members = kept
	t.tail = w
	if err := t.f.Truncate(w); err != nil {
		return fmt.Errorf("settle %s: %w", t.path+fsx.PartialSuffix, err)
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.path+fsx.PartialSuffix, err)
	}
	t.settled = true
	return nil
}

// move copies n bytes from off to the lower offset to, front to back.
func (t *Tar) move(off, to, n int64, buf []byte) error {
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := t.f.ReadAt(buf[:k], off); err != nil {
			return err
		}
		if _, err := t.f.WriteAt(buf[:k], to); err != nil {
			return err
		}
		off, to, n = off+k, to+k, n-k
	}
	return nil
}

// Finish writes the tag files into their room (after the payload when
// they do not fit) and the end of the archive, fsyncs and
// renames FILE.partial to FILE, and removes FILE.parts. Run only to finish
// a bag signed earlier (killed after the signature), it first proves
// every payload entry against the signed manifest.
func (t *Tar) Finish(created time.Time) error {
	retry := fmt.Sprintf("; the signed bag is kept in %s and %s: run the same command again to retry", t.parts.Path(), t.path+fsx.PartialSuffix)
	if !t.settled {
		if err := t.proveSigned(created); err != nil {
			return fmt.Errorf("create %s: %w", t.path, err)
		}
	}
	// The top folder was begun before the bag's time was known.
	if _, err := t.f.WriteAt(tarHeader(t.prefix+"/", typeDir, 0, created, false), 0); err != nil {
		return fmt.Errorf("create %s: %w%s", t.path, err, retry)
	}
	tags, err := t.serializeTags(created)
	if err != nil {
		return fmt.Errorf("create %s: %w%s", t.path, err, retry)
	}
	room := t.members[1]
	switch n := int64(len(tags)); {
	case n == 0:
	case n >= blockSize+int64(len(roomHead(room.data-room.hdr-blockSize))) && n+2*blockSize <= room.data-room.hdr:
		err = t.tagsIntoRoom(room, tags, created)
	default:
		// Too many for the room: after the payload, where a stream
		// reader finds them only at the end.
		_, err = t.f.WriteAt(tags, t.tail)
		t.tail += int64(len(tags))
	}
	if err != nil {
		return fmt.Errorf("create %s: add the tag files: %w%s", t.path, err, retry)
	}
	end := t.tail + 2*blockSize
	err = t.f.Truncate(end)
	if err == nil {
		err = t.f.Sync()
	}
	if err == nil {
		err = t.f.Close()
		t.f = nil
	}
	base := filepath.Base(t.path)
	if err == nil {
		err = t.pfs.Rename(base+fsx.PartialSuffix, base)
	}
	if err == nil {
		err = t.pfs.SyncDir(".")
	}
	if err != nil {
		return fmt.Errorf("create %s: %w%s", t.path, err, retry)
	}
	if err := t.pfs.RemoveAll(base + PartsSuffix); err != nil {
		return fmt.Errorf("create %s: remove %s: %w", t.path, t.parts.Path(), err)
	}
	return t.pfs.SyncDir(".")
}

// proveSigned keeps the payload entries whose bytes hash to what the
// signed manifest lists, and settles the tar to them.
func (t *Tar) proveSigned(created time.Time) error {
	f, err := t.fs.Open(manifest.ManifestFile)
	if err != nil {
		return err
	}
	data, err := bagit.ReadCapped(f, manifest.ManifestFile)
	f.Close()
	if err != nil {
		return err
	}
	lines, err := bagit.ParseManifest(data)
	if err != nil {
		return fmt.Errorf("%s: %w", manifest.ManifestFile, err)
	}
	keep := map[string]bool{}
	for _, l := range lines {
		r, n, err := t.Open(l.Path)
		if err != nil {
			return fmt.Errorf("%s of the signed bag is not in %s: remove it and %s, and create the bundle again", l.Path, t.path+fsx.PartialSuffix, t.parts.Path())
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil || hex.EncodeToString(h.Sum(nil)) != l.SHA256 {
			return fmt.Errorf("%s in %s does not match the signed manifest: remove it and %s, and create the bundle again", l.Path, t.path+fsx.PartialSuffix, t.parts.Path())
		}
		if err := t.Keep(l.Path, n, created); err != nil {
			return err
		}
		keep[l.Path] = true
	}
	return t.Settle(keep)
}

// serializeTags returns the tag files in FS, in bagit.TagOrder, as tar
// entries.
func (t *Tar) serializeTags(created time.Time) ([]byte, error) {
	var out []byte
	for _, name := range bagit.TagOrder {
		fi, err := t.fs.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", name)
		}
		f, err := t.fs.Open(name)
		if err != nil {
			return nil, err
		}
		data, err := bagit.ReadCapped(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, tarHeader(t.prefix+"/"+name, typeReg, int64(len(data)), created, false)...)
		out = append(out, data...)
		out = append(out, make([]byte, padded(int64(len(data)))-int64(len(data)))...)
	}
	return out, nil
}

func (t *Tar) Close() error {
	if t.f != nil {
		t.f.Close()
	}
	t.parts.Close()
	return t.parent.Close()
}
