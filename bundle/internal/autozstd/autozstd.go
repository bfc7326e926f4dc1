// Package autozstd writes a zstd stream that compresses only what
// compresses. Call NewWriter, write the data, Close, then read Stats.
//
// A disk image is often a mix: zeroed regions, a file system of text and
// binaries, and regions that no compressor shrinks (an encrypted file
// system such as LUKS or BitLocker, media, archives). Compressing those
// costs the full price of zstd for no gain, and a magic number at the
// start of the file says nothing about the middle. The Writer therefore
// decides per segment (1 MiB by default) as the data flows:
//
//   - a segment whose samples compress goes to a klauspost zstd encoder,
//     configured as exitkit's pipeline configures it; consecutive such
//     segments share one frame, so their output is what plain zstd makes;
//   - any other segment becomes a stored frame, written directly: Raw
//     blocks, or RLE blocks where a 128 KiB block is one byte repeated
//     (a zeroed region), with the exact content size and a checksum.
//
// The estimate compresses eight 4 KiB samples of the segment's
// non-uniform blocks at zstd's fastest level: about 3 % of the data, at a
// speed where incompressible bytes are skipped quickly. Two thresholds
// (enter compression below 0.92 of the size, leave it above 0.96) keep
// data near the boundary from switching frames at every segment.
//
// The output is one concatenation of zstd frames: `zstd -d` and any
// conforming decoder restore it byte for byte, so a file written by a
// Writer is always a zstd file, and its name takes `.zst` whatever
// Stats says. Stats tells how much of the input was compressed, for
// reports and for a caller that wants to say "stored" rather than
// "compressed".
//
// Memory is one segment buffer, one small sample, and the encoder's
// buffers (created only once a segment compresses), whatever the input
// size. A Writer runs in its caller's goroutine, apart from the zstd
// encoder's own concurrency (2 by default, as in the pipeline).
package autozstd

import (
	"errors"
	"fmt"
	"io"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
)

// Defaults, chosen by BenchmarkSegmentSize and the benchmarks beside it.
const (
	DefaultSegmentSize = 1 << 20
	DefaultEnter       = 0.92 // compress a segment whose sample shrinks below this ratio
	DefaultLeave       = 0.96 // while compressing, keep on until the sample exceeds this one
)

// Encoder options matching exitkit's pipeline (bundle/pipeline.go): a 2
// MiB window keeps the encoder's memory small, and disks compress nearly
// as well as with the default 8 MiB; two workers let one block compress
// while the next fills.
const (
	encoderWindow      = 2 << 20
	encoderConcurrency = 2
)

const (
	samplePieces = 8
	samplePiece  = 4 << 10
)

// An Option changes how NewWriter's Writer works.
type Option func(*config) error

type config struct {
	segment      int
	enter, leave float64
	checksum     bool
	encOpts      []zstd.EOption
}

// WithSegmentSize sets the unit of decision: a multiple of 128 KiB (the
// largest zstd block) from 128 KiB to 64 MiB. Smaller segments follow a
// mixed disk more closely; larger ones cost fewer frames.
func WithSegmentSize(n int) Option {
	return func(c *config) error {
		if n < maxBlockSize || n > 64<<20 || n%maxBlockSize != 0 {
			return fmt.Errorf("autozstd: segment size %d: use a multiple of 128 KiB from 128 KiB to 64 MiB", n)
		}
		c.segment = n
		return nil
	}
}

// WithThresholds sets the sample compression ratios (compressed/original)
// below which a segment is compressed: enter when the previous segment was
// stored, leave (at least enter) while compressing. Enter 0 stores every
// segment; enter and leave above 1 compress every one that is not uniform.
func WithThresholds(enter, leave float64) Option {
	return func(c *config) error {
		if enter < 0 || leave < enter {
			return fmt.Errorf("autozstd: thresholds %v, %v: want 0 <= enter <= leave", enter, leave)
		}
		c.enter, c.leave = enter, leave
		return nil
	}
}

// WithChecksum sets whether stored frames carry a content checksum (the
// default, as zstd's own frames do, so that `zstd -t` checks them).
func WithChecksum(on bool) Option {
	return func(c *config) error { c.checksum = on; return nil }
}

// WithEncoderOptions adds options for the klauspost encoder of compressed
// segments, applied after the pipeline's (window, concurrency, low memory).
func WithEncoderOptions(opts ...zstd.EOption) Option {
	return func(c *config) error { c.encOpts = append(c.encOpts, opts...); return nil }
}

// Stats says what a Writer did.
type Stats struct {
	In         int64 // bytes written to the Writer
	Out        int64 // bytes written to its destination
	Compressed int64 // input bytes in compressed frames
	Stored     int64 // input bytes in stored frames (raw or RLE blocks)
	Frames     int   // zstd frames written
}

// AnyCompressed reports whether some segment went through the compressor.
func (s Stats) AnyCompressed() bool { return s.Compressed > 0 }

// Writer is an io.WriteCloser that writes a zstd stream, compressing the
// segments that compress and storing the others. Create it with NewWriter.
type Writer struct {
	cfg config
	dst countingWriter

	// buf holds one segment laid out as it is stored: room for a frame
	// header, then per block a 3-byte header slot and the block's bytes,
	// then room for the checksum, so that a stored segment leaves in one
	// write without a copy.
	buf    []byte
	n      int // bytes of the segment filled
	blocks int // blocks per full segment

	sampler *zstd.Encoder
	sample  []byte
	packed  []byte
	enc     *zstd.Encoder // created on the first segment that compresses
	inFrame bool          // enc has an open frame
	digest  *xxhash.Digest
	uni     []bool
	live    []int

	stats  Stats
	err    error
	closed bool
}

// NewWriter returns a Writer that writes a zstd stream to dst.
func NewWriter(dst io.Writer, opts ...Option) (*Writer, error) {
	cfg := config{segment: DefaultSegmentSize, enter: DefaultEnter, leave: DefaultLeave, checksum: true}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	sampler, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false),
		zstd.WithLowerEncoderMem(true),
		zstd.WithWindowSize(samplePieces*samplePiece))
	if err != nil {
		return nil, fmt.Errorf("autozstd: %w", err)
	}
	blocks := cfg.segment / maxBlockSize
	w := &Writer{
		cfg:     cfg,
		dst:     countingWriter{w: dst},
		buf:     make([]byte, maxHeaderSize+blocks*(blockHdrSize+maxBlockSize)+checksumSize),
		blocks:  blocks,
		sampler: sampler,
		sample:  make([]byte, 0, samplePieces*samplePiece),
		digest:  xxhash.New(),
		uni:     make([]bool, blocks),
		live:    make([]int, 0, blocks),
	}
	return w, nil
}

// data returns the bytes of block i of the current segment.
func (w *Writer) data(i int) []byte {
	start := maxHeaderSize + i*(blockHdrSize+maxBlockSize) + blockHdrSize
	end := min(w.n-i*maxBlockSize, maxBlockSize)
	return w.buf[start : start+end]
}

// slot returns the free room of the block being filled.
func (w *Writer) slot() []byte {
	i, off := w.n/maxBlockSize, w.n%maxBlockSize
	start := maxHeaderSize + i*(blockHdrSize+maxBlockSize) + blockHdrSize
	return w.buf[start+off : start+maxBlockSize]
}

// Write buffers p and writes each full segment.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		k := copy(w.slot(), p)
		w.n += k
		p = p[k:]
		written += k
		if w.n == w.cfg.segment {
			if err := w.flushSegment(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// ReadFrom reads r to its end straight into the segment buffer, saving
// io.Copy's intermediate copy.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	var total int64
	for {
		k, err := r.Read(w.slot())
		w.n += k
		total += int64(k)
		if w.n == w.cfg.segment {
			if ferr := w.flushSegment(); ferr != nil {
				return total, ferr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("autozstd: write after Close")
	}
	return nil
}

// Close writes what remains and ends the stream. It does not close the
// destination.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil && w.n > 0 {
		w.err = w.flushSegment()
	}
	if w.enc != nil && w.inFrame {
		w.inFrame = false
		if err := w.enc.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("autozstd: compress: %w", err)
		}
		w.stats.Frames++
	}
	if w.err == nil && w.stats.In == 0 {
		w.err = w.write(emptyFrame(w.cfg.checksum))
		w.stats.Frames++
	}
	w.stats.Out = w.dst.n
	if w.err != nil {
		return w.err
	}
	return nil
}

// Stats returns what the Writer did so far; complete after Close.
func (w *Writer) Stats() Stats {
	s := w.stats
	s.Out = w.dst.n
	return s
}

// flushSegment decides how the buffered segment is written and writes it.
func (w *Writer) flushSegment() error {
	n := w.n
	nb := (n + maxBlockSize - 1) / maxBlockSize
	uniformAll := true
	for i := range nb {
		w.uni[i] = uniform(w.data(i))
		uniformAll = uniformAll && w.uni[i]
	}
	var compress bool
	switch {
	case uniformAll:
		// A zeroed region: RLE blocks store it in a few bytes, and inside
		// a compressed frame the encoder does as well at little cost.
		compress = w.inFrame
	default:
		r := w.estimate(nb)
		if w.inFrame {
			compress = r < w.cfg.leave
		} else {
			compress = r < w.cfg.enter
		}
	}
	var err error
	if compress {
		err = w.compress(nb)
	} else {
		err = w.store(nb)
	}
	w.stats.In += int64(n)
	w.n = 0
	if err != nil {
		w.err = err
	}
	return err
}

// estimate returns the compression ratio of a sample of the segment's
// non-uniform blocks at zstd's fastest level.
func (w *Writer) estimate(nb int) float64 {
	w.live = w.live[:0]
	total := 0
	for i := range nb {
		if !w.uni[i] {
			w.live = append(w.live, i)
			total += len(w.data(i))
		}
	}
	w.sample = w.sample[:0]
	if total <= cap(w.sample) {
		for _, i := range w.live {
			w.sample = append(w.sample, w.data(i)...)
		}
	} else {
		// Pieces evenly spread over the non-uniform bytes, each in the
		// middle of its share, so that structures at round offsets (file
		// system headers) do not dominate. Every live block but the last
		// is full, so a position maps to a block by division.
		for k := range samplePieces {
			pos := (2*k + 1) * total / (2 * samplePieces)
			d := w.data(w.live[pos/maxBlockSize])
			off := pos % maxBlockSize
			off -= off % samplePiece
			w.sample = append(w.sample, d[off:min(off+samplePiece, len(d))]...)
		}
	}
	if len(w.sample) == 0 {
		return 0
	}
	w.packed = w.sampler.EncodeAll(w.sample, w.packed[:0])
	return float64(len(w.packed)) / float64(len(w.sample))
}

// compress hands the segment to the zstd encoder, opening a frame if none
// is open.
func (w *Writer) compress(nb int) error {
	if w.enc == nil {
		opts := append([]zstd.EOption{
			zstd.WithEncoderConcurrency(encoderConcurrency),
			zstd.WithWindowSize(encoderWindow),
			zstd.WithLowerEncoderMem(true),
		}, w.cfg.encOpts...)
		enc, err := zstd.NewWriter(nil, opts...)
		if err != nil {
			return fmt.Errorf("autozstd: compress: %w", err)
		}
		w.enc = enc
	}
	if !w.inFrame {
		w.enc.Reset(&w.dst)
		w.inFrame = true
	}
	for i := range nb {
		if _, err := w.enc.Write(w.data(i)); err != nil {
			return fmt.Errorf("autozstd: compress: %w", err)
		}
	}
	w.stats.Compressed += int64(w.n)
	return nil
}

// store writes the segment as one stored frame, ending any compressed
// frame first.
func (w *Writer) store(nb int) error {
	if w.inFrame {
		w.inFrame = false
		w.stats.Frames++
		if err := w.enc.Close(); err != nil {
			return fmt.Errorf("autozstd: compress: %w", err)
		}
	}
	var hdr [maxHeaderSize]byte
	h := appendFrameHeader(hdr[:0], int64(w.n), w.cfg.checksum)
	first := maxHeaderSize
	cur := first - len(h)
	copy(w.buf[cur:], h)
	w.digest.Reset()
	for i := range nb {
		at := maxHeaderSize + i*(blockHdrSize+maxBlockSize)
		d := w.data(i)
		last := i == nb-1
		if w.cfg.checksum {
			w.digest.Write(d)
		}
		end := at + blockHdrSize + len(d)
		if w.uni[i] {
			putBlockHeader(w.buf[at:], last, blockRLE, len(d))
			// The repeated byte is the block's first: the header and it
			// leave together with whatever precedes them.
			end = at + blockHdrSize + 1
			if !last {
				if err := w.write(w.buf[cur:end]); err != nil {
					return err
				}
				cur = at + blockHdrSize + maxBlockSize
				continue
			}
		} else {
			putBlockHeader(w.buf[at:], last, blockRaw, len(d))
		}
		if last {
			out := w.buf[cur:end]
			if w.cfg.checksum {
				// The room after the last block's bytes: inside the next
				// block's slot, or the checksum room at the end.
				out = appendChecksum(out, w.digest)
			}
			if err := w.write(out); err != nil {
				return err
			}
		}
	}
	w.stats.Stored += int64(w.n)
	w.stats.Frames++
	return nil
}

func (w *Writer) write(b []byte) error {
	if _, err := w.dst.Write(b); err != nil {
		return err
	}
	return nil
}

// countingWriter counts what reaches the destination and turns a short
// write into an error.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}
