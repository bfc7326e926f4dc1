package bundle

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// The incomplete marker doubles as create's journal, so that one file says
// both "unfinished" and how far it got. Line 1 is a stateHeader; each later
// line is a doneRecord appended after a stored file was renamed into place.
// A kill -9 can tear only the last line, which is then ignored and its
// file redone. On resume every record is checked again by re-hashing the
// stored file before it is kept.
//
// Finishing replaces the marker's content with the signature (write a
// temporary file, rename it over the marker) and then renames the marker
// to the signature's name. That last rename removes the marker and makes
// the signature appear in one atomic step, so no crash leaves a signed bag
// with a marker or an unsigned bag without one.

const stateKind = "exitbundle-create/1"

// ErrFinished is returned when create is pointed at a finished bundle,
// which it never overwrites.
var ErrFinished = errors.New("the output is a finished, signed bundle; exitbundle never overwrites one: choose another output")

// ErrNotOurs is returned when the output holds something other than an
// unfinished bundle of the same create command.
var ErrNotOurs = errors.New("the output is not empty and is not an unfinished bundle of this command: choose an empty or new output")

type stateHeader struct {
	Kind    string    `json:"kind"`
	ID      string    `json:"id"` // External-Identifier, kept across resumes
	Created time.Time `json:"created"`
	Params  string    `json:"params"` // hash of what decides the stored bytes
}

type doneRecord struct {
	Key          string `json:"key"`  // <vm>/<plaintext name>
	Path         string `json:"path"` // bag path of the stored file
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	StoredSize   int64  `json:"stored_size"`
	StoredSHA256 string `json:"stored_sha256"`
	Compression  string `json:"compression,omitempty"`
	Encrypted    bool   `json:"encrypted,omitempty"`
}

type state struct {
	dir    string
	header stateHeader
	mu     sync.Mutex
	f      *os.File
	done   map[string]doneRecord
}

// paramsHash fingerprints what decides a stored file's bytes, so a resume
// with other sources, recipients or compression is refused instead of
// mixing two kinds of files in one bundle.
func paramsHash(opts *CreateOptions) string {
	h := sha256.New()
	for _, s := range opts.Sources {
		fmt.Fprintf(h, "source %q\n", s.String())
	}
	names := append([]string(nil), opts.RecipientNames...)
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "recipient %q\n", n)
	}
	fmt.Fprintf(h, "recipients %d passphrase %v compress %q\n", len(opts.Recipients), len(opts.Passphrase) > 0, opts.Compress)
	return hex.EncodeToString(h.Sum(nil))
}

// openState claims dir for this create: a new or empty folder gets a fresh
// marker; a folder with a marker of the same parameters is resumed.
// resumeSigned reports a folder whose signature was written into the
// marker but not yet renamed: only the final rename is left to do.
func openState(dir string, params string, now time.Time) (st *state, resumeSigned bool, err error) {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, false, fmt.Errorf("output %s exists and is not a folder: %w", dir, ErrNotOurs)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("create output folder: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, fmt.Errorf("read output folder: %w", err)
	}
	marker := filepath.Join(dir, IncompleteMarker)
	if len(entries) == 0 {
		return newState(dir, params, now)
	}
	data, err := os.ReadFile(marker)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(dir, SignatureFile)); serr == nil {
			return nil, false, fmt.Errorf("output %s: %w", dir, ErrFinished)
		}
		return nil, false, fmt.Errorf("output %s: %w", dir, ErrNotOurs)
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", marker, err)
	}
	if bytes.HasPrefix(data, []byte("-----BEGIN SSH SIGNATURE-----")) {
		return &state{dir: dir}, true, nil
	}
	st = &state{dir: dir, done: map[string]doneRecord{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			first = false
			if err := json.Unmarshal(line, &st.header); err != nil || st.header.Kind != stateKind {
				return nil, false, fmt.Errorf("output %s: marker %s is not exitbundle's: %w", dir, IncompleteMarker, ErrNotOurs)
			}
			continue
		}
		var r doneRecord
		if json.Unmarshal(line, &r) != nil || r.Key == "" {
			continue // torn by a kill: that file is redone
		}
		st.done[r.Key] = r
	}
	if first {
		// Killed between creating the marker and writing its first line.
		return newStateOver(dir, params, now, entries)
	}
	if st.header.Params != params {
		return nil, false, fmt.Errorf("output %s is an unfinished bundle started with other sources, recipients or compression; run exactly the same command to resume it, or choose a new output: %w", dir, ErrNotOurs)
	}
	st.f, err = os.OpenFile(marker, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", marker, err)
	}
	// End a torn last line so the next record starts on a line of its own.
	if data[len(data)-1] != '\n' {
		if _, err := st.f.Write([]byte("\n")); err != nil {
			st.f.Close()
			return nil, false, fmt.Errorf("write %s: %w", marker, err)
		}
	}
	return st, false, nil
}

func newStateOver(dir, params string, now time.Time, entries []os.DirEntry) (*state, bool, error) {
	for _, e := range entries {
		if e.Name() != IncompleteMarker {
			return nil, false, fmt.Errorf("output %s: empty marker beside other files: %w", dir, ErrNotOurs)
		}
	}
	os.Remove(filepath.Join(dir, IncompleteMarker))
	return newState(dir, params, now)
}

func newState(dir, params string, now time.Time) (*state, bool, error) {
	id := make([]byte, 16)
	rand.Read(id)
	st := &state{dir: dir, done: map[string]doneRecord{}, header: stateHeader{
		Kind:    stateKind,
		ID:      "urn:uuid:" + uuid(id),
		Created: now.UTC().Truncate(time.Second),
		Params:  params,
	}}
	marker := filepath.Join(dir, IncompleteMarker)
	f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("create %s: %w", marker, err)
	}
	line, _ := json.Marshal(st.header)
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write %s: %w", marker, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write %s: %w", marker, err)
	}
	syncDir(dir)
	st.f = f
	return st, false, nil
}

func uuid(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// record appends a done record after its file was renamed into place.
func (s *state) record(r doneRecord) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done[r.Key] = r
	if _, err := s.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", IncompleteMarker, err)
	}
	return nil
}

func (s *state) lookup(key string) (doneRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.done[key]
	return r, ok
}

func (s *state) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// finish writes the signature last: into the marker first, then renames the
// marker to the signature's name.
func (s *state) finish(sig []byte) error {
	s.close()
	marker := filepath.Join(s.dir, IncompleteMarker)
	tmp := marker + ".sig-partial"
	if err := writeFileSync(tmp, sig); err != nil {
		return err
	}
	if err := os.Rename(tmp, marker); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	syncDir(s.dir)
	return s.finishRename()
}

func (s *state) finishRename() error {
	marker := filepath.Join(s.dir, IncompleteMarker)
	if err := os.Rename(marker, filepath.Join(s.dir, SignatureFile)); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	syncDir(s.dir)
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
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
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeAtomic writes data to path through path.partial and a rename, so a
// reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".partial"
	if err := writeFileSync(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // not supported everywhere (Windows); best effort
		d.Close()
	}
}

// hashFile returns a file's size and SHA-256, for checking a done record.
func hashFile(path string, buf []byte) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func isPartialName(name string) bool { return strings.HasSuffix(name, ".partial") }
