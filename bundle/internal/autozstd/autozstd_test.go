package autozstd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/exitkit/exitkit/internal/golden"
)

// compressAll writes data to a Writer in pieces of chunk bytes (all at once
// when chunk is 0) and returns the stream and the Stats.
func compressAll(t testing.TB, data []byte, chunk int, opts ...Option) ([]byte, Stats) {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if chunk == 0 {
		chunk = max(len(data), 1)
	}
	for p := data; len(p) > 0; {
		k := min(chunk, len(p))
		n, err := w.Write(p[:k])
		if err != nil || n != k {
			t.Fatalf("Write: %d, %v; want %d, nil", n, err, k)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out.Bytes(), w.Stats()
}

// decode restores a stream with klauspost's decoder.
func decode(t testing.TB, stream []byte) []byte {
	t.Helper()
	d, err := zstd.NewReader(bytes.NewReader(stream), zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return got
}

// plainZstd compresses data as the pipeline's plain zstd mode does.
func plainZstd(t testing.TB, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	enc, err := zstd.NewWriter(&out, zstd.WithEncoderConcurrency(encoderConcurrency), zstd.WithWindowSize(encoderWindow), zstd.WithLowerEncoderMem(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func checkStats(t *testing.T, s Stats, data, stream []byte) {
	t.Helper()
	if s.In != int64(len(data)) || s.Out != int64(len(stream)) || s.Compressed+s.Stored != s.In {
		t.Errorf("Stats = %+v for %d bytes in, %d out", s, len(data), len(stream))
	}
}

func TestEveryKindOfDataRoundTrips(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		chunk int
		opts  []Option
	}{
		{"empty input", nil, 0, nil},
		{"one byte", []byte{7}, 0, nil},
		{"a short text", []byte("hello, zstd\n"), 0, nil},
		{"incompressible data", random(5<<20+17, 1), 0, nil},
		{"incompressible data written in odd pieces", random(3<<20+5, 2), 4093, nil},
		{"compressible data", text(5<<20+3, 1), 0, nil},
		{"compressible data written a byte at a time", text(300<<10, 2), 1, nil},
		{"zeros", make([]byte, 6<<20), 0, nil},
		{"zeros that end inside a block", make([]byte, 1<<20+100), 0, nil},
		{"a sparse disk", sparseDisk(6<<20, 20, 1), 65537, nil},
		{"a mixed disk", mixed(16 << 20), 256 << 10, nil},
		{"a mixed disk in small segments", mixed(8 << 20), 1<<20 + 1, []Option{WithSegmentSize(128 << 10)}},
		{"a mixed disk in large segments", mixed(12 << 20), 0, []Option{WithSegmentSize(4 << 20)}},
		{"a mixed disk, every segment stored", mixed(6 << 20), 0, []Option{WithThresholds(0, 0)}},
		{"a mixed disk, every segment compressed", mixed(6 << 20), 0, []Option{WithThresholds(2, 2)}},
		{"a mixed disk with checksums", mixed(6 << 20), 100000, []Option{WithChecksum(true)}},
		{"a mixed disk with checksums, in large writes", mixed(6 << 20), 1 << 20, []Option{WithChecksum(true)}},
		{"a mixed disk at a higher level", mixed(4 << 20), 0, []Option{WithEncoderOptions(zstd.WithEncoderLevel(zstd.SpeedBetterCompression))}},
		{"one byte over a segment", text(DefaultSegmentSize+1, 3), 0, nil},
		{"a mixed disk in 1 MiB segments, small writes", mixed(6 << 20), 65535, []Option{WithSegmentSize(1 << 20)}},
		{"a byte repeated, not zero", bytes.Repeat([]byte{0xff}, 1<<20+4096), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, s := compressAll(t, tt.data, tt.chunk, tt.opts...)
			if got := decode(t, stream); !bytes.Equal(got, tt.data) {
				t.Fatalf("round trip: got %d bytes, want %d, equal prefix %d", len(got), len(tt.data), commonPrefix(got, tt.data))
			}
			checkStats(t, s, tt.data, stream)
		})
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func TestIncompressibleDataIsStoredWithAFewBytesOfFraming(t *testing.T) {
	data := random(8<<20, 3)
	stream, s := compressAll(t, data, 0)
	if s.AnyCompressed() {
		t.Errorf("Stats = %+v: want no compressed segment for random data", s)
	}
	// Per segment: a 9-byte header and a 3-byte header per block.
	segs := len(data) / DefaultSegmentSize
	if limit := int64(len(data) + segs*(9+DefaultSegmentSize/maxBlockSize*3)); s.Out > limit {
		t.Errorf("stored %d bytes for %d random bytes; want at most %d", s.Out, len(data), limit)
	}
	checkStats(t, s, data, stream)
}

func TestCompressibleDataStoresAtMostTenPercentMoreThanPlainZstd(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		compress bool // whether some segment must go through the compressor
	}{
		{"text", text(8<<20, 4), true},
		// Random pages among zero ones: stored, zero runs as RLE blocks.
		{"a sparse disk", sparseDisk(16<<20, 16, 2), false},
		{"a mixed disk", mixed(16 << 20), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{4093, 256 << 10} {
				stream, s := compressAll(t, tt.data, chunk)
				plain := len(plainZstd(t, tt.data))
				if float64(len(stream)) > 1.10*float64(plain) {
					t.Errorf("writes of %d: auto stored %d bytes, plain zstd %d: more than 1.10x", chunk, len(stream), plain)
				}
				if s.AnyCompressed() != tt.compress {
					t.Errorf("writes of %d: Stats = %+v: want compressed segments %v", chunk, s, tt.compress)
				}
			}
		})
	}
}

func TestZeroedRegionsTakeAFewBytes(t *testing.T) {
	data := make([]byte, 64<<20)
	stream, s := compressAll(t, data, 0)
	// Per segment a frame of a header and 4-byte RLE blocks: 0.007 %.
	if segs := len(data) / DefaultSegmentSize; len(stream) > segs*(9+DefaultSegmentSize/maxBlockSize*4) {
		t.Errorf("stored %d bytes for 64 MiB of zeros", len(stream))
	}
	if s.Stored != int64(len(data)) {
		t.Errorf("Stats = %+v: want zeros stored as RLE blocks, not compressed", s)
	}
}

func TestAMixedDiskIsCompressedOnlyWhereItCompresses(t *testing.T) {
	// Alternating 2 MiB regions of text and random data.
	var data []byte
	for i := range 4 {
		data = append(data, text(2<<20, uint64(i))...)
		data = append(data, random(2<<20, byte(i))...)
	}
	stream, s := compressAll(t, data, 0)
	if s.Compressed != 8<<20 || s.Stored != 8<<20 {
		t.Errorf("Stats = %+v: want the 8 MiB of text compressed and the 8 MiB of random data stored", s)
	}
	if want := 4 + (8<<20)/DefaultSegmentSize; s.Frames != want {
		t.Errorf("Stats.Frames = %d: want one compressed frame per text region and one stored frame per random segment (%d)", s.Frames, want)
	}
	checkStats(t, s, data, stream)
}

func TestReadFromRestoresLikeWrite(t *testing.T) {
	data := mixed(7<<20 + 3)
	var out bytes.Buffer
	w, err := NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	// A reader that returns short reads, so ReadFrom fills segments in pieces.
	n, err := w.ReadFrom(io.LimitReader(&oddReader{data: data}, int64(len(data))))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, out.Bytes()); !bytes.Equal(got, data) {
		t.Fatal("ReadFrom: round trip differs")
	}
	if want, _ := compressAll(t, data, 0); !bytes.Equal(out.Bytes(), want) {
		t.Error("ReadFrom wrote another stream than Write")
	}
}

type oddReader struct {
	data []byte
	n    int
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n++
	k := min(len(p), len(r.data), 1000+r.n*7919%70000)
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func TestStoredFramesCarryTheirSizeAndAChecksumWhenAsked(t *testing.T) {
	for _, size := range []int{0, 1, 255, 256, 65791, 65792, DefaultSegmentSize} {
		for _, sum := range []bool{false, true} {
			data := random(size, 9)
			stream, _ := compressAll(t, data, 0, WithChecksum(sum))
			var h zstd.Header
			if err := h.Decode(stream); err != nil {
				t.Fatalf("%d bytes: header: %v", size, err)
			}
			if !h.HasFCS || h.FrameContentSize != uint64(size) || !h.SingleSegment || h.HasCheckSum != sum {
				t.Errorf("%d bytes, checksum %v: header %+v: want a single-segment frame with its content size", size, sum, h)
			}
		}
	}
}

func TestAStoredFrameIsWhatRFC8878Describes(t *testing.T) {
	for _, sum := range []bool{false, true} {
		stream, _ := compressAll(t, []byte("hello, zstd\n"), 0, WithChecksum(sum))
		golden.Check(t, fmt.Sprintf("stored-hello-checksum-%v.hex", sum), []byte(hex.Dump(stream)))
	}
}

func TestACorruptedStoredFrameFailsItsChecksum(t *testing.T) {
	stream, _ := compressAll(t, random(300<<10, 5), 0, WithChecksum(true))
	stream[len(stream)/2] ^= 1
	d, err := zstd.NewReader(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := io.ReadAll(d); err == nil {
		t.Error("a flipped bit decoded without error")
	}
}

// failingWriter fails once limit bytes have been written.
type failingWriter struct {
	limit, n int
}

var errDisk = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.limit {
		k := f.limit - f.n
		f.n = f.limit
		return k, errDisk
	}
	f.n += len(p)
	return len(p), nil
}

// shortWriter writes half of what it is given, without an error.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestAFailingDestinationFailsWriteOrClose(t *testing.T) {
	tests := []struct {
		name string
		dst  io.Writer
		data []byte
		want error
	}{
		{"a stored segment", &failingWriter{limit: 1000}, random(3<<20, 1), errDisk},
		{"a compressed segment", &failingWriter{limit: 1000}, text(3<<20, 1), errDisk},
		{"the last, short segment", &failingWriter{limit: 10}, random(5000, 1), errDisk},
		{"an empty stream", &failingWriter{limit: 0}, nil, errDisk},
		{"a short write", shortWriter{}, random(2<<20, 1), io.ErrShortWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(tt.dst)
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for p := tt.data; len(p) > 0 && werr == nil; {
				k := min(len(p), 300<<10)
				_, werr = w.Write(p[:k])
				p = p[k:]
			}
			cerr := w.Close()
			if !errors.Is(werr, tt.want) && !errors.Is(cerr, tt.want) {
				t.Fatalf("Write: %v, Close: %v; want %v", werr, cerr, tt.want)
			}
			if cerr == nil {
				t.Error("Close returned nil after a failed write")
			}
			if _, err := w.Write([]byte("more")); err == nil {
				t.Error("Write after a failure succeeded")
			}
		})
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	w, err := NewWriter(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBadOptionsSayWhatToUse(t *testing.T) {
	for _, o := range []Option{WithSegmentSize(1000), WithSegmentSize(0), WithSegmentSize(128 << 20), WithThresholds(0.9, 0.5), WithThresholds(-1, 1), WithEncoderOptions(zstd.WithWindowSize(3))} {
		if _, err := NewWriter(io.Discard, o); err == nil {
			t.Error("NewWriter accepted a bad option")
		}
	}
}

func TestMemoryDoesNotGrowWithTheInput(t *testing.T) {
	allocated := func(size int) uint64 {
		src := mixed(8 << 20)
		w, err := NewWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for n := 0; n < size; n += len(src) {
			if _, err := w.Write(src); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := allocated(16<<20), allocated(128<<20)
	t.Logf("allocated %d KiB for 16 MiB, %d KiB for 128 MiB", small>>10, large>>10)
	if large > 2*small+(1<<20) {
		t.Errorf("allocated %d KiB for 128 MiB but %d KiB for 16 MiB: memory grows with the input", large>>10, small>>10)
	}
}

func TestSmallAndLargeWritesMakeTheSameStream(t *testing.T) {
	// Whole segments of each kind, with zeroed blocks inside random ones,
	// so that the frames are cut alike whether the data was gathered in
	// the buffer or written from the caller's slice.
	var data []byte
	for i := range 3 {
		data = append(data, text(1<<20, uint64(i))...)
		r := random(1<<20, byte(i))
		clear(r[256<<10 : 512<<10]) // a zeroed block
		clear(r[5*page : 7*page])   // zero pages inside a block
		clear(r[len(r)-page:])      // a zero page at the end
		data = append(data, r...)
		data = append(data, make([]byte, 1<<20)...)
	}
	for _, sum := range []bool{false, true} {
		large, _ := compressAll(t, data, 1<<20, WithChecksum(sum))
		small, _ := compressAll(t, data, 4093, WithChecksum(sum))
		if !bytes.Equal(large, small) {
			t.Errorf("checksum %v: 1 MiB writes made %d bytes, 4093-byte writes %d, equal prefix %d", sum, len(large), len(small), commonPrefix(large, small))
		}
		if got := decode(t, large); !bytes.Equal(got, data) {
			t.Errorf("checksum %v: round trip differs", sum)
		}
	}
}

// TestEachSegmentIsStoredOrCompressedAsZstdWouldHaveIt compares, segment
// by segment, auto with the pipeline's plain zstd: auto's output is at
// most 1.10x zstd's (it missed no compression worth having), and where
// zstd saves under 2 % auto compresses nothing (it wasted no time).
func TestEachSegmentIsStoredOrCompressedAsZstdWouldHaveIt(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	binary, err := os.ReadFile(exe) // a real executable: this test's
	if err != nil {
		t.Fatal(err)
	}
	quarterZeroed := random(2<<20, 1)
	for p := 0; p < len(quarterZeroed); p += 4 * page {
		clear(quarterZeroed[p : p+page])
	}
	inputs := []struct {
		name string
		data []byte
	}{
		{"text", text(2<<20, 1)},
		{"binary records", records(2<<20, 1)},
		{"an executable", binary},
		{"a sparse disk", sparseDisk(4<<20, 16, 1)},
		{"a half-full disk of random blocks", sparseDisk(4<<20, 2, 1)},
		{"random data", random(2<<20, 1)},
		{"random data with a zeroed page in four", quarterZeroed},
		{"a mixed disk", mixed(6 << 20)},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			for off := 0; off+256<<10 <= len(in.data); off += 256 << 10 {
				seg := in.data[off : off+256<<10]
				auto, s := compressAll(t, seg, 0)
				plain := plainZstd(t, seg)
				if float64(len(auto)) > 1.10*float64(len(plain))+64 {
					t.Errorf("segment at %d KiB: auto %d bytes, zstd %d", off>>10, len(auto), len(plain))
				}
				if float64(len(plain)) > 0.98*float64(len(seg)) && s.AnyCompressed() {
					t.Errorf("segment at %d KiB: zstd saves under 2 %% (%d of %d bytes) but auto compressed it", off>>10, len(plain), len(seg))
				}
			}
		})
	}
}
