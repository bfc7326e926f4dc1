package bundle

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/interop"
)

// BenchmarkVerifyVsOpenSSL compares verify of a bundle (stored hashes; no
// keys) with the stock way of doing the same hashing, `openssl dgst
// -sha256` over the same payload files one after another, alternating the
// two in each iteration so both see the same machine load and a warm page
// cache. It reports both rates and their ratio (target: verify at least
// 1.8x as fast on 2 cores, from hashing files in parallel), verify with
// one job (the speed-up from parallel files alone), and the CPU-time rates
// (throughput per CPU second, which machine load does not change). ns/op
// and MB/s cover all three runs of an iteration; read the named metrics.
//
// EXITKIT_BENCH_MB sets the payload size (default 512 MiB, in 4 files).
func BenchmarkVerifyVsOpenSSL(b *testing.B) {
	openssl := interop.Require(b, "openssl")[0]
	total := int64(512)
	if v, err := strconv.ParseInt(os.Getenv("EXITKIT_BENCH_MB"), 10, 64); err == nil && v > 0 {
		total = v
	}
	total <<= 20
	dir := b.TempDir()
	files := vtBenchBag(b, dir, 4, total/4)
	args := append([]string{"dgst", "-sha256"}, files...)

	// Warm the page cache.
	for _, f := range files {
		fh, _ := os.Open(f)
		io.Copy(io.Discard, fh)
		fh.Close()
	}
	b.SetBytes(total)
	b.ResetTimer()
	// CPU time too: on a machine shared with other work, wall-clock ratios
	// depend on the load, CPU seconds per byte do not.
	var tVerify, tOneJob, tOpenSSL, cVerify, cOpenSSL time.Duration
	for b.Loop() {
		start, cpu := time.Now(), vtCPU(syscall.RUSAGE_SELF)
		r, err := Verify(context.Background(), dir, VerifyOptions{})
		tVerify += time.Since(start)
		cVerify += vtCPU(syscall.RUSAGE_SELF) - cpu
		if err != nil || !r.OK {
			b.Fatalf("verify: %v\n%s", err, vtText(r))
		}
		start = time.Now()
		if _, err := Verify(context.Background(), dir, VerifyOptions{Jobs: 1}); err != nil {
			b.Fatal(err)
		}
		tOneJob += time.Since(start)
		start, cpu = time.Now(), vtCPU(syscall.RUSAGE_CHILDREN)
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			b.Fatalf("openssl: %v\n%s", err, out)
		}
		tOpenSSL += time.Since(start)
		cOpenSSL += vtCPU(syscall.RUSAGE_CHILDREN) - cpu
	}
	n := float64(b.N)
	mb := float64(total) / 1e6
	b.ReportMetric(mb*n/tVerify.Seconds(), "verify-MB/s")
	b.ReportMetric(mb*n/tOpenSSL.Seconds(), "openssl-MB/s")
	b.ReportMetric(tOpenSSL.Seconds()/tVerify.Seconds(), "x-faster")
	b.ReportMetric(mb*n/tOneJob.Seconds(), "verify-1job-MB/s")
	b.ReportMetric(mb*n/cVerify.Seconds(), "verify-MB/cpu-s")
	b.ReportMetric(mb*n/cOpenSSL.Seconds(), "openssl-MB/cpu-s")
}

// vtCPU returns user+system CPU time of the process or its waited-for
// children.
func vtCPU(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vtBenchBag writes an unencrypted bag of n random files of size bytes
// each, streaming (no file is held in memory), and returns their paths.
func vtBenchBag(b *testing.B, dir string, n int, size int64) []string {
	b.Helper()
	var tv []tbFile
	var paths []string
	vm := VM{Name: "bench", OVF: PayloadDir + "/bench/bench.ovf", MF: PayloadDir + "/bench/bench.mf"}
	mf := ""
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for i := range n {
		name := fmt.Sprintf("bench-disk-%d.vmdk", i+1)
		p := filepath.Join(dir, PayloadDir, "bench", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		for written := int64(0); written < size; written += int64(len(buf)) {
			for j := 0; j+8 <= len(buf); j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					buf[j+k] = byte(v >> (8 * k))
				}
			}
			chunk := buf[:min(int64(len(buf)), size-written)]
			f.Write(chunk)
			h.Write(chunk)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		sum := fmt.Sprintf("%x", h.Sum(nil))
		paths = append(paths, p)
		tv = append(tv, tbFile{Name: name, Role: RoleDisk, Data: make([]byte, 0)})
		vm.Files = append(vm.Files, File{Name: name, Path: PayloadDir + "/bench/" + name, Role: RoleDisk, Size: size, SHA256: sum, StoredSize: size, StoredSHA256: sum})
		mf += fmt.Sprintf("SHA256(%s)= %s\n", name, sum)
	}
	// The descriptor states each file's real size.
	desc := vtDescriptor(tbVM{Name: "bench", Files: tv})
	desc = []byte(strings.ReplaceAll(string(desc), `ovf:size="0"`, fmt.Sprintf(`ovf:size="%d"`, size)))
	vtWrite(b, filepath.Join(dir, vm.OVF), desc)
	mf = fmt.Sprintf("SHA256(bench.ovf)= %s\n", vtSHA(desc)) + mf
	vtWrite(b, filepath.Join(dir, vm.MF), []byte(mf))
	vm.Files = append(vm.Files,
		File{Name: "bench.ovf", Path: vm.OVF, Role: RoleDescriptor, Size: int64(len(desc)), SHA256: vtSHA(desc), StoredSize: int64(len(desc)), StoredSHA256: vtSHA(desc)},
		File{Name: "bench.mf", Path: vm.MF, Role: RoleManifest, Size: int64(len(mf)), SHA256: vtSHA([]byte(mf)), StoredSize: int64(len(mf)), StoredSHA256: vtSHA([]byte(mf))})
	m := &Manifest{Format: FormatVersion, Encryption: Encryption{Mode: "none"}, Compression: "none", VMs: []VM{vm}}
	signer := testSigner(b)
	m.Signer = Signer{Fingerprint: ssh.FingerprintSHA256(signer.PublicKey())}
	vtWriteTags(b, dir, m, tbSpec{Signer: signer})
	return paths
}
