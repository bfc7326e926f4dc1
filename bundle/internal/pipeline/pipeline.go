// Package pipeline is the one-read store pipeline and its inverse. Store
// turns one source stream into one stored file in a single read (hash the
// plaintext, zstd, age, hash what is stored, write); Decode and
// DecodeBeside undo it for verify and restore. Every stage takes its
// buffers from one Pool, a fixed set of BufSize buffers, so memory is
// bounded by the buffers in flight whatever the file size.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/exitkit/exitkit/bundle/internal/autozstd"
)

// The pipeline turns one source stream into one stored file in a single
// read, in five stages: read the source, hash the plaintext, compress and
// encrypt, hash what is stored, write it. The stages run as goroutines
// joined by small channels of pooled buffers, so that on two cores every
// stage overlaps the others, and memory is bounded by the pool whatever
// the file size.
//
// Why five and not fewer: on incompressible data the single-core costs
// (BenchmarkCreateLimit, tmpfs, CPU-seconds per GB) are about read 0.25,
// SHA-256 0.6, autozstd and age 0.65, SHA-256 0.6, write(2) 0.6, 2.7 in
// all: two cores can go no faster than 1.35 per GB, and a stage that
// does more than that is the limit instead. Read and hash together (0.85)
// were the limit on a zero-heavy disk, where everything after them is
// cheap; hash and write together (1.2 to 1.4) were on incompressible
// data. Apart, no stage exceeds 0.65, and a chunk costs a channel hop more
// (microseconds per 256 KiB).
const (
	BufSize    = 256 << 10 // pipeline buffer
	WriteSize  = 64 << 10  // write() size: 1 MiB writes measured at half the speed of 64 KiB ones
	chanDepth  = 6         // buffers queued between two stages; the stages before encode hold at most half the pool (Pool.upstream), so they never starve it
	zstdWindow = 1 << 20   // with full encoder memory: see zstdOptions
	// maxDecodeWindow bounds the window a received zstd frame may ask the
	// decoder to allocate: create writes 1 MiB; 8 MiB also takes what
	// zstd -19 writes. zstd's own default of 128 MiB would let each file
	// cost 128 MiB.
	maxDecodeWindow = 8 << 20
	zstdWorkers     = 2
)

type chunk struct {
	buf *[]byte
	n   int
}

// Encoding says how a file is stored.
type Encoding struct {
	// Zstd stores a zstd stream. With Adaptive it is autozstd's: each
	// segment is compressed only if a sample says it compresses, and
	// stored (raw and RLE blocks) otherwise, so an encrypted or media disk
	// costs little more than a copy and is still restored by `zstd -d`.
	Zstd       bool
	Adaptive   bool
	Recipients []age.Recipient // none: stored unencrypted
}

// Measured is what the pipeline learned about one file.
type Measured struct {
	Size         int64
	SHA256       string
	StoredSize   int64
	StoredSHA256 string
}

// SourceError marks a failure reading the source, as opposed to writing
// the output, so that create retries only what is worth retrying.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// Store streams src into dst, encoded as enc. progress, if not nil, is
// called with each count of plaintext bytes read.
func Store(ctx context.Context, src io.Reader, dst io.Writer, enc Encoding, pool *Pool, progress func(int64)) (Measured, error) {
	g, gctx := errgroup.WithContext(ctx)
	var m Measured
	encoded := enc.Zstd || len(enc.Recipients) > 0
	// The encode stage takes its output buffers from the pool too: the
	// stages before it may hold only half the pool (pool.upstream, shared
	// by every file stored through it), or with files stored at once they
	// could hold it all and wait for encode forever.
	var upstream chan struct{}
	var held atomic.Int64 // tokens this file holds
	release := func() {
		<-upstream
		held.Add(-1)
	}
	if encoded {
		upstream = pool.upstream
	}
	read := make(chan chunk, chanDepth)
	g.Go(func() error {
		defer close(read)
		for {
			if upstream != nil {
				select {
				case upstream <- struct{}{}:
					held.Add(1)
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			b, err := pool.get(gctx)
			if err != nil {
				return err
			}
			n, err := io.ReadFull(src, *b)
			if n > 0 {
				m.Size += int64(n)
				if progress != nil {
					progress(int64(n))
				}
				select {
				case read <- chunk{b, n}:
				case <-gctx.Done():
					pool.Put(b)
					return gctx.Err()
				}
			} else {
				pool.Put(b)
				if upstream != nil {
					release()
				}
			}
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				return nil
			case err != nil:
				return &SourceError{Err: err}
			}
			if err := gctx.Err(); err != nil {
				return err
			}
		}
	})

	plainH := sha256.New()
	plain := make(chan chunk, chanDepth)
	g.Go(func() error { return relay(gctx, read, plain, pool, plainH) })

	chans := []chan chunk{read, plain}
	out, storedH := plain, plainH
	if encoded {
		encodedCh := make(chan chunk, chanDepth)
		g.Go(func() error {
			defer close(encodedCh)
			return encode(gctx, plain, encodedCh, enc, pool, release)
		})
		storedH = sha256.New()
		out = make(chan chunk, chanDepth)
		g.Go(func() error { return relay(gctx, encodedCh, out, pool, storedH) })
		chans = append(chans, encodedCh, out)
	}
	g.Go(func() error { return store(gctx, out, dst, &m.StoredSize, pool) })

	err := g.Wait()
	// Return every buffer still queued and every token of a chunk never
	// encoded, so that a failed file does not leak them: the next files
	// would wait for them forever.
	for _, ch := range chans {
		for c := range ch {
			pool.Put(c.buf)
		}
	}
	for held.Load() > 0 {
		release()
	}
	if err != nil {
		if ctx.Err() != nil {
			return m, ctx.Err()
		}
		return m, err
	}
	m.SHA256 = hex.EncodeToString(plainH.Sum(nil))
	// Stored as read (no zstd, no age): one hash is both.
	m.StoredSHA256 = hex.EncodeToString(storedH.Sum(nil))
	return m, nil
}

// relay is a hashing stage: it hashes each chunk and passes it on.
func relay(ctx context.Context, in <-chan chunk, out chan<- chunk, pool *Pool, h hash.Hash) error {
	defer close(out)
	for c := range in {
		h.Write((*c.buf)[:c.n])
		select {
		case out <- c:
		case <-ctx.Done():
			pool.Put(c.buf)
			return ctx.Err()
		}
	}
	return nil
}

// zstdOptions configure every zstd encoder of the pipeline, plain and
// adaptive alike, so that a compressed segment of auto is what zstd makes.
// Not WithLowerEncoderMem: with it, klauspost's history has room for one
// block past the window, so every 128 KiB block moves the whole window
// down. A 1 MiB window with full memory takes what a 2 MiB one took with
// low memory and, measured side by side (autozstd's BenchmarkCodec, 256
// MiB, 2 cores), costs 0.44 instead of 1.53 CPU-seconds per GB on
// incompressible data, 0.43 instead of 1.39 on a sparse disk and 2.8
// instead of 3.2 on an ext4 image (auto: 2.2 instead of 3.9), for the same
// output size within 0.02 %.
func zstdOptions() []zstd.EOption {
	return []zstd.EOption{
		zstd.WithEncoderConcurrency(zstdWorkers),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithLowerEncoderMem(false),
	}
}

// NewCompressor returns the zstd encoder the encode stage writes through, plain or
// adaptive (autozstd), configured as Store configures it; the create
// benchmarks measure its single-core cost with it.
func NewCompressor(dst io.Writer, adaptive bool) (io.WriteCloser, error) {
	if adaptive {
		return autozstd.NewWriter(dst, autozstd.WithEncoderOptions(zstdOptions()...))
	}
	return zstd.NewWriter(dst, zstdOptions()...)
}

// encode is the middle stage: optional zstd, then optional age.
func encode(ctx context.Context, in <-chan chunk, out chan<- chunk, enc Encoding, pool *Pool, release func()) error {
	cw := &chanWriter{ctx: ctx, out: out, pool: pool}
	// A failed file returns the buffer being filled too; run last, after
	// the encoder's Close below has written what it had.
	defer func() {
		if cw.cur != nil {
			pool.Put(cw.cur)
			cw.cur = nil
		}
	}()
	var top io.Writer = cw
	var ageW io.WriteCloser
	if len(enc.Recipients) > 0 {
		w, err := age.Encrypt(cw, enc.Recipients...)
		if err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
		ageW, top = w, w
	}
	var zw io.WriteCloser
	if enc.Zstd {
		w, err := NewCompressor(top, enc.Adaptive)
		if err != nil {
			return fmt.Errorf("compress: %w", err)
		}
		// On failure the encoder's goroutines still need stopping; on
		// success zw is nil by then.
		defer func() {
			if zw != nil {
				zw.Close()
			}
		}()
		zw, top = w, w
	}
	for c := range in {
		_, err := top.Write((*c.buf)[:c.n])
		pool.Put(c.buf)
		release()
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if zw != nil {
		err := zw.Close()
		zw = nil
		if err != nil {
			return fmt.Errorf("compress: %w", err)
		}
	}
	if ageW != nil {
		if err := ageW.Close(); err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
	}
	return cw.flush()
}

// store is the last stage: write what is stored in WriteSize pieces.
func store(ctx context.Context, out <-chan chunk, dst io.Writer, n *int64, pool *Pool) error {
	for c := range out {
		b := (*c.buf)[:c.n]
		for len(b) > 0 {
			k := min(len(b), WriteSize)
			w, err := dst.Write(b[:k])
			*n += int64(w)
			if err == nil && w < k {
				err = io.ErrShortWrite
			}
			if err != nil {
				pool.Put(c.buf)
				return err
			}
			b = b[k:]
		}
		pool.Put(c.buf)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// chanWriter collects encoder output into pooled buffers for the stages
// after encode.
type chanWriter struct {
	ctx  context.Context
	out  chan<- chunk
	pool *Pool
	cur  *[]byte
	n    int
}

func (w *chanWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if w.cur == nil {
			b, err := w.pool.get(w.ctx)
			if err != nil {
				return written, err
			}
			w.cur, w.n = b, 0
		}
		k := copy((*w.cur)[w.n:], p)
		w.n += k
		p = p[k:]
		written += k
		if w.n == len(*w.cur) {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (w *chanWriter) flush() error {
	if w.cur == nil {
		return nil
	}
	c := chunk{w.cur, w.n}
	w.cur = nil
	if c.n == 0 {
		w.pool.Put(c.buf)
		return nil
	}
	select {
	case w.out <- c:
		return nil
	case <-w.ctx.Done():
		w.pool.Put(c.buf)
		return w.ctx.Err()
	}
}

// Plain is the plaintext a decoder saw: its size and hash, or why
// decoding failed.
type Plain struct {
	Size   int64
	SHA256 string
	Err    error
}

// DecodeBeside reads src to its end, handing each chunk to a decoding
// goroutine through a short queue; memory stays at a few chunks.
func DecodeBeside(src io.Reader, encrypted, compressed bool, ids []age.Identity, limit int64) (*Plain, error) {
	pool := NewPool(6)
	ch := make(chan *[]byte, 4)
	done := make(chan *Plain, 1)
	go func() {
		cr := &ChunkReader{Ch: ch, Pool: pool}
		res := Decode(io.Discard, cr, encrypted, compressed, ids, limit)
		cr.Drain()
		done <- res
	}()
	var readErr error
	for {
		bp := pool.Get()
		n, err := io.ReadFull(src, *bp)
		if n > 0 {
			b := (*bp)[:n]
			ch <- &b
		} else {
			pool.Put(bp)
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

// ErrTooLarge marks a file that decodes to more than the plaintext size
// the bundle declares for it: a decompression bomb, or a damaged file.
var ErrTooLarge = errors.New("decodes to more than its declared size")

// Decode decrypts and decompresses src into w, hashing the plaintext.
// It reads src only as far as decoding goes; the caller drains the rest.
// It stops after limit+1 plaintext bytes, the size the signed manifest
// declares, so that a small hostile file cannot make it write or hash
// gigabytes.
func Decode(w io.Writer, src io.Reader, encrypted, compressed bool, ids []age.Identity, limit int64) *Plain {
	res := &Plain{}
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
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxDecodeWindow))
		if err != nil {
			res.Err = fmt.Errorf("zstd: %w", err)
			return res
		}
		defer zr.Close()
		r = zr
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), io.LimitReader(r, max(limit, 0)+1), make([]byte, BufSize))
	res.Size = n
	if err != nil {
		res.Err = describeDecryptError(err)
		return res
	}
	if n > limit {
		res.Err = fmt.Errorf("%w (%d bytes): decoding stopped there; a decompression bomb or a damaged file", ErrTooLarge, limit)
		return res
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	return res
}

// ErrDecrypt marks a file no given identity or passphrase opens: the
// user gave the wrong key, not a damaged bundle.
var ErrDecrypt = errors.New("decryption failed")

// DecryptHint is what to check when files do not decrypt.
const DecryptHint = "check that --identity is the private key of a recipient the bundle was encrypted to, or that the passphrase (the first line of --passphrase-file, or EXITBUNDLE_PASSPHRASE) is the one create was given"

// ErrWorkFactor marks a passphrase-encrypted file whose scrypt work factor
// is above the accepted maximum.
var ErrWorkFactor = errors.New("scrypt work factor above the accepted maximum")

func describeDecryptError(err error) error {
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return fmt.Errorf("%w: its zstd frame asks for a window above %d MiB (create writes %d MiB); refused, as decoding it would take that much memory", ErrTooLarge, maxDecodeWindow>>20, zstdWindow>>20)
	}
	if msg := err.Error(); strings.Contains(msg, "scrypt work factor too large") {
		asked := msg[strings.LastIndex(msg, ":")+1:]
		return fmt.Errorf("%w: the file asks for 2^%s; readers accept what create writes (2^%d) unless --max-work-factor raises it, so that a hostile bundle cannot cost gigabytes of memory and minutes per file; raise it only for a bundle you trust",
			ErrWorkFactor, strings.TrimSpace(asked), keysMaxWorkFactor)
	}
	var nomatch *age.NoIdentityMatchError
	if errors.As(err, &nomatch) {
		return fmt.Errorf("%w: no given identity or passphrase opens it (wrong key or passphrase?)", ErrDecrypt)
	}
	return err
}

// keysMaxWorkFactor mirrors keys.DefaultMaxWorkFactor for messages (keys
// imports nothing of the pipeline, nor the pipeline of keys).
const keysMaxWorkFactor = 18

// CountingReader counts what is read through it into *N.
type CountingReader struct {
	R io.Reader
	N *int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	*c.N += int64(n)
	return n, err
}

// CtxReader stops reading once Ctx is done.
type CtxReader struct {
	Ctx context.Context
	R   io.Reader
}

func (c *CtxReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}

// ChunkReader reads the chunks the tar loop sends, returning each buffer
// to the pool once consumed.
//
// The pool is a fixed set of buffers, not a sync.Pool: at a gigabyte a
// second a sync.Pool is emptied by every collection and turns into
// garbage, which grows the heap; a fixed set keeps memory exact.
type ChunkReader struct {
	Ch   chan *[]byte
	Pool *Pool
	cur  *[]byte
	off  int
}

func (c *ChunkReader) Read(p []byte) (int, error) {
	for c.cur == nil || c.off == len(*c.cur) {
		if c.cur != nil {
			c.Pool.Put(c.cur)
			c.cur = nil
		}
		b, ok := <-c.Ch
		if !ok {
			return 0, io.EOF
		}
		c.cur, c.off = b, 0
	}
	n := copy(p, (*c.cur)[c.off:])
	c.off += n
	return n, nil
}

// Pool hands out at most n buffers of BufSize bytes, allocating
// them on first use; get blocks while all are in use.
type Pool struct {
	free  chan *[]byte
	mu    sync.Mutex
	made  int
	limit int
	// upstream holds a token per buffer read and not yet encoded, by
	// every Store using the pool: see Store.
	upstream chan struct{}
}

// NewPool returns a pool of at most n buffers.
func NewPool(n int) *Pool {
	return &Pool{free: make(chan *[]byte, n), limit: n, upstream: make(chan struct{}, max(n/2, 1))}
}

func (p *Pool) Get() *[]byte {
	b, _ := p.get(context.Background())
	return b
}

// get is Get that gives up when ctx is done, so that a stage
// whose consumer failed does not wait for buffers nobody will return.
func (p *Pool) get(ctx context.Context) (*[]byte, error) {
	select {
	case b := <-p.free:
		return b, nil
	default:
	}
	p.mu.Lock()
	if p.made < p.limit {
		p.made++
		p.mu.Unlock()
		b := make([]byte, BufSize)
		return &b, nil
	}
	p.mu.Unlock()
	select {
	case b := <-p.free:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Pool) Put(b *[]byte) {
	*b = (*b)[:cap(*b)]
	p.free <- b
}

// drain consumes what is left, so the tar loop never blocks on a worker
// that stopped early (a cancelled context).
func (c *ChunkReader) Drain() {
	if c.cur != nil {
		c.Pool.Put(c.cur)
		c.cur = nil
	}
	for b := range c.Ch {
		c.Pool.Put(b)
	}
}

// SerialRecipient runs one scrypt wrap at a time: each costs about a
// second and 256 MiB, and running them for several files at once would
// multiply the memory.
type SerialRecipient struct {
	mu sync.Mutex
	R  *age.ScryptRecipient
}

func (s *SerialRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	st, _, err := s.WrapWithLabels(fileKey)
	return st, err
}

func (s *SerialRecipient) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.R.WrapWithLabels(fileKey)
}
