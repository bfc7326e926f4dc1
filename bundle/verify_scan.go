package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/klauspost/compress/zstd"
)

// The scanning half of verify: read every file of a bag exactly once,
// hashing it as it comes and, where the stored form can be decoded,
// decrypting and decompressing it into a second hash. What the bytes
// should be is decided afterwards, in evaluate, from the manifests the scan
// kept; so a tar can be read front to back in one pass whatever order its
// members come in.

// maxKeep bounds a metadata file (tag files, .ovf, .mf) verify keeps in
// memory: the one cap of every reader.
const maxKeep = bagit.MaxMetadata

// scanChunk is the unit of reading: large enough for few syscalls, small
// enough that Jobs of them in flight stay a few MiB.
const scanChunk = 256 << 10

// scanned is what one file of the bag turned out to be.
type scanned struct {
	Path   string // bag path, / separated
	Size   int64
	SHA256 string // of the stored bytes
	Data   []byte // content, for metadata files only
	Err    error  // reading failed

	// Plain is set when the stored form was decoded (or is itself the
	// plaintext): the plaintext's size and hash, or why decoding failed.
	Plain *plainResult
}

type plainResult struct {
	Size   int64
	SHA256 string
	Err    error
}

// storedForm says how a payload file is stored, from its name: create
// names them <plaintext name>[.zst][.age].
func storedForm(p string) (encrypted, compressed bool) {
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

// keepContent says whether a file is metadata verify needs to read: tag
// files and, in the payload, descriptors and OVF manifests.
func keepContent(p string) bool {
	if !inPayload(p) {
		return strings.Count(p, "/") <= 1
	}
	switch path.Ext(p) {
	case ".ovf", ".mf":
		return true
	}
	return false
}

// scanOne reads r to its end: stored hash always, plaintext hash when the
// stored form can be decoded with ids. A decoding failure does not stop
// the stored hash, which is what a drive without keys is checked by.
func scanOne(ctx context.Context, p string, r io.Reader, ids []age.Identity) *scanned {
	s := &scanned{Path: p}
	stored := sha256.New()
	var keep *bytes.Buffer
	var src io.Reader = &countingReader{r: r, n: &s.Size}
	src = io.TeeReader(src, stored)
	if keepContent(p) {
		keep = &bytes.Buffer{}
		src = io.TeeReader(src, &limitedBuffer{b: keep, max: maxKeep})
	}
	src = &ctxReader{ctx: ctx, r: src}

	encrypted, compressed := storedForm(p)
	switch {
	case encrypted && len(ids) == 0:
		// Only the stored hash can be checked without keys.
	case encrypted || compressed:
		// Two stages, so that one large file uses two cores: this
		// goroutine reads and hashes the stored bytes, a second one
		// decrypts, decompresses and hashes the plaintext.
		s.Plain, s.Err = decodeBeside(src, encrypted, compressed, ids)
	default:
		// The stored bytes are the plaintext.
	}
	if s.Err == nil { // src is at its end after decodeBeside: nothing left to copy
		buf := make([]byte, scanChunk)
		if _, err := io.CopyBuffer(io.Discard, src, buf); err != nil {
			s.Err = err
		}
	}
	s.SHA256 = hex.EncodeToString(stored.Sum(nil))
	if keep != nil && int64(keep.Len()) == s.Size {
		s.Data = append([]byte{}, keep.Bytes()...) // non-nil even when empty
	}
	if !encrypted && !compressed && s.Err == nil && inPayload(p) {
		s.Plain = &plainResult{Size: s.Size, SHA256: s.SHA256}
	}
	return s
}

// decodeBeside reads src to its end, handing each chunk to a decoding
// goroutine through a short queue; memory stays at a few chunks.
func decodeBeside(src io.Reader, encrypted, compressed bool, ids []age.Identity) (*plainResult, error) {
	pool := newChunkPool(6)
	ch := make(chan *[]byte, 4)
	done := make(chan *plainResult, 1)
	go func() {
		cr := &chunkReader{ch: ch, pool: pool}
		res := decodeInto(io.Discard, cr, encrypted, compressed, ids)
		cr.drain()
		done <- res
	}()
	var readErr error
	for {
		bp := pool.get()
		n, err := io.ReadFull(src, *bp)
		if n > 0 {
			b := (*bp)[:n]
			ch <- &b
		} else {
			pool.put(bp)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	close(ch)
	res := <-done
	if readErr != nil && res.Err == nil {
		res.Err = fmt.Errorf("read: %w", readErr)
	}
	return res, readErr
}

// decodeInto decrypts and decompresses src into w, hashing the plaintext.
// It reads src only as far as decoding goes; the caller drains the rest.
func decodeInto(w io.Writer, src io.Reader, encrypted, compressed bool, ids []age.Identity) *plainResult {
	res := &plainResult{}
	r := src
	if encrypted {
		dr, err := age.Decrypt(r, ids...)
		if err != nil {
			res.Err = describeDecryptError(err)
			return res
		}
		r = dr
	}
	if compressed {
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			res.Err = fmt.Errorf("zstd: %w", err)
			return res
		}
		defer zr.Close()
		r = zr
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), r, make([]byte, scanChunk))
	res.Size = n
	if err != nil {
		res.Err = describeDecryptError(err)
		return res
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	return res
}

func describeDecryptError(err error) error {
	var nomatch *age.NoIdentityMatchError
	if errors.As(err, &nomatch) {
		return fmt.Errorf("no given identity can decrypt it (wrong key or passphrase?): %w", err)
	}
	return err
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
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

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// scanResult is everything the scan saw: files by bag path, and entries
// that are not regular files or have unsafe names.
type scanResult struct {
	Files    map[string]*scanned
	Problems []FileProblem
}

// scanBag reads every regular file of the bag, Jobs at a time, largest
// first so that the last file to finish is a small one. Links and special
// files are reported, never read.
func scanBag(ctx context.Context, bag *bagit.Bag, jobs int, ids []age.Identity, progress func(*scanned)) (*scanResult, error) {
	res := &scanResult{Files: map[string]*scanned{}}
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
				s := scanEntry(ctx, bag, e.Name, ids)
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

func scanEntry(ctx context.Context, bag *bagit.Bag, name string, ids []age.Identity) *scanned {
	f, err := bag.Open(name)
	if err != nil {
		return &scanned{Path: name, Err: err}
	}
	defer f.Close()
	return scanOne(ctx, name, f, ids)
}

// scanTar reads a tar stream once, front to back. Each member's bytes go
// to a worker through a small queue of chunks, so that up to jobs members
// are hashed at once while memory stays at jobs x queue x scanChunk.
func scanTar(ctx context.Context, r io.Reader, jobs int, ids []age.Identity, progress func(*scanned)) (*scanResult, error) {
	res := &scanResult{Files: map[string]*scanned{}}
	slots := make(chan struct{}, max(jobs, 1))
	pool := newChunkPool(6 * max(jobs, 1))
	var mu sync.Mutex
	var wg sync.WaitGroup
	probs, readErr := bagit.WalkStream(r, func(name string, _ int64, body io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		slots <- struct{}{}
		chunks := make(chan *[]byte, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cr := &chunkReader{ch: chunks, pool: pool}
			s := scanOne(ctx, name, cr, ids)
			cr.drain()
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
			bp := pool.get()
			n, err := io.ReadFull(body, *bp)
			if n > 0 {
				b := (*bp)[:n]
				chunks <- &b
			} else {
				pool.put(bp)
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
	if _, ok := res.Files[BagItFile]; !ok {
		if _, ok := res.Files[IncompleteMarker]; !ok {
			return res, fmt.Errorf("%w: the tar holds no %s and no %s", ErrNotABundle, BagItFile, IncompleteMarker)
		}
	}
	return res, nil
}

// stripTarRoot removes the one top folder holding the bag from member
// names (bagit.TopFolder). The plaintext decision by name is unaffected:
// it looks at the base name only, except for the data/ prefix, which
// inPayload also finds below a top folder.
func stripTarRoot(files map[string]*scanned, probs []FileProblem) (map[string]*scanned, []FileProblem) {
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	prefix := bagit.TopFolder(names)
	if prefix == "" {
		return files, probs
	}
	out := make(map[string]*scanned, len(files))
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

// chunkReader reads the chunks the tar loop sends, returning each buffer
// to the pool once consumed.
//
// The pool is a fixed set of buffers, not a sync.Pool: at a gigabyte a
// second a sync.Pool is emptied by every collection and turns into
// garbage, which grows the heap; a fixed set keeps memory exact.
type chunkReader struct {
	ch   chan *[]byte
	pool *chunkPool
	cur  *[]byte
	off  int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.cur == nil || c.off == len(*c.cur) {
		if c.cur != nil {
			c.pool.put(c.cur)
			c.cur = nil
		}
		b, ok := <-c.ch
		if !ok {
			return 0, io.EOF
		}
		c.cur, c.off = b, 0
	}
	n := copy(p, (*c.cur)[c.off:])
	c.off += n
	return n, nil
}

// chunkPool hands out at most n buffers of scanChunk bytes, allocating
// them on first use; get blocks while all are in use.
type chunkPool struct {
	free  chan *[]byte
	mu    sync.Mutex
	made  int
	limit int
}

func newChunkPool(n int) *chunkPool {
	return &chunkPool{free: make(chan *[]byte, n), limit: n}
}

func (p *chunkPool) get() *[]byte {
	select {
	case b := <-p.free:
		return b
	default:
	}
	p.mu.Lock()
	if p.made < p.limit {
		p.made++
		p.mu.Unlock()
		b := make([]byte, scanChunk)
		return &b
	}
	p.mu.Unlock()
	return <-p.free
}

func (p *chunkPool) put(b *[]byte) {
	*b = (*b)[:cap(*b)]
	p.free <- b
}

// drain consumes what is left, so the tar loop never blocks on a worker
// that stopped early (a cancelled context).
func (c *chunkReader) drain() {
	if c.cur != nil {
		c.pool.put(c.cur)
		c.cur = nil
	}
	for b := range c.ch {
		c.pool.put(b)
	}
}
