package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"
)

// The pipeline turns one source stream into one stored file in a single
// read: stage 1 reads and hashes the plaintext, stage 2 compresses and
// encrypts, stage 3 hashes and writes what is stored. The stages run as
// goroutines joined by small channels of pooled buffers, so on two cores
// hashing overlaps encryption, and memory is bounded by the number of
// buffers in flight (about a dozen), whatever the file size.
const (
	bufSize     = 256 << 10 // pipeline buffer
	writeSize   = 64 << 10  // write() size: 1 MiB writes measured at half the speed of 64 KiB ones
	chanDepth   = 4         // buffers queued between two stages
	zstdWindow  = 2 << 20   // keeps the encoder's memory small; disks compress nearly as well
	zstdWorkers = 2
)

// bufPool hands out bufSize buffers. One per Create, shared by its files.
type bufPool struct{ p sync.Pool }

func newBufPool() *bufPool {
	return &bufPool{p: sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}}
}

func (bp *bufPool) get() *[]byte  { return bp.p.Get().(*[]byte) }
func (bp *bufPool) put(b *[]byte) { bp.p.Put(b) }

type chunk struct {
	buf *[]byte
	n   int
}

// encoding says how a file is stored.
type encoding struct {
	zstd       bool
	recipients []age.Recipient // none: stored unencrypted
}

// measured is what the pipeline learned about one file.
type measured struct {
	Size         int64
	SHA256       string
	StoredSize   int64
	StoredSHA256 string
}

// sourceError marks a failure reading the source, as opposed to writing
// the output, so that create retries only what is worth retrying.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// pipe streams src into dst, encoded as enc. progress, if not nil, is
// called with each count of plaintext bytes read.
func pipe(ctx context.Context, src io.Reader, dst io.Writer, enc encoding, pool *bufPool, progress func(int64)) (measured, error) {
	g, gctx := errgroup.WithContext(ctx)
	in := make(chan chunk, chanDepth)
	var m measured
	plainH := sha256.New()

	g.Go(func() error {
		defer close(in)
		for {
			b := pool.get()
			n, err := io.ReadFull(src, *b)
			if n > 0 {
				plainH.Write((*b)[:n])
				m.Size += int64(n)
				if progress != nil {
					progress(int64(n))
				}
				select {
				case in <- chunk{b, n}:
				case <-gctx.Done():
					return gctx.Err()
				}
			} else {
				pool.put(b)
			}
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				return nil
			case err != nil:
				return &sourceError{err}
			}
			if err := gctx.Err(); err != nil {
				return err
			}
		}
	})

	out := in
	if enc.zstd || len(enc.recipients) > 0 {
		out = make(chan chunk, chanDepth)
		g.Go(func() error {
			defer close(out)
			return encode(gctx, in, out, enc, pool)
		})
	}

	storedH := sha256.New()
	g.Go(func() error {
		return store(gctx, out, dst, storedH, &m.StoredSize, pool)
	})

	err := g.Wait()
	// Return every buffer still queued, so a failed file does not leak.
	for c := range in {
		pool.put(c.buf)
	}
	if out != in {
		for c := range out {
			pool.put(c.buf)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return m, ctx.Err()
		}
		return m, err
	}
	m.SHA256 = hex.EncodeToString(plainH.Sum(nil))
	m.StoredSHA256 = hex.EncodeToString(storedH.Sum(nil))
	return m, nil
}

// encode is stage 2: optional zstd, then optional age.
func encode(ctx context.Context, in <-chan chunk, out chan<- chunk, enc encoding, pool *bufPool) error {
	cw := &chanWriter{ctx: ctx, out: out, pool: pool}
	var top io.Writer = cw
	var ageW io.WriteCloser
	if len(enc.recipients) > 0 {
		w, err := age.Encrypt(cw, enc.recipients...)
		if err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
		ageW, top = w, w
	}
	var zw *zstd.Encoder
	if enc.zstd {
		w, err := zstd.NewWriter(top,
			zstd.WithEncoderConcurrency(zstdWorkers),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithLowerEncoderMem(true))
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
		pool.put(c.buf)
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

// store is stage 3: hash what is stored and write it in writeSize pieces.
func store(ctx context.Context, out <-chan chunk, dst io.Writer, h hash.Hash, n *int64, pool *bufPool) error {
	for c := range out {
		b := (*c.buf)[:c.n]
		h.Write(b)
		for len(b) > 0 {
			k := min(len(b), writeSize)
			w, err := dst.Write(b[:k])
			*n += int64(w)
			if err == nil && w < k {
				err = io.ErrShortWrite
			}
			if err != nil {
				pool.put(c.buf)
				return err
			}
			b = b[k:]
		}
		pool.put(c.buf)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// chanWriter collects encoder output into pooled buffers for stage 3.
type chanWriter struct {
	ctx  context.Context
	out  chan<- chunk
	pool *bufPool
	cur  *[]byte
	n    int
}

func (w *chanWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if w.cur == nil {
			w.cur, w.n = w.pool.get(), 0
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
		w.pool.put(c.buf)
		return nil
	}
	select {
	case w.out <- c:
		return nil
	case <-w.ctx.Done():
		w.pool.put(c.buf)
		return w.ctx.Err()
	}
}
