package vmdk

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/interop"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// testDisk describes a raw image: capacity bytes, with random data in the
// given [off, off+len) ranges and zeros elsewhere.
type testDisk struct {
	name     string
	capacity int64
	data     [][2]int64
}

var testDisks = []testDisk{
	{"one sector", 512, [][2]int64{{0, 512}}},
	{"capacity not a whole sector", 1000, [][2]int64{{0, 1000}}},
	{"one full grain", GrainSize, [][2]int64{{0, GrainSize}}},
	{"partial last grain", 3*GrainSize + 4096, [][2]int64{{10, 100}, {3 * GrainSize, 4096}}},
	{"all zeros", 8 << 20, nil},
	{"several grain tables, sparse", 70 << 20, [][2]int64{{0, 1}, {33 << 20, 200 << 10}, {70<<20 - 7, 7}}},
	{"first grain table empty", 40 << 20, [][2]int64{{35 << 20, 1 << 20}}},
}

func (d testDisk) raw() []byte {
	b := make([]byte, d.capacity)
	r := rand.New(rand.NewPCG(uint64(d.capacity), 7))
	for _, rg := range d.data {
		for i := rg[0]; i < rg[0]+rg[1]; i++ {
			b[i] = byte(r.Uint32())
		}
	}
	return b
}

func TestWriteStreamOptimizedReadsBackAsTheRawDisk(t *testing.T) {
	for _, d := range testDisks {
		t.Run(d.name, func(t *testing.T) {
			raw := d.raw()
			var out bytes.Buffer
			if err := WriteStreamOptimized(&out, bytes.NewReader(raw), d.capacity); err != nil {
				t.Fatal(err)
			}
			got, err := readStreamOptimized(out.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			want := append(raw, make([]byte, len(got)-len(raw))...)
			if !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes differ from the %d-byte input", len(got), len(raw))
			}
		})
	}
}

func TestWriteStreamOptimizedSkipsZeroGrains(t *testing.T) {
	var out bytes.Buffer
	if err := WriteStreamOptimized(&out, bytes.NewReader(nil), 1<<30); err != nil {
		t.Fatal(err)
	}
	// Header, descriptor room, GD, footer and EOS: well under 128 KiB.
	if out.Len() > 128<<10 {
		t.Fatalf("an empty 1 GiB disk took %d bytes", out.Len())
	}
}

func TestWriteStreamOptimizedIsDeterministic(t *testing.T) {
	d := testDisks[3]
	var a, b bytes.Buffer
	if err := WriteStreamOptimized(&a, bytes.NewReader(d.raw()), d.capacity); err != nil {
		t.Fatal(err)
	}
	if err := WriteStreamOptimized(&b, bytes.NewReader(d.raw()), d.capacity); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same disk differ")
	}
}

func TestWriteStreamOptimizedRejectsBadCapacity(t *testing.T) {
	for _, c := range []int64{0, -1, MaxCapacity + 1} {
		if err := WriteStreamOptimized(io.Discard, bytes.NewReader(nil), c); err == nil {
			t.Errorf("capacity %d accepted", c)
		}
	}
}

// failingWriter fails once n bytes have been written.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteStreamOptimizedReportsWriteErrors(t *testing.T) {
	d := testDisks[5]
	raw := d.raw()
	var full bytes.Buffer
	if err := WriteStreamOptimized(&full, bytes.NewReader(raw), d.capacity); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, 511, full.Len() / 2, full.Len() - 1} {
		err := WriteStreamOptimized(&failingWriter{n: at}, bytes.NewReader(raw), d.capacity)
		if !errors.Is(err, errDiskFull) {
			t.Errorf("failing at byte %d: got %v, want disk full", at, err)
		}
	}
}

type failingReaderAt struct{}

func (failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errors.New("I/O error") }

func TestWriteStreamOptimizedReportsReadErrors(t *testing.T) {
	err := WriteStreamOptimized(io.Discard, failingReaderAt{}, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "I/O error") {
		t.Fatalf("got %v", err)
	}
}

func TestQemuImgAcceptsWhatWriteStreamOptimizedWrites(t *testing.T) {
	qemu := interop.Require(t, "qemu-img")[0]
	for _, d := range testDisks {
		t.Run(d.name, func(t *testing.T) {
			dir := t.TempDir()
			rawPath := filepath.Join(dir, "disk.raw")
			vmdkPath := filepath.Join(dir, "disk.vmdk")
			raw := d.raw()
			if err := os.WriteFile(rawPath, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(vmdkPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteStreamOptimized(f, bytes.NewReader(raw), d.capacity); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			run(t, qemu, "check", "-f", "vmdk", vmdkPath)
			info := run(t, qemu, "info", "-f", "vmdk", vmdkPath)
			if !strings.Contains(info, "create type: streamOptimized") || !strings.Contains(info, "compressed: true") {
				t.Errorf("qemu-img info does not see a compressed streamOptimized disk:\n%s", info)
			}
			// compare treats the rounded-up tail past a raw file's end as zeros.
			run(t, qemu, "compare", "-f", "raw", "-F", "vmdk", rawPath, vmdkPath)
		})
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readStreamOptimized decodes a streamOptimized VMDK through its footer,
// grain directory and grain tables, independently of the writer's code.
func readStreamOptimized(b []byte) ([]byte, error) {
	if len(b) < 3*sectorSize || len(b)%sectorSize != 0 {
		return nil, fmt.Errorf("size %d is not whole sectors", len(b))
	}
	footer := b[len(b)-2*sectorSize : len(b)-sectorSize]
	var h header
	if err := binary.Read(bytes.NewReader(footer), binary.LittleEndian, &h); err != nil {
		return nil, err
	}
	var first header
	_ = binary.Read(bytes.NewReader(b), binary.LittleEndian, &first)
	if first.Magic != magic || h.Magic != magic || first.GDOffset != gdAtEnd {
		return nil, errors.New("bad magic or header gdOffset")
	}
	if h.Flags != flagValidNewline|flagCompressed|flagMarkers || h.CompressAlgorithm != compressDeflate {
		return nil, fmt.Errorf("flags %#x compress %d", h.Flags, h.CompressAlgorithm)
	}
	desc := string(b[sectorSize : sectorSize*(1+h.DescriptorSize)])
	if !strings.Contains(desc, `createType="streamOptimized"`) {
		return nil, errors.New("descriptor lacks createType")
	}
	eos := b[len(b)-sectorSize:]
	if !bytes.Equal(eos, make([]byte, sectorSize)) {
		return nil, errors.New("no end-of-stream marker")
	}
	out := make([]byte, h.Capacity*sectorSize)
	grainBytes := h.GrainSize * sectorSize
	numGTs := (h.Capacity + h.GrainSize*uint64(h.NumGTEsPerGT) - 1) / (h.GrainSize * uint64(h.NumGTEsPerGT))
	le := binary.LittleEndian
	// The GD marker precedes the directory.
	gdm := b[(h.GDOffset-1)*sectorSize:]
	if le.Uint32(gdm[8:]) != 0 || le.Uint32(gdm[12:]) != markerGD {
		return nil, errors.New("no GD marker before the grain directory")
	}
	for t := uint64(0); t < numGTs; t++ {
		gtOff := uint64(le.Uint32(b[h.GDOffset*sectorSize+4*t:]))
		if gtOff == 0 {
			continue
		}
		gtm := b[(gtOff-1)*sectorSize:]
		if le.Uint32(gtm[12:]) != markerGT {
			return nil, fmt.Errorf("no GT marker before grain table %d", t)
		}
		for i := uint64(0); i < uint64(h.NumGTEsPerGT); i++ {
			gOff := uint64(le.Uint32(b[gtOff*sectorSize+4*i:]))
			if gOff == 0 {
				continue
			}
			g := t*uint64(h.NumGTEsPerGT) + i
			m := b[gOff*sectorSize:]
			if lba := le.Uint64(m); lba != g*h.GrainSize {
				return nil, fmt.Errorf("grain %d marker says LBA %d", g, lba)
			}
			size := le.Uint32(m[8:])
			zr, err := zlib.NewReader(bytes.NewReader(m[12 : 12+size]))
			if err != nil {
				return nil, err
			}
			data, err := io.ReadAll(zr)
			if err != nil {
				return nil, err
			}
			if uint64(len(data)) != grainBytes {
				return nil, fmt.Errorf("grain %d inflates to %d bytes", g, len(data))
			}
			start := g * grainBytes
			copy(out[start:], data[:min(grainBytes, uint64(len(out))-start)])
		}
	}
	return out, nil
}

func BenchmarkWriteStreamOptimized(b *testing.B) {
	d := testDisk{capacity: 16 << 20, data: [][2]int64{{0, 8 << 20}}}
	raw := d.raw()
	b.SetBytes(d.capacity)
	for b.Loop() {
		if err := WriteStreamOptimized(io.Discard, bytes.NewReader(raw), d.capacity); err != nil {
			b.Fatal(err)
		}
	}
}
