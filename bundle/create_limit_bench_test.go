package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle/internal/pipeline"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/internal/interop"
)

// BenchmarkCreateLimit says where the machine's limit is for create and how
// close create comes to it (issue 12). Its sub-benchmarks are every
// combination of
//
//   - layout: one big file (one VM, one disk), or 8 VMs of one disk each
//     holding the same total;
//   - data: incompressible (ChaCha8, as an encrypted file system looks),
//     zero-heavy (zeros with a random 4 KiB page in 16: a mostly empty
//     disk) and ext4 (mkfs.ext4 -d of GOROOT's src and pkg/tool, made at
//     test time: text, Go source, executables, free space);
//   - where: tmpfs (EXITBUNDLE_BENCH_TMPFS, default /dev/shm) and disk
//     (EXITBUNDLE_BENCH_DISK, default /var/tmp), input and output alike.
//
// Each iteration runs alternating pairs (3 on tmpfs, 5 on disk) of create
// with its default flags (--compress auto) and the stock way (per file:
// openssl dgst -sha256; age -r; openssl dgst -sha256, then fsync of the
// .age for the synced figure), plus create --compress none and, on
// compressible data, --compress zstd, each in a child process that reads
// its peak RSS. It reports, for auto (medians of the pairs):
//
//   - create-MB/s and cpu-s/GB (the child's user+system CPU per GB read);
//   - pct-of-limit-with-io: create's rate over the limit, the rate at which
//     runtime.NumCPU() cores (2 here) would go if they did nothing but the
//     work create does on these bytes, each stage at its single-core cost
//     measured next to each pair on (up to 256 MiB of) the same bytes: read the
//     source (read(2) of 256 KiB), SHA-256 of the plaintext, the codec
//     (autozstd: uniformity scan, sampling, and compression of the
//     segments that compress), age of the codec's output, SHA-256 of what
//     is stored, and write(2) of it in 64 KiB writes (fsync excluded: it is
//     the device's time, not CPU's; pct-of-dd covers it);
//   - x-vs-stock (stock time over create's, median of the pair ratios) and
//     x-vs-stock-synced (the stock way's time including its fsync);
//   - on disk, pct-of-dd: create's rate over the device's sequential
//     durable write rate, dd if=/dev/zero conv=fsync of the same size
//     (bs=1M or bs=64k, the faster), measured in each pair; and
//     pct-of-bound: create's rate over the lower of the two limits, the
//     device's and the cores' (a device faster than two cores can hash
//     and encrypt cannot be filled by them);
//   - auto-vs-none-time (incompressible data) and auto-vs-zstd-bytes
//     (compressible data), medians of the pair ratios;
//   - peak-RSS-MiB of the auto runs.
//
// Inputs are generated before the timed runs and are in the page cache on
// disk too (24 GiB of RAM): the disk figures are of writing, durably.
// Each case is EXITBUNDLE_BENCH_MIB (default 512) MiB; the whole family
// takes about ten minutes on two cores:
//
//	go test ./bundle -run '^$' -bench BenchmarkCreateLimit -benchtime 1x -timeout 60m
func BenchmarkCreateLimit(b *testing.B) {
	tools := interop.Require(b, "openssl", "age", "dd")
	size := int64(512) << 20
	if v, err := strconv.Atoi(os.Getenv("EXITBUNDLE_BENCH_MIB")); err == nil && v > 0 {
		size = int64(v) << 20
	}
	places := []struct{ name, env, def string }{
		{"tmpfs", "EXITBUNDLE_BENCH_TMPFS", "/dev/shm"},
		{"disk", "EXITBUNDLE_BENCH_DISK", "/var/tmp"},
	}
	for _, layout := range []int{1, 8} {
		for _, data := range []string{"incompressible", "zero-heavy", "ext4"} {
			for _, pl := range places {
				name := fmt.Sprintf("%s/%s/%s", map[int]string{1: "one-file", 8: "8-vms"}[layout], data, pl.name)
				b.Run(name, func(b *testing.B) {
					base := os.Getenv(pl.env)
					if base == "" {
						base = pl.def
					}
					dir, err := os.MkdirTemp(base, "exitkit-limit-")
					if err != nil {
						b.Skipf("%s: %v", pl.name, err)
					}
					defer os.RemoveAll(dir)
					lc := &limitCase{tools: tools, dir: dir, disk: pl.name == "disk", data: data}
					lc.files = limitInputs(b, dir, data, layout, size)
					lc.size = size
					lc.run(b)
				})
			}
		}
	}
}

type limitCase struct {
	tools []string // openssl, age, dd
	dir   string
	disk  bool
	data  string
	files []string
	size  int64
}

func (lc *limitCase) run(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	recipient := id.Recipient()
	compressible := lc.data != "incompressible"
	modes := []string{"auto", "none"}
	if compressible {
		modes = append(modes, "zstd")
	}
	pairs := 3
	if lc.disk {
		pairs = 5
	}
	var (
		autoWall, autoCPU, stockX, syncX, ddRate, noneX, zstdX []float64
		limits                                                 []float64
		rss                                                    int64
	)
	b.SetBytes(lc.size * int64(pairs)) // the timer runs for auto's runs only
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		for k := 0; k < pairs; k++ {
			// Other processes share the machine: measure the limit next to
			// each pair rather than once.
			stages, total := measureStages(b, lc.dir, lc.files, recipient)
			limits = append(limits, float64(runtime.NumCPU())/total)
			b.Logf("single-core cost, CPU-s/GB of input: %s; limit on %d cores %.0f MB/s", stages, runtime.NumCPU(), limits[len(limits)-1]/1e6)
			var runs = map[string]limitRun{}
			createFirst := k%2 == 0
			stock, synced := 0.0, 0.0
			if !createFirst {
				stock, synced = lc.stock(b, recipient)
			}
			order := slices.Clone(modes)
			if k%2 == 1 {
				slices.Reverse(order)
			}
			for _, m := range order {
				if m == "auto" {
					b.StartTimer()
				}
				runs[m] = lc.create(b, m, id)
				if m == "auto" {
					b.StopTimer()
				}
			}
			if createFirst {
				stock, synced = lc.stock(b, recipient)
			}
			auto := runs["auto"]
			autoWall = append(autoWall, auto.wall)
			autoCPU = append(autoCPU, auto.cpu)
			rss = max(rss, auto.rss)
			stockX = append(stockX, stock/auto.wall)
			syncX = append(syncX, synced/auto.wall)
			noneX = append(noneX, auto.wall/runs["none"].wall)
			if compressible {
				zstdX = append(zstdX, float64(auto.stored)/float64(runs["zstd"].stored))
			}
			if lc.disk {
				ddRate = append(ddRate, lc.dd(b))
			}
			b.Logf("pair %d: auto %.2fs (%d stored), none %.2fs, stock %.2fs, synced %.2fs", k+1, auto.wall, auto.stored, runs["none"].wall, stock, synced)
		}
	}
	rate := float64(lc.size) / median(autoWall)
	b.ReportMetric(rate/1e6, "create-MB/s")
	b.ReportMetric(median(autoCPU)/(float64(lc.size)/1e9), "cpu-s/GB")
	b.ReportMetric(median(limits)/1e6, "limit-MB/s")
	b.ReportMetric(100*rate/median(limits), "pct-of-limit-with-io")
	b.ReportMetric(median(stockX), "x-vs-stock")
	b.ReportMetric(median(syncX), "x-vs-stock-synced")
	b.ReportMetric(median(noneX), "auto-vs-none-time")
	if compressible {
		b.ReportMetric(median(zstdX), "auto-vs-zstd-bytes")
	}
	if lc.disk {
		b.ReportMetric(100*rate/median(ddRate), "pct-of-dd")
		b.ReportMetric(median(ddRate)/1e6, "dd-MB/s")
		b.ReportMetric(100*rate/min(median(ddRate), median(limits)), "pct-of-bound")
	}
	b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB") // VmHWM is in KiB
}

// limitRun is one create in a child process.
type limitRun struct {
	wall, cpu float64 // seconds
	rss       int64   // peak, KiB
	stored    int64   // bytes of the payload files
}

// limitSpec tells TestLimitChild what to create.
type limitSpec struct {
	Files    []string // one VM per file
	Size     int64    // with no Files: generated, Size bytes per VM
	VMs      int
	Out      string
	Compress string
	Discard  bool // count the stored bytes instead of writing them
}

const limitChildEnv = "EXITBUNDLE_LIMIT_CHILD"

func (lc *limitCase) create(b *testing.B, mode string, id *age.X25519Identity) limitRun {
	return childCreate(b, limitSpec{Files: lc.files, Out: filepath.Join(lc.dir, "out"), Compress: mode}, id)
}

// childCreate runs one create as TestLimitChild describes it, and removes
// its output.
func childCreate(b *testing.B, spec limitSpec, id *age.X25519Identity) limitRun {
	os.RemoveAll(spec.Out)
	defer os.RemoveAll(spec.Out)
	data, _ := json.Marshal(struct {
		limitSpec
		Recipient string
	}{spec, id.Recipient().String()})
	cmd := exec.Command(os.Args[0], "-test.run=^TestLimitChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), limitChildEnv+"="+string(data))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("create --compress %s: %v\n%s", spec.Compress, err, log.String())
	}
	r := limitRun{wall: time.Since(start).Seconds()}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	// Not ru.Maxrss: Linux carries the RSS of the process that forked
	// the child (this benchmark, with its samples in memory) into it.
	i := bytes.LastIndex(log.Bytes(), []byte("limit-child "))
	if i < 0 || func() error {
		_, err := fmt.Sscanf(log.String()[i:], "limit-child stored=%d hwm=%d", &r.stored, &r.rss)
		return err
	}() != nil {
		b.Fatalf("create --compress %s: no report:\n%s", spec.Compress, log.String())
	}
	if spec.Discard {
		return r
	}
	r.stored = 0
	filepath.WalkDir(filepath.Join(spec.Out, PayloadDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				r.stored += fi.Size()
			}
		}
		return nil
	})
	return r
}

// TestLimitChild runs one create for BenchmarkCreateLimit and
// BenchmarkCreatePeakRSS.
func TestLimitChild(t *testing.T) {
	env := os.Getenv(limitChildEnv)
	if env == "" {
		t.Skip("run by BenchmarkCreateLimit and BenchmarkCreatePeakRSS")
	}
	var spec struct {
		limitSpec
		Recipient string
	}
	if err := json.Unmarshal([]byte(env), &spec); err != nil {
		t.Fatal(err)
	}
	r, err := age.ParseX25519Recipient(spec.Recipient)
	if err != nil {
		t.Fatal(err)
	}
	var src Source
	if len(spec.Files) > 0 {
		s := &crSource{name: "limit"}
		for i, p := range spec.Files {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("vm%d", i+1)
			s.vms = append(s.vms, &crVM{name: name, desc: crDescriptor(name, []string{"disk.img"}, []int64{fi.Size()}, fi.Size(), ""),
				files: []*crFile{{href: "disk.img", path: p, size: fi.Size()}}})
		}
		src = s
	} else {
		src = &genSource{vms: spec.VMs, size: spec.Size}
	}
	var sm seams
	var stored countSink
	if spec.Discard {
		sm.wrapOutput = func(string, io.Writer) io.Writer { return &stored }
	}
	opts := CreateOptions{
		Sources:        []Source{src},
		Out:            spec.Out,
		Signer:         testSigner(t),
		Recipients:     []age.Recipient{r},
		RecipientNames: []string{spec.Recipient},
		Compress:       spec.Compress,
	}
	if _, err := testCreate(context.Background(), opts, sm); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("limit-child stored=%d hwm=%d\n", stored.n.Load(), peakRSS(t))
}

// peakRSS returns VmHWM, the peak RSS in KiB of this process's own memory
// since exec. Not getrusage's Maxrss: Linux carries into a child the RSS
// of the process that forked it (a benchmark holding its samples).
func peakRSS(t testing.TB) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			if f := bytes.Fields(v); len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n
			}
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// countSink counts what reaches it: a stored file that costs no memory
// and no disk, for the peak RSS benchmark.
type countSink struct{ n atomic.Int64 }

func (c *countSink) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// genSource is a Source of vms VMs of one disk of size bytes each, whose
// bytes are generated as they are read (ChaCha8: incompressible), so that
// 8 GiB through create needs no 8 GiB input file.
type genSource struct {
	vms  int
	size int64
}

func (g *genSource) String() string { return fmt.Sprintf("generated:%dx%d", g.vms, g.size) }

func (g *genSource) Names() []string {
	names := make([]string, g.vms)
	for i := range names {
		names[i] = fmt.Sprintf("vm%d", i+1)
	}
	return names
}

func (g *genSource) Export(ctx context.Context, slots source.Slots, fn func(context.Context, *SourceVM) error) error {
	return source.Each(ctx, g.vms, slots, func(ctx context.Context, i int) error {
		name := fmt.Sprintf("vm%d", i+1)
		seed := byte(i)
		sv := &SourceVM{Seq: i, Name: name, Origin: g.String() + "/" + name, Descriptor: crDescriptor(name, []string{"disk.img"}, []int64{g.size}, g.size, "")}
		sv.Files = []SourceFile{{Href: "disk.img", Size: g.size, Open: func(context.Context) (io.ReadCloser, error) {
			var s [32]byte
			s[0] = seed
			return io.NopCloser(&genReader{rng: mrand.NewChaCha8(s), left: g.size}), nil
		}}}
		return fn(ctx, sv)
	})
}

type genReader struct {
	rng  *mrand.ChaCha8
	left int64
}

func (r *genReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	r.rng.Read(p)
	r.left -= int64(len(p))
	return len(p), nil
}

// stock runs the stock way on every input file, one after another, and
// returns its time and its time including an fsync of each output.
func (lc *limitCase) stock(b *testing.B, r age.Recipient) (plain, synced float64) {
	out := filepath.Join(lc.dir, "stock.age")
	var total, syncs time.Duration
	for _, f := range lc.files {
		start := time.Now()
		for _, args := range [][]string{
			{lc.tools[0], "dgst", "-sha256", f},
			{lc.tools[1], "-r", r.(*age.X25519Recipient).String(), "-o", out, f},
			{lc.tools[0], "dgst", "-sha256", out},
		} {
			if o, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %v\n%s", args, err, o)
			}
		}
		total += time.Since(start)
		start = time.Now()
		if err := syncPath(out); err != nil {
			b.Fatal(err)
		}
		syncs += time.Since(start)
		os.Remove(out)
	}
	return total.Seconds(), (total + syncs).Seconds()
}

// dd returns the device's sequential durable write rate for the case's
// size, in bytes per second: the faster of dd conv=fsync with 1 MiB and
// with 64 KiB blocks (on this machine's virtual disk 1 MiB writes cost
// several times the CPU of 64 KiB ones, so bs=1M alone understates the
// device).
func (lc *limitCase) dd(b *testing.B) float64 {
	out := filepath.Join(lc.dir, "dd.out")
	defer os.Remove(out)
	best := 0.0
	for _, bs := range []int64{1 << 20, 64 << 10} {
		os.Remove(out)
		start := time.Now()
		args := []string{"if=/dev/zero", "of=" + out, fmt.Sprintf("bs=%d", bs), fmt.Sprintf("count=%d", lc.size/bs), "conv=fsync"}
		if o, err := exec.Command(lc.tools[2], args...).CombinedOutput(); err != nil {
			b.Fatalf("dd: %v\n%s", err, o)
		}
		best = max(best, float64(lc.size)/time.Since(start).Seconds())
	}
	return best
}

// stageCosts are the CPU seconds per input byte of each stage.
type stageCosts []struct {
	name string
	sec  float64
}

func (s stageCosts) String() string {
	var buf bytes.Buffer
	for i, c := range s {
		if i > 0 {
			buf.WriteString(", ")
		}
		fmt.Fprintf(&buf, "%s %.3f", c.name, c.sec*1e9)
	}
	return buf.String()
}

// measureStages measures, one stage at a time on one core (the process's
// CPU time, nothing else running in it), what every stage of create costs
// on up to 256 MiB of the case's bytes with create's default codec (auto),
// and returns the costs and their sum, in CPU seconds per input byte. A
// larger case is sampled in 4 MiB pieces spread evenly over its files: an
// ext4 image holds its files in its first part, its free space after.
func measureStages(b *testing.B, dir string, files []string, r age.Recipient) (stageCosts, float64) {
	const sampleMax, piece = 256 << 20, 4 << 20
	type at struct {
		f   *os.File
		off int64
	}
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	var all []at
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		opened = append(opened, f)
		fi, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		for off := int64(0); off+piece <= fi.Size(); off += piece {
			all = append(all, at{f, off})
		}
	}
	pieces := all
	if len(all)*piece > sampleMax {
		pieces = nil
		for k := range sampleMax / piece {
			pieces = append(pieces, all[k*len(all)/(sampleMax/piece)])
		}
	}
	n := int64(len(pieces)) * piece
	buf := make([]byte, pipeline.BufSize)
	// read: as the read stage reads, 256 KiB at a time.
	c0 := processCPU()
	for _, pc := range pieces {
		for off := int64(0); off < piece; off += int64(len(buf)) {
			if _, err := pc.f.ReadAt(buf, pc.off+off); err != nil {
				b.Fatal(err)
			}
		}
	}
	readSec := processCPU() - c0
	// The same bytes in memory for the other stages, not counted.
	plain := prefaulted(int(n))
	for i, pc := range pieces {
		if _, err := pc.f.ReadAt(plain[i*piece:(i+1)*piece], pc.off); err != nil {
			b.Fatal(err)
		}
	}
	var costs stageCosts
	add := func(name string, sec float64) {
		costs = append(costs, struct {
			name string
			sec  float64
		}{name, sec / float64(n)})
	}
	add("read", readSec)

	c0 = processCPU()
	h := sha256.New()
	for p := plain; len(p) > 0; p = p[min(len(p), pipeline.BufSize):] {
		h.Write(p[:min(len(p), pipeline.BufSize)])
	}
	add("sha256", processCPU()-c0)

	packed := &sliceWriter{b: prefaulted(len(plain) + len(plain)/64 + 1<<20)[:0]}
	c0 = processCPU()
	zw, err := pipeline.NewCompressor(packed, true)
	if err != nil {
		b.Fatal(err)
	}
	for p := plain; len(p) > 0; p = p[min(len(p), pipeline.BufSize):] {
		zw.Write(p[:min(len(p), pipeline.BufSize)])
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	add("auto", processCPU()-c0)

	sealed := &sliceWriter{b: prefaulted(len(packed.b) + len(packed.b)/1024 + 1<<20)[:0]}
	c0 = processCPU()
	aw, err := age.Encrypt(sealed, r)
	if err != nil {
		b.Fatal(err)
	}
	for p := packed.b; len(p) > 0; p = p[min(len(p), pipeline.BufSize):] {
		aw.Write(p[:min(len(p), pipeline.BufSize)])
	}
	aw.Close()
	add("age", processCPU()-c0)

	c0 = processCPU()
	h = sha256.New()
	for p := sealed.b; len(p) > 0; p = p[min(len(p), pipeline.BufSize):] {
		h.Write(p[:min(len(p), pipeline.BufSize)])
	}
	add("sha256-stored", processCPU()-c0)

	out := filepath.Join(dir, "stages.out")
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	c0 = processCPU()
	for p := sealed.b; len(p) > 0; p = p[min(len(p), pipeline.WriteSize):] {
		if _, err := f.Write(p[:min(len(p), pipeline.WriteSize)]); err != nil {
			b.Fatal(err)
		}
	}
	add("write", processCPU()-c0)
	f.Close()
	os.Remove(out)

	var total float64
	for _, c := range costs {
		total += c.sec
	}
	return costs, total
}

// prefaulted returns n bytes whose pages are already mapped, so that the
// stage writing into them is not charged for the page faults.
func prefaulted(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 1
	}
	return b
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func processCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// limitInputs writes the case's input: layout files of size/layout bytes.
func limitInputs(b *testing.B, dir, data string, layout int, size int64) []string {
	var files []string
	each := size / int64(layout)
	for i := range layout {
		p := filepath.Join(dir, fmt.Sprintf("disk%d.img", i+1))
		switch data {
		case "incompressible":
			writeGenerated(b, p, each, uint64(i), 1)
		case "zero-heavy":
			writeGenerated(b, p, each, uint64(i), 16)
		case "ext4":
			ext4Image(b, p, each, i, layout)
		}
		files = append(files, p)
	}
	return files
}

// writeGenerated writes size bytes: ChaCha8 output in one 4 KiB page in
// share, chosen at random, and zeros elsewhere (share 1: all random).
func writeGenerated(b *testing.B, p string, size int64, seed uint64, share int) {
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	var s [32]byte
	s[0] = byte(seed)
	rng := mrand.NewChaCha8(s)
	pick := mrand.New(mrand.NewPCG(seed, 12))
	block := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(block)) {
		if share == 1 {
			rng.Read(block)
		} else {
			clear(block)
			for pg := 0; pg < len(block); pg += 4096 {
				if pick.IntN(share) == 0 {
					rng.Read(block[pg : pg+4096])
				}
			}
		}
		if _, err := f.Write(block[:min(int64(len(block)), size-off)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// ext4Image makes an ext4 file system of size bytes at p holding the
// i-th of n shares of GOROOT's src and pkg/tool files, up to 70 % full.
func ext4Image(b *testing.B, p string, size int64, i, n int) {
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		b.Skip("mkfs.ext4 not found; install Debian package e2fsprogs to benchmark a real file system")
	}
	root := p + ".root"
	defer os.RemoveAll(root)
	var filled int64
	files := 0
	k := 0
	for _, top := range []string{"src", "pkg/tool"} {
		filepath.WalkDir(filepath.Join(runtime.GOROOT(), top), func(src string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() || filled > size*7/10 {
				return nil
			}
			k++
			if k%n != i {
				return nil
			}
			data, err := os.ReadFile(src)
			if err != nil || filled+int64(len(data)) > size*7/10 {
				return nil
			}
			dst := filepath.Join(root, top, fmt.Sprint(k%64), d.Name())
			if os.MkdirAll(filepath.Dir(dst), 0o755) != nil || os.WriteFile(dst, data, 0o644) != nil {
				return nil
			}
			filled += int64(len(data)) + 4096
			files++
			return nil
		})
	}
	args := []string{"-q", "-F", "-t", "ext4", "-N", strconv.Itoa(files + 1024), "-d", root, p, fmt.Sprintf("%dk", size>>10)}
	if out, err := exec.Command(mkfs, args...).CombinedOutput(); err != nil {
		b.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
}

// BenchmarkCreatePeakRSS runs create in a child process on a generated,
// incompressible source of EXITBUNDLE_BENCH_RSS_GIB (default 8) GiB, as
// one file and as 8 VMs of one disk each, the stored files counted and
// not kept (seams.wrapOutput), and reports its peak RSS (issue 12: at most
// 64 MiB) and its rate.
//
//	go test ./bundle -run '^$' -bench BenchmarkCreatePeakRSS -benchtime 1x -timeout 30m
func BenchmarkCreatePeakRSS(b *testing.B) {
	gib := int64(8)
	if v, err := strconv.Atoi(os.Getenv("EXITBUNDLE_BENCH_RSS_GIB")); err == nil && v > 0 {
		gib = int64(v)
	}
	for _, vms := range []int{1, 8} {
		b.Run(fmt.Sprintf("%dGiB-%d-vms", gib, vms), func(b *testing.B) {
			id, _ := age.GenerateX25519Identity()
			dir := b.TempDir()
			total := gib << 30
			b.SetBytes(total)
			var rss int64
			var wall, cpu float64
			for i := 0; i < b.N; i++ {
				r := childCreate(b, limitSpec{Size: total / int64(vms), VMs: vms, Out: filepath.Join(dir, "out"), Discard: true}, id)
				if r.stored < total {
					b.Fatalf("stored %d bytes of %d", r.stored, total)
				}
				rss = max(rss, r.rss)
				wall += r.wall
				cpu += r.cpu
			}
			b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
			b.ReportMetric(float64(total)*float64(b.N)/wall/1e6, "create-MB/s")
			b.ReportMetric(cpu/float64(b.N)/(float64(total)/1e9), "cpu-s/GB")
		})
	}
}
