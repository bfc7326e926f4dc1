package check

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/internal/pipeline"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/seal"
)

// The scanning half of verify: read every file of a bag exactly once,
// hashing it as it comes and, where the stored form can be decoded,
// decrypting and decompressing it into a second hash. What the bytes
// should be is decided afterwards, in evaluate, from the manifests the scan
// kept; so a tar can be read front to back in one pass whatever order its
// members come in.

// Scanned is what one file of the bag turned out to be.
type Scanned struct {
	Path   string // bag path, / separated
	Size   int64
	SHA256 string // of the stored bytes
	Data   []byte // content, for metadata files only
	Err    error  // reading failed

	// Sums are the stored bytes' digests for the other algorithms the
	// bag's manifests use (md5, sha1, sha512), by algorithm.
	Sums map[string]string

	// Plain is set when the stored form was decoded (or is itself the
	// plaintext): the plaintext's size and hash, or why decoding failed.
	Plain *pipeline.Plain
}

// StoredForm says how a payload file is stored, from its name: create
// names them <plaintext name>[.zst][.age].
func StoredForm(p string) (encrypted, compressed bool) {
	if !inPayload(p) {
		return false, false
	}
	base := path.Base(p)
	if strings.HasSuffix(base, ".age") {
		encrypted = true
		base = strings.TrimSuffix(base, ".age")
	}
	return encrypted, strings.HasSuffix(base, ".zst")
}

// inPayload says whether p lies under data/, also in a tar whose members
// sit in one top-level folder (bag/data/...), which is stripped later.
func inPayload(p string) bool {
	if strings.HasPrefix(p, "data/") {
		return true
	}
	i := strings.Index(p, "/data/")
	return i > 0 && !strings.Contains(p[:i], "/")
}

// keepCap is how much of a file verify keeps to read it as metadata (the
// cap of its kind: bagit.MetadataCap), or 0 for a file only hashed: the
// payload, the index, README. p may still carry a streamed tar's top
// folder.
func keepCap(p string) int {
	switch {
	case inPayload(p):
		return bagit.MetadataCap(p[strings.Index("/"+p, "/data/"):])
	case strings.Count(p, "/") <= 1:
		return bagit.MetadataCap(path.Base(p))
	}
	return 0
}

// scanOne reads r to its end: stored hash always, plaintext hash when the
// stored form can be decoded with ids. A decoding failure does not stop
// the stored hash, which is what a drive without keys is checked by.
func scanOne(ctx context.Context, p string, r io.Reader, opts *ScanOptions, gate *Gate) *Scanned {
	s := &Scanned{Path: p}
	stored := sha256.New()
	var keep *bytes.Buffer
	var src io.Reader = &pipeline.CountingReader{R: r, N: &s.Size}
	src = io.TeeReader(src, stored)
	// Tag files are small: every digest, so that any tag manifest can be
	// checked even in a stream; the payload only for the manifests the bag
	// holds.
	algs := opts.Algorithms
	if !inPayload(p) {
		algs = extraAlgorithms
	}
	extra := map[string]hash.Hash{}
	for _, a := range algs {
		if h := newHash(a); h != nil {
			extra[a] = h
			src = io.TeeReader(src, h)
		}
	}
	read := gate.readBefore(p)
	if n := keepCap(p); n > 0 && read == nil {
		keep = &bytes.Buffer{}
		src = io.TeeReader(src, &limitedBuffer{b: keep, max: n})
	}
	src = &pipeline.CtxReader{Ctx: ctx, R: src}

	encrypted, compressed := StoredForm(p)
	limit, decodable := gate.Limit(p)
	switch {
	case encrypted && len(opts.Identities) == 0:
		// Only the stored hash can be checked without keys.
	case (encrypted || compressed) && !decodable:
		// Not listed in the signed exit manifest (or the signature
		// failed): its stored hash is checked, nothing is decoded.
	case encrypted || compressed:
		// Two stages, so that one large file uses two cores: this
		// goroutine reads and hashes the stored bytes, a second one
		// decrypts, decompresses and hashes the plaintext.
		s.Plain, s.Err = pipeline.DecodeBeside(src, encrypted, compressed, opts.Identities, limit)
	default:
		// The stored bytes are the plaintext.
	}
	if s.Err == nil { // src is at its end after decodeBeside: nothing left to copy
		buf := make([]byte, pipeline.BufSize)
		if _, err := io.CopyBuffer(io.Discard, src, buf); err != nil {
			s.Err = err
		}
	}
	s.SHA256 = hex.EncodeToString(stored.Sum(nil))
	if len(extra) > 0 {
		s.Sums = map[string]string{}
		for a, h := range extra {
			s.Sums[a] = hex.EncodeToString(h.Sum(nil))
		}
	}
	if keep != nil && int64(keep.Len()) == s.Size {
		s.Data = append([]byte{}, keep.Bytes()...) // non-nil even when empty
	}
	if read != nil && read.SHA256 == s.SHA256 && read.Data != nil {
		s.Data = read.Data // the same bytes, kept once
	}
	if !encrypted && !compressed && s.Err == nil && inPayload(p) {
		s.Plain = &pipeline.Plain{Size: s.Size, SHA256: s.SHA256}
	}
	return s
}

// limitedBuffer keeps the first max bytes written and swallows the rest,
// never failing the tee it sits in.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}

// Result is everything the scan saw: files by bag path, and entries
// that are not regular files or have unsafe names.
type Result struct {
	Files    map[string]*Scanned
	Problems []FileProblem
	// DecodeNote says why payload files were not decoded, when the Gate
	// refused them.
	DecodeNote string
}

// ScanOptions says how to read a bag and what may be decoded.
type ScanOptions struct {
	Jobs       int
	Identities []age.Identity
	Progress   func(*Scanned)
	// Pin is the expected signer: decoding waits for its signature.
	Pin *seal.Pin
	// Force decodes even when the signature does not verify (still
	// bounded by the sizes exit-manifest.json declares).
	Force bool
	// Algorithms are the digests besides SHA-256 to compute of payload
	// files: those of the bag's other manifests. Scan finds them itself.
	Algorithms []string
}

// extraAlgorithms are the RFC 8493 algorithms besides SHA-256.
var extraAlgorithms = []string{"md5", "sha1", "sha512"}

func newHash(alg string) hash.Hash {
	switch alg {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// manifestAlgorithms lists the algorithms besides SHA-256 of the payload
// manifests among names (bag paths at the root).
func manifestAlgorithms(names []string) []string {
	var out []string
	for _, n := range names {
		if alg, tag, ok := bagit.ManifestName(n); ok && !tag && newHash(alg) != nil && !slices.Contains(out, alg) {
			out = append(out, alg)
		}
	}
	return out
}

// Scan reads every regular file of the bag, Jobs at a time, largest
// first so that the last file to finish is a small one. Links and special
// files are reported, never read. The trust files are read first, so
// that the Gate knows what may be decoded before any payload byte.
func Scan(ctx context.Context, bag *bagit.Bag, opts ScanOptions) (*Result, error) {
	res := &Result{Files: map[string]*Scanned{}}
	jobs, progress := opts.Jobs, opts.Progress
	trust, err := ReadTrustFiles(bag)
	if err != nil {
		trust = &Result{Files: map[string]*Scanned{}}
	}
	var names []string
	for _, e := range bag.Entries() {
		names = append(names, e.Name)
	}
	opts.Algorithms = manifestAlgorithms(names)
	gate := NewGate(trust, opts.Pin, opts.Force)
	gate.trust = trust.Files
	res.DecodeNote = gate.Note
	for _, p := range bag.Problems() {
		res.Problems = append(res.Problems, FileProblem{Path: p.Name, Problem: p.Problem})
	}
	var todo []bagit.Entry
	for _, e := range bag.Entries() {
		switch e.Kind {
		case bagit.Link:
			res.Problems = append(res.Problems, FileProblem{Path: e.Name, Problem: "is a symbolic link; a bundle holds regular files only"})
		case bagit.Other:
			res.Problems = append(res.Problems, FileProblem{Path: e.Name, Problem: "is not a regular file"})
		case bagit.Regular:
			todo = append(todo, e)
		}
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].Size > todo[j].Size })

	ch := make(chan bagit.Entry)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Go(func() {
			for e := range ch {
				s := scanEntry(ctx, bag, e.Name, &opts, gate)
				mu.Lock()
				res.Files[e.Name] = s
				if progress != nil {
					progress(s)
				}
				mu.Unlock()
			}
		})
	}
	for _, e := range todo {
		if ctx.Err() != nil {
			break
		}
		ch <- e
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func scanEntry(ctx context.Context, bag *bagit.Bag, name string, opts *ScanOptions, gate *Gate) *Scanned {
	f, err := bag.Open(name)
	if err != nil {
		return &Scanned{Path: name, Err: err}
	}
	defer f.Close()
	return scanOne(ctx, name, f, opts, gate)
}

// ScanStream reads a tar stream once, front to back. Each member's bytes go
// to a worker through a small queue of chunks, so that up to jobs members
// are hashed at once while memory stays at jobs x queue x pipeline.BufSize.
//
// The trust files are read in the loop itself, not by a worker, so that
// when the first payload member comes the Gate can judge them: a tar
// create wrote holds its tag files first. A tar whose payload comes first
// is still hashed whole, but nothing in it is decoded.
func ScanStream(ctx context.Context, r io.Reader, opts ScanOptions) (*Result, error) {
	res := &Result{Files: map[string]*Scanned{}}
	jobs, progress := opts.Jobs, opts.Progress
	var gate *Gate
	gated := false
	slots := make(chan struct{}, max(jobs, 1))
	pool := pipeline.NewPool(6 * max(jobs, 1))
	var mu sync.Mutex
	var wg sync.WaitGroup
	probs, readErr := bagit.WalkStream(r, func(name string, _ int64, body io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !inPayload(name) && isTrustFile(name) {
			s := scanOne(ctx, name, body, &opts, nil)
			mu.Lock()
			res.Files[name] = s
			if progress != nil {
				progress(s)
			}
			mu.Unlock()
			return nil
		}
		if inPayload(name) && !gated {
			gated = true
			prefix := name[:strings.Index("/"+name, "/data/")]
			trust := &Result{Files: map[string]*Scanned{}}
			mu.Lock()
			for p, s := range res.Files {
				if rel, ok := strings.CutPrefix(p, prefix); ok {
					trust.Files[rel] = s
				}
			}
			mu.Unlock()
			gate = NewGate(trust, opts.Pin, opts.Force)
			gate.prefix = prefix
			var names []string
			for p := range trust.Files {
				names = append(names, p)
			}
			opts.Algorithms = manifestAlgorithms(names)
			res.DecodeNote = gate.Note
		}
		slots <- struct{}{}
		chunks := make(chan *[]byte, 4)
		// The worker gets this member's gate and options: the loop sets
		// both when the first payload member comes, while workers for tag
		// members before it may still run.
		g, o := gate, opts
		wg.Add(1)
		go func() {
			defer wg.Done()
			cr := &pipeline.ChunkReader{Ch: chunks, Pool: pool}
			s := scanOne(ctx, name, cr, &o, g)
			cr.Drain()
			mu.Lock()
			res.Files[name] = s
			if progress != nil {
				progress(s)
			}
			mu.Unlock()
			<-slots
		}()
		var copyErr error
		for {
			if err := ctx.Err(); err != nil {
				copyErr = err
				break
			}
			bp := pool.Get()
			n, err := io.ReadFull(body, *bp)
			if n > 0 {
				b := (*bp)[:n]
				chunks <- &b
			} else {
				pool.Put(bp)
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				copyErr = err
				break
			}
		}
		close(chunks)
		if copyErr != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if copyErr != nil {
			return fmt.Errorf("read tar member %s: %w (the tar is truncated or damaged)", name, copyErr)
		}
		return nil
	})
	wg.Wait()
	for _, p := range probs {
		res.Problems = append(res.Problems, FileProblem{Path: p.Name, Problem: p.Problem})
	}
	if readErr != nil {
		return res, readErr
	}
	res.Files, res.Problems = stripTarRoot(res.Files, res.Problems)
	if _, ok := res.Files[manifest.BagItFile]; !ok {
		if _, ok := res.Files[manifest.IncompleteMarker]; !ok {
			return res, fmt.Errorf("%w: the tar holds no %s and no %s", manifest.ErrNotABundle, manifest.BagItFile, manifest.IncompleteMarker)
		}
	}
	return res, nil
}

// isTrustFile says whether a tar member is one of TrustFiles, at the
// root or in one top folder.
func isTrustFile(name string) bool {
	if strings.Count(name, "/") > 1 {
		return false
	}
	base := path.Base(name)
	if _, _, ok := bagit.ManifestName(base); ok {
		return true
	}
	for _, t := range TrustFiles {
		if base == t {
			return true
		}
	}
	return false
}

// stripTarRoot removes the one top folder holding the bag from member
// names (bagit.TopFolder). The plaintext decision by name is unaffected:
// it looks at the base name only, except for the data/ prefix, which
// inPayload also finds below a top folder.
func stripTarRoot(files map[string]*Scanned, probs []FileProblem) (map[string]*Scanned, []FileProblem) {
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	prefix := bagit.TopFolder(names)
	if prefix == "" {
		return files, probs
	}
	out := make(map[string]*Scanned, len(files))
	for p, s := range files {
		if !strings.HasPrefix(p, prefix) {
			probs = append(probs, FileProblem{Path: p, Problem: "lies outside the bag's folder " + strings.TrimSuffix(prefix, "/")})
			continue
		}
		s.Path = strings.TrimPrefix(p, prefix)
		out[s.Path] = s
	}
	for i := range probs {
		probs[i].Path = strings.TrimPrefix(probs[i].Path, prefix)
	}
	return out, probs
}
