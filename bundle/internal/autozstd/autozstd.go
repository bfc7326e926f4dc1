// Package autozstd writes a zstd stream that compresses only what
// compresses. Call NewWriter, write the data, Close, then read Stats.
//
// A disk image is often a mix: zeroed regions, a file system of text and
// binaries, and regions that no compressor shrinks (an encrypted file
// system such as LUKS or BitLocker, media, archives). Compressing those
// costs the full price of zstd for no gain, and a magic number at the
// start of the file says nothing about the middle. The Writer therefore
// decides per segment as the data flows (each Write of 128 KiB or more,
// up to the segment size of 256 KiB; smaller writes are gathered into
// segments of that size):
//
//   - a segment whose sample compresses goes to a klauspost zstd encoder,
//     configured as exitkit's pipeline configures it; consecutive such
//     segments share one frame, so their output is what plain zstd makes;
//   - any other segment becomes a stored frame, written here per RFC
//     8878: its exact size, Raw blocks for its data, and RLE blocks for
//     its 128 KiB blocks of one repeated byte and its runs of zero 4 KiB
//     pages (a file system's free blocks), so that a half-empty disk of
//     encrypted data stores as small as zstd would make it, at the speed
//     of a copy.
//
// The estimate looks only at the pages a stored frame would write raw:
// eight pieces of them (1 KiB each in a 256 KiB segment, spread over it,
// from the middle of their pages) compressed at zstd's fastest level with
// its literals entropy coded, where incompressible bytes are skipped
// quickly. A segment is compressed when that sample shrinks below 0.92 of
// its size; while a frame is open, until it exceeds 0.96, so that data
// near the boundary does not switch frames at every segment.
//
// The output is a concatenation of zstd frames: `zstd -d` and any
// conforming decoder restore it byte for byte. So a file written by a
// Writer is a zstd file and takes the `.zst` suffix, even when Stats says
// that no segment was compressed (its frames are then stored ones; a
// caller can say so in its report, not in the name, since the name tells
// a trustee which command restores the file).
//
// Memory is the encoder's buffers (made only once a segment compresses),
// a sample of 32 KiB, and a segment buffer made only for small writes:
// flat, whatever the input size. A Writer runs in its caller's goroutine,
// apart from the zstd encoder's own concurrency (2, as in the pipeline).
package autozstd

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
)

// Defaults. Compressing a segment costs 5 to 20 times the CPU of storing
// it (BenchmarkCodec), so a segment that would shrink by less than about
// 8 % is not worth it where the pipeline is CPU-bound, as on two cores.
// Large segments follow a mixed disk less closely and cost more CPU for
// the same bytes (BenchmarkSegmentSize, mixed disk: 4 MiB about 1.7x the
// CPU of 256 KiB; 128 KiB to 1 MiB alike within the noise of a shared
// machine); at 128 KiB the sample misjudges more segments (on 837 MiB of
// this machine's executables, libraries and fonts, 22 of 3348 segments
// stored at more than 1.10x zstd's size, against 6 at 256 KiB). 256 KiB
// is also the pipeline's buffer, so its writes are decided as they come.
const (
	DefaultSegmentSize = 256 << 10
	DefaultEnter       = 0.92 // compress a segment whose sample shrinks below this ratio
	DefaultLeave       = 0.96 // while compressing, keep on until the sample exceeds this one
)

// Default encoder options, as exitkit's pipeline had them when this
// package was written: a 2 MiB window keeps the encoder's memory small,
// and disks compress nearly as well as with the default 8 MiB; two workers
// let one block compress while the next fills. The pipeline now passes
// its own (bundle/internal/pipeline's zstdOptions: full encoder memory, a
// 1 MiB window, as fullMem in bench_test.go measured) with
// WithEncoderOptions.
const (
	encoderWindow      = 2 << 20
	encoderConcurrency = 2
)

const (
	page          = 4 << 10 // a file system's block: free ones are zero
	pagesPerBlock = maxBlockSize / page
	samplePieces  = 8
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

// WithChecksum sets whether stored frames carry a content checksum
// (XXH64), as compressed frames do. Off by default: a stored frame
// holds its input verbatim, exitkit's manifests already hold the SHA-256
// of the stored file and of the plaintext, and on incompressible data the
// checksum would be most of the Writer's cost (about 0.05 to 0.2
// CPU-seconds per GB, against the pipeline's 1.7). Turn it on where
// `zstd -t` alone must detect corruption.
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
//
// A Write of at least 128 KiB is decided and written from the caller's
// slice, in segments of up to the segment size, without a copy; smaller
// writes are gathered into a segment first. So the frames depend on the
// sizes of the writes; what they decode to does not.
type Writer struct {
	cfg config
	dst countingWriter

	// buf gathers small writes into one segment laid out as it is
	// stored: room for a frame header, then per block a 3-byte header
	// slot and the block's bytes, then room for the checksum, so that a
	// stored segment leaves in one write.
	buf []byte
	n   int // bytes of buf filled

	// The segment being written: its blocks (in buf, or in the caller's
	// slice), whether each is one byte repeated, and which are not.
	seg     [][]byte
	inBuf   bool
	uni     []bool
	zero    []bool   // per page of the segment: in a uniform block, or zero
	pages   [][]byte // the other pages
	scratch []byte   // headers of a stored segment that is not in buf

	sampler *zstd.Encoder
	sample  []byte
	packed  []byte
	enc     *zstd.Encoder // buffers allocated on the first segment that compresses
	inFrame bool          // enc has an open frame
	digest  *xxhash.Digest

	stats  Stats
	err    error
	closed bool
}

// NewWriter returns a Writer that writes a zstd stream to dst. Stored
// segments reach dst as a few writes per segment, compressed ones as the
// encoder writes them; dst needs no buffering of its own.
func NewWriter(dst io.Writer, opts ...Option) (*Writer, error) {
	cfg := config{segment: DefaultSegmentSize, enter: DefaultEnter, leave: DefaultLeave}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	// The fastest level, but trying entropy coding on blocks without a
	// match, which it skips by default: executables and tables compress
	// by their byte statistics more than by repeats.
	sampler, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithAllLitEntropyCompression(true),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false),
		zstd.WithLowerEncoderMem(true),
		zstd.WithWindowSize(samplePieces*page))
	if err != nil {
		return nil, fmt.Errorf("autozstd: %w", err)
	}
	// Made now so that a bad option fails here; it allocates its buffers
	// only when a first segment compresses.
	enc, err := zstd.NewWriter(nil, append([]zstd.EOption{
		zstd.WithEncoderConcurrency(encoderConcurrency),
		zstd.WithWindowSize(encoderWindow),
		zstd.WithLowerEncoderMem(true),
	}, cfg.encOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("autozstd: encoder options: %w", err)
	}
	blocks := cfg.segment / maxBlockSize
	w := &Writer{
		cfg:     cfg,
		seg:     make([][]byte, 0, blocks),
		uni:     make([]bool, blocks),
		zero:    make([]bool, 0, cfg.segment/page),
		pages:   make([][]byte, 0, cfg.segment/page),
		scratch: make([]byte, 0, maxHeaderSize+cfg.segment/page*(blockHdrSize+1)+checksumSize),
		sampler: sampler,
		enc:     enc,
		sample:  make([]byte, 0, samplePieces*page),
		digest:  xxhash.New(),
	}
	w.dst.w = dst
	return w, nil
}

// slotAt is the offset in buf of block i's header slot.
func slotAt(i int) int { return maxHeaderSize + i*(blockHdrSize+maxBlockSize) }

// slot returns the free room of the block of buf being filled. buf is
// made on first use: a caller that only makes large writes never needs it.
func (w *Writer) slot() []byte {
	if w.buf == nil {
		w.buf = make([]byte, maxHeaderSize+w.cfg.segment/maxBlockSize*(blockHdrSize+maxBlockSize)+checksumSize)
	}
	i, off := w.n/maxBlockSize, w.n%maxBlockSize
	start := slotAt(i) + blockHdrSize
	return w.buf[start+off : start+maxBlockSize]
}

// Write writes p, deciding and writing each segment as it completes.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		if w.n == 0 && len(p) >= maxBlockSize {
			k := min(len(p), w.cfg.segment)
			w.inBuf = false
			w.seg = w.seg[:0]
			for q := p[:k]; len(q) > 0; q = q[min(len(q), maxBlockSize):] {
				w.seg = append(w.seg, q[:min(len(q), maxBlockSize)])
			}
			if err := w.flushSegment(k); err != nil {
				return written, err
			}
			p = p[k:]
			written += k
			continue
		}
		k := copy(w.slot(), p)
		w.n += k
		p = p[k:]
		written += k
		if w.n == w.cfg.segment {
			if err := w.flushBuf(); err != nil {
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
			if ferr := w.flushBuf(); ferr != nil {
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
		w.err = w.flushBuf()
	}
	if w.inFrame {
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
	w.stats.Out = w.dst.n.Load()
	return w.err
}

// Stats returns what the Writer did so far; complete after Close.
func (w *Writer) Stats() Stats {
	s := w.stats
	s.Out = w.dst.n.Load()
	return s
}

// flushBuf writes the segment gathered in buf.
func (w *Writer) flushBuf() error {
	n := w.n
	w.inBuf = true
	w.seg = w.seg[:0]
	for i := 0; i*maxBlockSize < n; i++ {
		start := slotAt(i) + blockHdrSize
		w.seg = append(w.seg, w.buf[start:start+min(n-i*maxBlockSize, maxBlockSize)])
	}
	w.n = 0
	return w.flushSegment(n)
}

// flushSegment decides how the segment of n bytes in w.seg is written and
// writes it.
func (w *Writer) flushSegment(n int) error {
	uniformAll := true
	for i, d := range w.seg {
		w.uni[i] = uniform(d)
		uniformAll = uniformAll && w.uni[i]
	}
	var compress bool
	switch {
	case uniformAll:
		// A zeroed region: RLE blocks store it in a few bytes, and inside
		// a compressed frame the encoder does as well at little cost.
		compress = w.inFrame
	default:
		w.findPages()
		r := w.estimate()
		if w.inFrame {
			compress = r < w.cfg.leave
		} else {
			compress = r < w.cfg.enter
		}
	}
	var err error
	if compress {
		err = w.compress(n)
	} else {
		err = w.store(n)
	}
	w.stats.In += int64(n)
	if err != nil {
		w.err = err
	}
	return err
}

// findPages finds the zero pages of the segment's non-uniform blocks (a
// file system's free blocks), which a stored frame writes as RLE blocks,
// and lists the others for the estimate.
func (w *Writer) findPages() {
	w.zero = w.zero[:0]
	w.pages = w.pages[:0]
	for i, d := range w.seg {
		np := (len(d) + page - 1) / page
		for j := range np {
			pg := d[j*page : min((j+1)*page, len(d))]
			z := w.uni[i] || pg[0] == 0 && uniform(pg)
			w.zero = append(w.zero, z)
			if !z {
				w.pages = append(w.pages, pg)
			}
		}
	}
}

// estimate returns the compression ratio, at zstd's fastest level, of a
// sample of the pages findPages listed: what compressing would gain over
// storing, since a stored frame writes the rest (uniform blocks, zero
// pages) in a few bytes too.
func (w *Writer) estimate() float64 {
	if len(w.pages) == 0 {
		return 0
	}
	w.sample = w.sample[:0]
	if len(w.pages)*page <= cap(w.sample) {
		for _, pg := range w.pages {
			w.sample = append(w.sample, pg...)
		}
	} else {
		// A piece from the middle of each of eight pages spread over the
		// segment, so that structures at round offsets (file system
		// headers) do not dominate: 4 KiB per MiB of pages.
		piece := min(max(len(w.pages)*page/(samplePieces*32)&^255, 256), page)
		for k := range samplePieces {
			pg := w.pages[(2*k+1)*len(w.pages)/(2*samplePieces)]
			off := max((len(pg)-piece)/2, 0)
			w.sample = append(w.sample, pg[off:min(off+piece, len(pg))]...)
		}
	}
	w.packed = w.sampler.EncodeAll(w.sample, w.packed[:0])
	return float64(len(w.packed)) / float64(len(w.sample))
}

// compress hands the segment to the zstd encoder, opening a frame if none
// is open.
func (w *Writer) compress(n int) error {
	if !w.inFrame {
		w.enc.Reset(&w.dst)
		w.inFrame = true
	}
	for _, d := range w.seg {
		if _, err := w.enc.Write(d); err != nil {
			return fmt.Errorf("autozstd: compress: %w", err)
		}
	}
	w.stats.Compressed += int64(n)
	return nil
}

// store writes the segment as one stored frame, ending any compressed
// frame first.
func (w *Writer) store(n int) error {
	if w.inFrame {
		w.inFrame = false
		w.stats.Frames++
		if err := w.enc.Close(); err != nil {
			return fmt.Errorf("autozstd: compress: %w", err)
		}
	}
	w.digest.Reset()
	if w.cfg.checksum {
		for _, d := range w.seg {
			w.digest.Write(d)
		}
	}
	var err error
	if w.inBuf && w.allRaw() {
		err = w.storeBuf(n)
	} else {
		err = w.storeRuns(n)
	}
	if err != nil {
		return err
	}
	w.stats.Stored += int64(n)
	w.stats.Frames++
	return nil
}

// allRaw reports whether every block of the segment is a single Raw block:
// no uniform block, no zero page.
func (w *Writer) allRaw() bool {
	for i := range w.seg {
		if w.uni[i] {
			return false
		}
	}
	return len(w.pages) == len(w.zero)
}

// storeBuf writes a stored frame of Raw blocks of the segment in buf in
// one write, the headers filled into their slots.
func (w *Writer) storeBuf(n int) error {
	var hdr [maxHeaderSize]byte
	h := appendFrameHeader(hdr[:0], int64(n), w.cfg.checksum)
	start := maxHeaderSize - len(h)
	copy(w.buf[start:], h)
	end := start
	for i, d := range w.seg {
		at := slotAt(i)
		putBlockHeader(w.buf[at:], i == len(w.seg)-1, blockRaw, len(d))
		end = at + blockHdrSize + len(d)
	}
	out := w.buf[start:end]
	if w.cfg.checksum {
		// Into the room after the last block's bytes: inside the next
		// slot, or the checksum room at the end of buf.
		out = appendChecksum(out, w.digest)
	}
	return w.write(out)
}

// storeRuns writes a stored frame of the segment as runs: an RLE block
// for each uniform block and each run of zero pages, a Raw block for each
// run of other pages. Headers gather in scratch; the bytes of Raw blocks
// are written from where they are.
func (w *Writer) storeRuns(n int) error {
	s := appendFrameHeader(w.scratch[:0], int64(n), w.cfg.checksum)
	var h [blockHdrSize]byte
	rle := func(last bool, size int, b byte) {
		putBlockHeader(h[:], last, blockRLE, size)
		s = append(append(s, h[:]...), b)
	}
	for i, d := range w.seg {
		lastBlock := i == len(w.seg)-1
		if w.uni[i] {
			rle(lastBlock, len(d), d[0])
			continue
		}
		zero := w.zero[i*pagesPerBlock : i*pagesPerBlock+(len(d)+page-1)/page]
		for j := 0; j < len(zero); {
			k := j + 1
			for k < len(zero) && zero[k] == zero[j] {
				k++
			}
			run := d[j*page : min(k*page, len(d))]
			last := lastBlock && k == len(zero)
			if zero[j] {
				rle(last, len(run), 0)
			} else {
				putBlockHeader(h[:], last, blockRaw, len(run))
				if err := w.write(append(s, h[:]...)); err != nil {
					return err
				}
				s = s[:0]
				if err := w.write(run); err != nil {
					return err
				}
			}
			j = k
		}
	}
	if w.cfg.checksum {
		s = appendChecksum(s, w.digest)
	}
	if len(s) == 0 {
		return nil
	}
	return w.write(s)
}

func (w *Writer) write(b []byte) error {
	if _, err := w.dst.Write(b); err != nil {
		return err
	}
	return nil
}

// countingWriter counts what reaches the destination and turns a short
// write into an error. The count is atomic: the encoder writes from its
// own goroutine while Stats may be read.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}
