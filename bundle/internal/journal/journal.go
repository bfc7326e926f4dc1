// Package journal is create's resume journal. The bundle's incomplete
// marker doubles as the journal, so that one file says both "unfinished"
// and how far it got: line 1 is a Header; each later line is a Record
// appended as a stored file is committed (just before its rename into
// place, or its tar header). A kill -9 can tear only the last line, which
// is then ignored and its file redone; a record whose file never got in
// place is redone too, since on resume the caller checks every record
// again (by re-hashing the stored file) before it keeps it.
//
// The journal is outside input: anyone who can write to the output folder
// can plant one. So the header and every record carry an HMAC-SHA256 under
// a key that only the holder of the signing key can derive (DeriveKey;
// the caller passes it to Open): a header that does not
// verify makes Open refuse the folder, and a record that does not verify
// is dropped, so its file is redone. A record's MAC covers the bundle's
// identifier, so records cannot be moved between bundles, and the source
// identity the caller records, so a file read from another source is not
// kept.
//
// Seal writes the signature last: into the marker first (a temporary file
// renamed over it), then renames the marker to the signature's name. That
// last rename removes the marker and makes the signature appear in one
// atomic step, so no crash leaves a signed bag with a marker or an
// unsigned bag without one.
//
// Call Open on the output folder; Record after each stored file; Seal at
// the end.
package journal

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

const kind = "exitbundle-create/1"

// maxSize bounds the journal as it is read back: one line per stored file.
const maxSize = 64 << 20

// ErrFinished is returned when create is pointed at a finished bundle,
// which it never overwrites.
var ErrFinished = manifest.ErrFinished

// ErrNotOurs is returned when the output holds something other than an
// unfinished bundle of the same create command.
var ErrNotOurs = manifest.ErrNotOurs

// Header is the journal's first line.
type Header struct {
	Kind    string    `json:"kind"`
	ID      string    `json:"id"` // External-Identifier, kept across resumes
	Created time.Time `json:"created"`
	Params  string    `json:"params"` // hash of what decides the stored bytes
	MAC     string    `json:"mac,omitempty"`
}

// Record says a stored file is done.
type Record struct {
	Key          string `json:"key"`  // <vm>/<plaintext name>
	Path         string `json:"path"` // bag path of the stored file
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	StoredSize   int64  `json:"stored_size"`
	StoredSHA256 string `json:"stored_sha256"`
	Compression  string `json:"compression,omitempty"`
	Encrypted    bool   `json:"encrypted,omitempty"`
	// Source identifies what was read (source, file, size, modification
	// time); the caller keeps a record only when it still matches.
	Source string `json:"source,omitempty"`
	MAC    string `json:"mac,omitempty"`
}

// Journal is an open journal.
type Journal struct {
	Header Header

	fsys fsx.FS
	key  []byte
	mu   sync.Mutex
	f    fsx.File
	done map[string]Record
}

// ErrForged is wrapped (beside ErrNotOurs) when a journal's header does
// not verify under key: it was not written by a create with this signing
// key and these encryption keys.
var ErrForged = errors.New("the resume journal was not written by a create with this signing key")

// Open claims the output folder fsys for a create with these params: a
// new or empty folder gets a fresh journal; a folder with a journal of the
// same params whose header verifies under key is resumed, keeping only
// the records that verify. resumeSigned reports a folder whose signature
// was written into the marker but not yet renamed: only Seal's last step,
// FinishSeal, is left to do.
func Open(fsys fsx.FS, params string, key []byte, now time.Time) (j *Journal, resumeSigned bool, err error) {
	all, err := fsys.ReadDir(".")
	if err != nil {
		return nil, false, fmt.Errorf("read output folder: %w", err)
	}
	var entries []fs.DirEntry // but the lock's holder file an earlier, killed run left
	for _, e := range all {
		if e.Name() != manifest.LockFile {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return create(fsys, params, key, now)
	}
	data, err := readMarker(fsys)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := fsys.Lstat(manifest.SignatureFile); serr == nil {
			return nil, false, ErrFinished
		}
		return nil, false, ErrNotOurs
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", manifest.IncompleteMarker, err)
	}
	if bytes.HasPrefix(data, []byte("-----BEGIN SSH SIGNATURE-----")) {
		return &Journal{fsys: fsys}, true, nil
	}
	j = &Journal{fsys: fsys, key: key, done: map[string]Record{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			first = false
			if err := json.Unmarshal(line, &j.Header); err != nil || j.Header.Kind != kind {
				return nil, false, fmt.Errorf("marker %s is not exitbundle's: %w", manifest.IncompleteMarker, ErrNotOurs)
			}
			continue
		}
		var r Record
		if json.Unmarshal(line, &r) != nil || r.Key == "" {
			continue // torn by a kill: that file is redone
		}
		if !hmac.Equal([]byte(r.MAC), []byte(j.recordMAC(r))) {
			continue // not written by this create: that file is redone
		}
		j.done[r.Key] = r
	}
	if first {
		// Killed between creating the marker and writing its first line.
		for _, e := range entries {
			if e.Name() != manifest.IncompleteMarker {
				return nil, false, fmt.Errorf("empty marker beside other files: %w", ErrNotOurs)
			}
		}
		if err := fsys.Remove(manifest.IncompleteMarker); err != nil {
			return nil, false, err
		}
		return create(fsys, params, key, now)
	}
	if j.Header.Params != params {
		return nil, false, fmt.Errorf("an unfinished bundle started with other sources, recipients or compression; run exactly the same command to resume it, or choose a new output: %w", ErrNotOurs)
	}
	if !hmac.Equal([]byte(j.Header.MAC), []byte(j.headerMAC())) {
		return nil, false, fmt.Errorf("%w (or another passphrase), so nothing in this folder can be trusted to be what create read: resume with the signing key and passphrase that started it, or choose a new output folder: %w", ErrForged, ErrNotOurs)
	}
	j.f, err = fsys.Append(manifest.IncompleteMarker)
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", manifest.IncompleteMarker, err)
	}
	// End a torn last line so the next record starts on a line of its own.
	if data[len(data)-1] != '\n' {
		if _, err := j.f.Write([]byte("\n")); err != nil {
			j.f.Close()
			return nil, false, fmt.Errorf("write %s: %w", manifest.IncompleteMarker, err)
		}
	}
	if err := j.hold(now); err != nil {
		j.Close()
		return nil, false, err
	}
	return j, false, nil
}

// hold writes who holds the folder's lock (see manifest.LockFile), for
// the message of a second create into it.
func (j *Journal) hold(now time.Time) error {
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s, started %s\n", os.Getpid(), host, now.UTC().Format(time.RFC3339))
	if err := fsx.WriteFile(j.fsys, manifest.LockFile, []byte(info), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", manifest.LockFile, err)
	}
	return nil
}

func readMarker(fsys fsx.FS) ([]byte, error) {
	f, err := fsys.Open(manifest.IncompleteMarker)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(&limited{f: f, n: maxSize}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type limited struct {
	f interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("%s is larger than %d MiB", manifest.IncompleteMarker, maxSize>>20)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

func create(fsys fsx.FS, params string, key []byte, now time.Time) (*Journal, bool, error) {
	id := make([]byte, 16)
	rand.Read(id)
	j := &Journal{fsys: fsys, key: key, done: map[string]Record{}, Header: Header{
		Kind:    kind,
		ID:      "urn:uuid:" + uuid(id),
		Created: now.UTC().Truncate(time.Second),
		Params:  params,
	}}
	j.Header.MAC = j.headerMAC()
	f, err := fsys.Create(manifest.IncompleteMarker, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("create %s: %w", manifest.IncompleteMarker, err)
	}
	line, _ := json.Marshal(j.Header)
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = fsys.SyncDir(".")
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write %s: %w", manifest.IncompleteMarker, err)
	}
	j.f = f
	if err := j.hold(now); err != nil {
		j.Close()
		return nil, false, err
	}
	return j, false, nil
}

func uuid(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// headerMAC authenticates the header: everything in it but the MAC.
func (j *Journal) headerMAC() string {
	h := j.Header
	h.MAC = ""
	b, _ := json.Marshal(h)
	return j.mac("header", b)
}

// recordMAC authenticates a record within this bundle: everything in it
// but the MAC, and the bundle's identifier.
func (j *Journal) recordMAC(r Record) string {
	r.MAC = ""
	b, _ := json.Marshal(r)
	return j.mac("record "+j.Header.ID, b)
}

func (j *Journal) mac(domain string, b []byte) string {
	m := hmac.New(sha256.New, j.key)
	m.Write([]byte(kind + "\x00" + domain + "\x00"))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// Record appends a done record as its file is committed.
func (j *Journal) Record(r Record) error {
	r.MAC = j.recordMAC(r)
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", manifest.IncompleteMarker, err)
	}
	j.done[r.Key] = r
	return nil
}

// Lookup returns the done record of key, if any.
func (j *Journal) Lookup(key string) (Record, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.done[key]
	return r, ok
}

// Close closes the journal without finishing it.
func (j *Journal) Close() {
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
}

// Seal writes the signature last: into the marker first, then renames the
// marker to the signature's name.
func (j *Journal) Seal(sig []byte) error {
	j.Close()
	if err := j.fsys.Remove(manifest.LockFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", manifest.LockFile, err)
	}
	if err := fsx.WriteFile(j.fsys, manifest.IncompleteMarker, sig, 0o644); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	return j.FinishSeal()
}

// FinishSeal is Seal's last step: the marker, which holds the signature,
// becomes the signature file.
func (j *Journal) FinishSeal() error {
	if err := j.fsys.Remove(manifest.LockFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", manifest.LockFile, err)
	}
	if err := j.fsys.Rename(manifest.IncompleteMarker, manifest.SignatureFile); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	if err := j.fsys.SyncDir("."); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	return nil
}

// Plan is what a create plans for one file, against which a record is
// checked before the file is kept.
type Plan struct {
	Key, Source string // as recorded
	Path        string // the plaintext file's bag path: .zst and .age are added as stored
	Compress    string // none, zstd or auto
	Encrypted   bool
}

// Resumable returns the record of p.Key if it describes exactly the file
// p plans, under exactly the name it would have: even a record that
// verifies says nothing about where a file may be that create would not
// choose itself. The caller still re-hashes the stored file.
func (j *Journal) Resumable(p Plan) (Record, bool) {
	r, ok := j.Lookup(p.Key)
	if !ok || r.Source != p.Source || r.Encrypted != p.Encrypted {
		return Record{}, false
	}
	want := p.Path
	switch {
	case r.Compression == "" && p.Compress != "zstd":
	case r.Compression == "zstd" && p.Compress != "none":
		want += ".zst"
	default:
		return Record{}, false
	}
	if p.Encrypted {
		want += ".age"
	}
	return r, r.Path == want
}
