package qemu

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/exitkit/exitkit/internal/boottest"
	"github.com/exitkit/exitkit/internal/guest"
	"github.com/exitkit/exitkit/internal/interop"
)

// BenchmarkBoot measures the time from starting QEMU to the guest's
// marker, per firmware and disk format: the demo guest from its
// streamOptimized VMDK, and the Linux guest from each format the bundle's
// README converts to. Reported as s/boot; run with -benchtime 1x.
//
//	EXITKIT_BOOT_DEBS=~/.cache/exitkit-boot-debs go test ./internal/qemu -run '^$' -bench Boot -benchtime 1x
func BenchmarkBoot(b *testing.B) {
	for _, fw := range []string{"bios", "efi"} {
		b.Run("demo/"+fw+"/vmdk", func(b *testing.B) {
			tools := requireQEMU(b, fw)
			disk := demoVMDK(b, "bench", guest.Firmware(fw))
			benchBoot(b, tools, fw, disk, "vmdk", regexp.MustCompile(regexp.QuoteMeta(guest.Marker("bench"))))
		})
	}
	g := boottest.Linux(b)
	qemuImg := interop.Require(b, "qemu-img")[0]
	for _, format := range []string{"vmdk", "qcow2", "vhdx", "vpc"} {
		img := filepath.Join(b.TempDir(), "linux."+format)
		args := []string{"convert", "-f", "raw", "-O", format, g.Path, img}
		switch format {
		case "vmdk":
			args = []string{"convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", g.Path, img}
		case "vpc":
			args = []string{"convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed", g.Path, img}
		}
		if out, err := exec.Command(qemuImg, args...).CombinedOutput(); err != nil {
			b.Fatalf("qemu-img: %v\n%s", err, out)
		}
		for _, fw := range []string{"bios", "efi"} {
			b.Run("linux/"+fw+"/"+format, func(b *testing.B) {
				tools := requireQEMU(b, fw)
				benchBoot(b, tools, fw, img, format, g.Expect())
			})
		}
	}
}

func benchBoot(b *testing.B, tools *Tools, fw, disk, format string, expect *regexp.Regexp) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		res, err := Boot(context.Background(), tools, Options{
			Name: "bench", Firmware: fw, Dir: b.TempDir(), Timeout: 3 * time.Minute, MemoryMiB: 256,
			Disks: []Disk{{Path: disk, Format: format, Controller: "sata"}}, Expect: expect,
		})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Passed {
			b.Fatalf("%s: %s", res.Outcome, res.Reason)
		}
		total += res.Duration
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/boot")
}
