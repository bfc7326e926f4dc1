package autozstd

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// The benchmarks compare three ways to store a disk, as exitkit's create
// pipeline would: none (the bytes as they are), zstd (klauspost's encoder
// configured as bundle/pipeline.go configures it) and auto (this package),
// on three disks generated at test time:
//
//   - incompressible: ChaCha8 output, as an encrypted file system looks;
//   - sparse: a mostly empty disk, zeros with a random 4 KiB block in 16;
//   - ext4: a real ext4 file system (mkfs.ext4 -d) holding logs, media,
//     binary records and a real executable (skipped without e2fsprogs).
//
// BenchmarkCodec measures the codec alone. BenchmarkPipeline runs the
// three ways side by side, interleaved, inside the pipeline's three stages
// (SHA-256 of the input; codec and age; SHA-256 of the output) and reports
// each one's MB/s (best run) and CPU-seconds per GB (mean), and the
// ratios the targets are stated in: auto's time over none's (wall
// and CPU: on a machine shared with other work the CPU ratio is the
// steadier, and with files in parallel on two cores it is the one that
// counts), auto's bytes over zstd's.
//
//	go test ./bundle/internal/autozstd -run '^$' -bench . -benchtime 3x

const benchSize = 256 << 20

type codec struct {
	name string
	new  func(dst io.Writer) (io.WriteCloser, error)
}

var codecs = []codec{
	{"none", func(dst io.Writer) (io.WriteCloser, error) { return nopCloser{dst}, nil }},
	{"zstd", func(dst io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(dst, zstd.WithEncoderConcurrency(encoderConcurrency), zstd.WithWindowSize(encoderWindow), zstd.WithLowerEncoderMem(true))
	}},
	{"auto", func(dst io.Writer) (io.WriteCloser, error) { return NewWriter(dst) }},
	{"auto+crc", func(dst io.Writer) (io.WriteCloser, error) { return NewWriter(dst, WithChecksum(true)) }},
}

// fullMem are the encoders without WithLowerEncoderMem, with the
// pipeline's 2 MiB window and with a 1 MiB one. With it and a 2 MiB
// window, klauspost's history buffer has room for one more block only, so
// every 128 KiB block moves the whole window down (16 bytes of memmove
// per input byte, most of zstd's time on a disk). Without it, history has
// room for a second window: a 1 MiB window then costs the memory of
// today's 2 MiB one and moves 1 byte per input byte. BenchmarkCodec shows
// what each costs, for the pipeline to choose.
var fullMem = []codec{
	{"zstd-fullmem", func(dst io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(dst, zstd.WithEncoderConcurrency(encoderConcurrency), zstd.WithWindowSize(encoderWindow))
	}},
	{"zstd-1MiB-fullmem", func(dst io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(dst, zstd.WithEncoderConcurrency(encoderConcurrency), zstd.WithWindowSize(1<<20))
	}},
	{"auto-1MiB-fullmem", func(dst io.Writer) (io.WriteCloser, error) {
		return NewWriter(dst, WithEncoderOptions(zstd.WithLowerEncoderMem(false), zstd.WithWindowSize(1<<20)))
	}},
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type disk struct {
	name string
	data func(b *testing.B) []byte
}

var disks = []disk{
	{"incompressible", func(*testing.B) []byte { return random(benchSize, 42) }},
	{"sparse", func(*testing.B) []byte { return sparseDisk(benchSize, 16, 42) }},
	{"ext4", ext4Disk},
}

// ext4Disk makes a 256 MiB ext4 image of about 140 MiB of files.
func ext4Disk(b *testing.B) []byte {
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		b.Skip("mkfs.ext4 not found; install Debian package e2fsprogs to benchmark a real file system")
	}
	dir := b.TempDir()
	root := filepath.Join(dir, "root")
	put := func(name string, data []byte) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i, n := 0, 0; n < 40<<20; i++ {
		size := 64<<10 + r.IntN(4<<20)
		put(fmt.Sprintf("var/log/app%d.log", i), text(size, uint64(i)))
		n += size
	}
	for i, n := 0, 0; n < 40<<20; i++ {
		size := 1<<20 + r.IntN(8<<20)
		put(fmt.Sprintf("home/media/photo%d.jpg", i), random(size, byte(i)))
		n += size
	}
	for i := range 6 {
		put(fmt.Sprintf("var/lib/db/table%d.dat", i), records(5<<20, uint64(i)))
	}
	if exe, err := os.Executable(); err == nil {
		if data, err := os.ReadFile(exe); err == nil {
			put("usr/bin/tool", data)
			put("usr/lib/tool.old", data[:len(data)*3/4])
		}
	}
	img := filepath.Join(dir, "disk.img")
	if out, err := exec.Command(mkfs, "-q", "-F", "-t", "ext4", "-d", root, img, "256M").CombinedOutput(); err != nil {
		b.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// records returns n bytes of fixed-size binary records, as a database
// file holds: counters, timestamps, measurements and short names.
func records(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([]byte, 0, n+64)
	var rec [64]byte
	ts := uint64(1_700_000_000_000)
	for id := uint64(0); len(b) < n; id++ {
		clear(rec[:])
		ts += uint64(r.IntN(5000))
		binary.LittleEndian.PutUint64(rec[0:], id)
		binary.LittleEndian.PutUint64(rec[8:], ts)
		binary.LittleEndian.PutUint64(rec[16:], math.Float64bits(float64(r.IntN(100000))/100))
		binary.LittleEndian.PutUint32(rec[24:], uint32(r.IntN(1000)))
		copy(rec[32:], words[r.IntN(len(words))])
		b = append(b, rec[:]...)
	}
	return b[:n]
}

// counter counts bytes and does nothing else with them.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkCodec(b *testing.B) {
	for _, d := range disks {
		b.Run(d.name, func(b *testing.B) {
			data := d.data(b)
			for _, c := range append(codecs[:len(codecs):len(codecs)], fullMem...) {
				b.Run(c.name, func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					var out counter
					c0 := cpuTime()
					for b.Loop() {
						out.n = 0
						w, err := c.new(&out)
						if err != nil {
							b.Fatal(err)
						}
						for p := data; len(p) > 0; p = p[min(len(p), 256<<10):] {
							if _, err := w.Write(p[:min(len(p), 256<<10)]); err != nil {
								b.Fatal(err)
							}
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N)/(float64(len(data))/1e9), "cpu-s/GB")
					b.ReportMetric(float64(out.n)/float64(len(data)), "ratio")
					b.ReportMetric(float64(out.n), "out-bytes")
				})
			}
		})
	}
}

// stagedRun and its stages mirror bundle/pipeline.go: 256 KiB buffers
// through channels of depth 4, one goroutine per stage, buffers recycled.
//
// stagedRun stores data through the three stages and returns the stored
// size.
func stagedRun(b *testing.B, data []byte, c codec, r age.Recipient) int64 {
	in := make(chan []byte, 4)
	out := make(chan []byte, 4)
	free := make(chan []byte, 16)
	var plainSum, storedSum [32]byte
	go func() {
		h := sha256.New()
		for p := data; len(p) > 0; p = p[min(len(p), 256<<10):] {
			q := p[:min(len(p), 256<<10)]
			h.Write(q)
			in <- q
		}
		close(in)
		h.Sum(plainSum[:0])
	}()
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		cw := &chanWriter{out: out, free: free}
		aw, err := age.Encrypt(cw, r)
		if err != nil {
			errc <- err
			return
		}
		w, err := c.new(aw)
		if err != nil {
			errc <- err
			return
		}
		for p := range in {
			if _, err := w.Write(p); err != nil {
				errc <- err
				return
			}
		}
		if err := w.Close(); err != nil {
			errc <- err
			return
		}
		if err := aw.Close(); err != nil {
			errc <- err
			return
		}
		cw.flush()
		errc <- nil
	}()
	h := sha256.New()
	var n int64
	for p := range out {
		h.Write(p)
		n += int64(len(p))
		select {
		case free <- p[:0]:
		default:
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	h.Sum(storedSum[:0])
	return n
}

// chanWriter hands the encoder's output to stage 3 in 256 KiB buffers.
type chanWriter struct {
	out  chan<- []byte
	free chan []byte
	cur  []byte
}

func (w *chanWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.cur == nil {
			select {
			case w.cur = <-w.free:
			default:
				w.cur = make([]byte, 0, 256<<10)
			}
		}
		k := min(len(p), cap(w.cur)-len(w.cur))
		w.cur = append(w.cur, p[:k]...)
		p = p[k:]
		if len(w.cur) == cap(w.cur) {
			w.flush()
		}
	}
	return n, nil
}

func (w *chanWriter) flush() {
	if len(w.cur) > 0 {
		w.out <- w.cur
	}
	w.cur = nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkPipeline(b *testing.B) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range disks {
		b.Run(d.name, func(b *testing.B) {
			data := d.data(b)
			wall := make([][]time.Duration, len(codecs))
			cpu := make([]time.Duration, len(codecs))
			size := make([]int64, len(codecs))
			iters := 0
			for b.Loop() {
				// Interleave, and rotate the order, so that a noisy
				// neighbour on the machine hits every codec alike.
				for k := range codecs {
					i := (k + iters) % len(codecs)
					t0, c0 := time.Now(), cpuTime()
					size[i] = stagedRun(b, data, codecs[i], id.Recipient())
					wall[i] = append(wall[i], time.Since(t0))
					cpu[i] += cpuTime() - c0
				}
				iters++
			}
			gb := float64(len(data)) / 1e9
			best := make([]float64, len(codecs))
			cpuGB := make([]float64, len(codecs))
			for i, c := range codecs {
				best[i] = fastest(wall[i])
				cpuGB[i] = cpu[i].Seconds() / float64(iters) / gb
				b.ReportMetric(float64(len(data))/1e6/best[i], c.name+"-MB/s")
				b.ReportMetric(cpuGB[i], c.name+"-cpu-s/GB")
				b.ReportMetric(float64(size[i])/float64(len(data)), c.name+"-ratio")
			}
			b.ReportMetric(best[2]/best[0], "auto/none-time")
			b.ReportMetric(cpuGB[2]/cpuGB[0], "auto/none-cpu")
			b.ReportMetric(best[2]/best[1], "auto/zstd-time")
			b.ReportMetric(float64(size[2])/float64(size[1]), "auto/zstd-bytes")
		})
	}
}

// fastest returns the best of the runs in seconds: on a shared machine
// noise only ever adds time.
func fastest(d []time.Duration) float64 {
	return slices.Min(d).Seconds()
}

// BenchmarkSegmentSize chose DefaultSegmentSize: speed and size of auto on
// the ext4 disk and on a mixed one, per segment size.
func BenchmarkSegmentSize(b *testing.B) {
	inputs := []disk{
		{"mixed", func(*testing.B) []byte { return mixed(benchSize) }},
		{"ext4", ext4Disk},
	}
	for _, d := range inputs {
		b.Run(d.name, func(b *testing.B) {
			data := d.data(b)
			plain := len(plainZstd(b, data))
			for _, seg := range []int{128 << 10, 256 << 10, 512 << 10, 1 << 20, 4 << 20} {
				b.Run(fmt.Sprintf("%dKiB", seg>>10), func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					var out counter
					c0 := cpuTime()
					for b.Loop() {
						out.n = 0
						w, err := NewWriter(&out, WithSegmentSize(seg))
						if err != nil {
							b.Fatal(err)
						}
						if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
							b.Fatal(err)
						}
						if err := w.Close(); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N)/(float64(len(data))/1e9), "cpu-s/GB")
					b.ReportMetric(float64(out.n)/float64(plain), "x-zstd-bytes")
				})
			}
		})
	}
}
