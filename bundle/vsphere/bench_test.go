//go:build unix

package vsphere_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/vmdk"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// BenchmarkExport1GiBVM exports a VM with a 1 GiB disk (half random, half
// text: a VMDK of 545 MB) from the simulator, run in a child process like a
// vCenter on another machine, into an age-encrypted bundle, two ways in the
// same run:
//
//   - direct: the vSphere source streams NFC downloads into bundle.Create;
//   - govc: `govc export.ovf` writes the OVF folder to disk, then
//     bundle.Create (what `exitbundle create --source DIR` runs) reads it.
//
// Each reports written-bytes/op, everything the path wrote to disk. govc is
// built from govmomi's cli/export package (testdata/govc) in a scratch
// module, which needs the module proxy once; set EXITKIT_GOVC to a govc
// binary to skip that. Run with -benchtime=1x: one export is seconds.
//
// On a shared machine wall time swings with the load; cpu-s/op (user and
// system time of this process plus govc, not the simulator's) is the
// steadier comparison.
func BenchmarkExport1GiBVM(b *testing.B) {
	logOn := os.Getenv("EXITKIT_BENCH_LOG") != ""
	prev := log.Writer()
	log.SetOutput(io.Discard) // vcsim's handshake and WriteHeader chatter
	defer log.SetOutput(prev)
	const capacity = 1 << 30
	lab := startLabServer(b, bigDisk(b, capacity), capacity)
	opts, _ := newKeys(b)

	b.Run("direct", func(b *testing.B) {
		b.SetBytes(capacity)
		var written int64
		cpu0 := cpuSeconds()
		for i := 0; b.Loop(); i++ {
			out := filepath.Join(b.TempDir(), "bundle")
			src, err := vsphere.Open(context.Background(), lab.URL("vm=big"), vsphere.Options{
				Password: func() (string, error) { return lab.Password, nil }, Thumbprint: lab.Thumbprint,
			})
			if err != nil {
				b.Fatal(err)
			}
			written = createAndMeasure(b, opts, src, out, out)
		}
		reportExport(b, "direct", written, cpu0, logOn)
	})

	b.Run("govc-export.ovf+create", func(b *testing.B) {
		govc := buildGovc(b)
		b.SetBytes(capacity)
		var written int64
		cpu0 := cpuSeconds()
		for b.Loop() {
			dir := b.TempDir()
			ovfDir, out := filepath.Join(dir, "ovf"), filepath.Join(dir, "bundle")
			cmd := exec.Command(govc, "export.ovf", "-vm", "/DC0/vm/big", ovfDir)
			cmd.Env = append(os.Environ(),
				"GOVC_URL=https://"+lab.Host+"/sdk", "GOVC_USERNAME="+lab.User, "GOVC_PASSWORD="+lab.Password,
				"GOVC_INSECURE=1")
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("govc export.ovf: %v\n%s", err, msg)
			}
			src, err := bundle.OpenSource(context.Background(), filepath.Join(ovfDir, "big"))
			if err != nil {
				b.Fatal(err)
			}
			written = createAndMeasure(b, opts, src, out, dir)
		}
		reportExport(b, "govc", written, cpu0, logOn)
	})
}

// labServer is the simulator running in a child process, as a vCenter
// runs on another machine: its CPU time is not the exporter's.
type labServer struct {
	Host, User, Password, Thumbprint string
}

func (l *labServer) URL(query string) string {
	return "vsphere://" + l.User + "@" + l.Host + "/sdk?" + query
}

// startLabServer builds and starts testdata/labserver with one VM "big".
func startLabServer(b *testing.B, vmdkPath string, capacity int64) *labServer {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "labserver")
	if msg, err := exec.Command("go", "build", "-o", bin, "./testdata/labserver").CombinedOutput(); err != nil {
		b.Fatalf("build labserver: %v\n%s", err, msg)
	}
	cmd := exec.Command(bin, "-disk", vmdkPath, "-capacity", fmt.Sprint(capacity))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	var l labServer
	if _, err := fmt.Fscanln(stdout, &l.Host, &l.User, &l.Password, &l.Thumbprint); err != nil {
		b.Fatalf("labserver: %v", err)
	}
	return &l
}

// cpuSeconds is the user and system time of this process and of its
// finished children (govc).
func cpuSeconds() float64 {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return sec(self.Utime) + sec(self.Stime) + sec(children.Utime) + sec(children.Stime)
}

// bigDisk writes the benchmark's VMDK once per run.
func bigDisk(b *testing.B, capacity int64) string {
	b.Helper()
	dir := b.TempDir()
	raw := filepath.Join(dir, "big.raw")
	f, err := os.Create(raw)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, 1<<20)
	text := bytes.Repeat([]byte("customer data, exported for the exit; "), 1<<20/38+1)[:1<<20]
	for i := int64(0); i < capacity>>20; i++ {
		if i%2 == 0 {
			for j := range chunk {
				chunk[j] = byte(r.Uint32())
			}
			_, err = f.Write(chunk)
		} else {
			_, err = f.Write(text)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	p := filepath.Join(dir, "big.vmdk")
	out, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := vmdk.WriteStreamOptimized(out, f, capacity); err != nil {
		b.Fatal(err)
	}
	out.Close()
	f.Close()
	os.Remove(raw)
	return p
}

// buildGovc builds testdata/govc in a scratch module, or takes EXITKIT_GOVC.
func buildGovc(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("EXITKIT_GOVC"); p != "" {
		return p
	}
	dir := b.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "govc", "main.go"))
	if err != nil {
		b.Fatal(err)
	}
	gomod := "module govcbuild\n\ngo 1.26\n\nrequire github.com/vmware/govmomi v0.56.0\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "govc")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Skipf("cannot build govc (go %s): %v\n%s", strings.Join(args, " "), err, msg)
		}
	}
	return bin
}

// du sums the sizes of the files under dir.
// createAndMeasure creates the bundle out from src and returns the bytes
// the path wrote under root (the bundle, plus any staging folder), then
// removes root outside the timer.
func createAndMeasure(b *testing.B, opts bundle.CreateOptions, src bundle.Source, out, root string) int64 {
	opts.Sources, opts.Out = []bundle.Source{src}, out
	if _, err := bundle.Create(context.Background(), opts); err != nil {
		b.Fatal(err)
	}
	written := du(b, root)
	b.StopTimer()
	os.RemoveAll(root)
	b.StartTimer()
	return written
}

func reportExport(b *testing.B, path string, written int64, cpu0 float64, logOn bool) {
	b.ReportMetric(float64(written), "written-bytes/op")
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	if logOn {
		b.Logf("%s: wrote %d bytes", path, written)
	}
}

func du(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
