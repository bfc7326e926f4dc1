package bundle

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/exitkit/exitkit/internal/interop"
)

// The create benchmark runs create in a child process (to read its peak
// RSS) on one generated file and, in the same run, the stock way to do the
// same work one step after another:
//
//	openssl dgst -sha256 F; age -r R -o F.age F; openssl dgst -sha256 F.age
//
// create runs twice per iteration, alternately with --compress none and
// auto (the default), on an incompressible file (an encrypted guest file
// system). It reports create's MB/s, its speed relative to the stock way
// (x-vs-stock), relative to the machine's limit (pct-of-limit: the sum of
// the single-core costs of hashing, encrypting and hashing again, divided
// by the cores, measured here first), and peak RSS, for none; auto's
// MB/s, and its wall time and CPU time over none's (auto-vs-none-time,
// -cpu: issue 12 asks for at most 1.10). The file is 2 GiB;
// EXITBUNDLE_BENCH_GIB=8 makes it 8 GiB (slow). On tmpfs:
//
//	TMPDIR=/dev/shm go test ./bundle -run '^$' -bench BenchmarkCreateVsStock -benchtime 3x

const benchChildEnv = "EXITBUNDLE_BENCH_CHILD"

func benchSize() int64 {
	if v, err := strconv.Atoi(os.Getenv("EXITBUNDLE_BENCH_GIB")); err == nil && v > 0 {
		return int64(v) << 30
	}
	return 2 << 30
}

// benchFile writes size bytes of ChaCha8 output: incompressible at any
// window (a repeated block would not be: zstd finds the repeat).
func benchFile(b *testing.B, p string, size int64) {
	if fi, err := os.Stat(p); err == nil && fi.Size() == size {
		return
	}
	block := make([]byte, 1<<20)
	var seed [32]byte
	rand.Read(seed[:])
	rng := mrand.NewChaCha8(seed)
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	for off := int64(0); off < size; off += int64(len(block)) {
		rng.Read(block)
		if _, err := f.Write(block[:min(int64(len(block)), size-off)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func benchSource(p string, size int64) *crSource {
	desc := crDescriptor("bench", []string{"disk.vmdk"}, []int64{size}, size, "")
	return &crSource{name: "bench", vms: []*crVM{{name: "bench", desc: desc, files: []*crFile{{href: "disk.vmdk", path: p, size: size}}}}}
}

// TestBenchChild runs one create for BenchmarkCreateVsStock.
func TestBenchChild(t *testing.T) {
	dir := os.Getenv(benchChildEnv)
	if dir == "" {
		t.Skip("run by BenchmarkCreateVsStock")
	}
	size, _ := strconv.ParseInt(os.Getenv("EXITBUNDLE_BENCH_SIZE"), 10, 64)
	id, _ := age.GenerateX25519Identity()
	opts := CreateOptions{
		Sources:        []Source{benchSource(filepath.Join(dir, "disk.raw"), size)},
		Out:            filepath.Join(dir, "out"),
		Signer:         testSigner(t),
		Recipients:     []age.Recipient{id.Recipient()},
		RecipientNames: []string{id.Recipient().String()},
		Compress:       os.Getenv("EXITBUNDLE_BENCH_COMPRESS"),
	}
	if os.Getenv("EXITBUNDLE_BENCH_PROGRESS") != "" {
		opts.Progress = os.Stderr
	}
	if _, err := testCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("bench-child hwm=%d\n", peakRSS(t))
}

func BenchmarkCreateVsStock(b *testing.B) {
	tools := interop.Require(b, "openssl", "age")
	size := benchSize()
	dir := b.TempDir()
	src := filepath.Join(dir, "disk.raw")
	benchFile(b, src, size)
	id, _ := age.GenerateX25519Identity()

	b.SetBytes(size)
	b.ResetTimer()
	var stockTime, syncTime time.Duration
	var limit, ioLimit float64
	runs := map[string]*childRun{"none": {}, "auto": {}}
	for i := 0; i < b.N; i++ {
		// Other processes share this machine: measure its limit next to
		// each run rather than once.
		b.StopTimer()
		l, lio := machineLimit(b, src)
		limit += l
		ioLimit += lio
		b.StartTimer()
		modes := []string{"none", "auto"}
		if i%2 == 1 {
			modes = []string{"auto", "none"}
		}
		for _, mode := range modes {
			runs[mode].run(b, dir, size, mode)
		}

		b.StopTimer()
		start := time.Now()
		for _, args := range [][]string{
			{tools[0], "dgst", "-sha256", src},
			{tools[1], "-r", id.Recipient().String(), "-o", filepath.Join(dir, "stock.age"), src},
			{tools[0], "dgst", "-sha256", filepath.Join(dir, "stock.age")},
		} {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
		stockTime += time.Since(start)
		// create makes its output durable before it signs; the stock
		// way's output is only in the page cache until synced.
		if err := syncPath(filepath.Join(dir, "stock.age")); err != nil {
			b.Fatal(err)
		}
		syncTime += time.Since(start)
		os.Remove(filepath.Join(dir, "stock.age"))
		b.StartTimer()
	}
	b.StopTimer()
	limit /= float64(b.N)
	ioLimit /= float64(b.N)
	none, auto := runs["none"], runs["auto"]
	rate := float64(size) * float64(b.N) / none.wall.Seconds()
	b.ReportMetric(stockTime.Seconds()/none.wall.Seconds(), "x-vs-stock")
	b.ReportMetric(syncTime.Seconds()/none.wall.Seconds(), "x-vs-stock-synced")
	b.ReportMetric(stockTime.Seconds()/auto.wall.Seconds(), "auto-x-vs-stock")
	b.ReportMetric(100*rate/limit, "pct-of-limit")
	b.ReportMetric(limit/1e6, "limit-MB/s")
	b.ReportMetric(100*rate/ioLimit, "pct-of-limit-with-io")
	b.ReportMetric(none.cpu.Seconds()/float64(b.N), "create-cpu-s")
	b.ReportMetric(float64(max(none.rss, auto.rss))/1024, "peak-RSS-MiB") // VmHWM is in KiB
	b.ReportMetric(rate/1e6, "create-MB/s")
	b.ReportMetric(float64(size)*float64(b.N)/auto.wall.Seconds()/1e6, "auto-MB/s")
	b.ReportMetric(auto.wall.Seconds()/none.wall.Seconds(), "auto-vs-none-time")
	b.ReportMetric(auto.cpu.Seconds()/none.cpu.Seconds(), "auto-vs-none-cpu")
	b.ReportMetric(float64(auto.stored)/float64(none.stored), "auto-vs-none-bytes")
}

// childRun sums the runs of create in a child process with one --compress.
type childRun struct {
	wall, cpu time.Duration
	rss       int64
	stored    int64 // bytes of the bundle, summed
}

func (c *childRun) run(b *testing.B, dir string, size int64, compress string) {
	out := filepath.Join(dir, "out")
	os.RemoveAll(out)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+dir, fmt.Sprintf("EXITBUNDLE_BENCH_SIZE=%d", size), "EXITBUNDLE_BENCH_COMPRESS="+compress)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("create --compress %s: %v\n%s", compress, err, log.String())
	}
	c.wall += time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var hwm int64
	if i := bytes.LastIndex(log.Bytes(), []byte("bench-child ")); i < 0 {
		b.Fatalf("create --compress %s: no report:\n%s", compress, log.String())
	} else if _, err := fmt.Sscanf(log.String()[i:], "bench-child hwm=%d", &hwm); err != nil {
		b.Fatalf("create --compress %s: %v:\n%s", compress, err, log.String())
	}
	c.rss = max(c.rss, hwm) // VmHWM, not ru.Maxrss: see peakRSS
	c.cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				c.stored += fi.Size()
			}
		}
		return nil
	})
	os.RemoveAll(out)
}

// machineLimit measures single-core SHA-256 and age encryption speeds and
// returns the fastest a perfect pipeline could go on this machine: the
// bytes per second of hash + encrypt + hash spread over every core. The
// second figure adds what no pipeline avoids and the first leaves out:
// the CPU cost of reading the input and writing the output, measured by
// copying the first 256 MiB of src to a new file beside it.
func machineLimit(b *testing.B, src string) (limit, withIO float64) {
	buf := make([]byte, 1<<20)
	rand.Read(buf)
	const total = 256 << 20
	start := time.Now()
	h := sha256.New()
	for n := 0; n < total; n += len(buf) {
		h.Write(buf)
	}
	shaSec := time.Since(start).Seconds() / total
	id, _ := age.GenerateX25519Identity()
	w, err := age.Encrypt(io.Discard, id.Recipient())
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	for n := 0; n < total; n += len(buf) {
		w.Write(buf)
	}
	w.Close()
	ageSec := time.Since(start).Seconds() / total
	ioSec := copyCost(b, src, total) / total
	b.Logf("single core: sha256 %.0f MB/s, age %.0f MB/s, read+write %.0f MB/s", 1e-6/shaSec, 1e-6/ageSec, 1e-6/ioSec)
	cores := float64(runtime.NumCPU())
	return cores / (2*shaSec + ageSec), cores / (2*shaSec + ageSec + ioSec)
}

// copyCost returns the CPU seconds (user and system) spent copying n bytes
// of src to a new file, as create reads its input and writes its output.
func copyCost(b *testing.B, src string, n int64) float64 {
	dst := src + ".copy"
	defer os.Remove(dst)
	var before, after syscall.Rusage
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	syscall.Getrusage(syscall.RUSAGE_THREAD, &before)
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, io.LimitReader(in, n), buf); err != nil {
		b.Fatal(err)
	}
	syscall.Getrusage(syscall.RUSAGE_THREAD, &after)
	runtime.UnlockOSThread()
	out.Close()
	cpu := func(r syscall.Rusage) float64 { return float64(r.Utime.Nano()+r.Stime.Nano()) / 1e9 }
	return cpu(after) - cpu(before)
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
