package qemu

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exitkit/exitkit/internal/boottest"
	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/guest"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// requireQEMU finds QEMU, and OVMF when fw is "efi", or skips.
func requireQEMU(t testing.TB, fw string) *Tools {
	t.Helper()
	interop.Require(t, "qemu-system-x86_64")
	if fw == "efi" {
		interop.RequireFile(t, "ovmf", OVMFCandidates()...)
	}
	tools, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return tools
}

// demoVMDK writes the demo guest's disk as a streamOptimized VMDK, the
// way the demo bundle carries it.
func demoVMDK(t testing.TB, name string, fw guest.Firmware) string {
	t.Helper()
	im, err := guest.Disk(name, fw, 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".vmdk")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := vmdk.WriteStreamOptimized(f, im, im.Size()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertGone(t *testing.T, pid int) {
	t.Helper()
	if pid == 0 {
		t.Fatal("no QEMU pid recorded")
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("QEMU process %d still exists after Boot returned (kill 0: %v)", pid, err)
	}
}

func TestDemoGuestFromAStreamOptimizedVMDKPrintsItsMarkerUnderEachFirmware(t *testing.T) {
	for _, tc := range []struct {
		fw         string
		controller string
	}{
		{"bios", "pvscsi"},
		{"efi", "sata"},
	} {
		t.Run(tc.fw, func(t *testing.T) {
			tools := requireQEMU(t, tc.fw)
			name := "demo-" + tc.fw
			disk := demoVMDK(t, name, guest.Firmware(tc.fw))
			dir := t.TempDir()
			res, err := Boot(context.Background(), tools, Options{
				Name: name, Firmware: tc.fw, Dir: dir, Timeout: 90 * time.Second,
				Disks:  []Disk{{Path: disk, Format: "vmdk", Controller: tc.controller}},
				Expect: regexp.MustCompile(regexp.QuoteMeta(guest.Marker(name))),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s vmdk: %s after %.1fs", tc.fw, res.Outcome, res.Duration.Seconds())
			if !res.Passed || res.Outcome != MarkerSeen {
				t.Fatalf("outcome %s (%s), want the marker; console:\n%s", res.Outcome, res.Reason, res.ConsoleTail)
			}
			if !strings.Contains(res.ConsoleTail, guest.Marker(name)) {
				t.Errorf("console tail lacks the marker:\n%s", res.ConsoleTail)
			}
			if tc.fw == "bios" && !strings.Contains(res.ScreenText, guest.Marker(name)) {
				t.Errorf("the VGA text screen lacks the marker:\n%s", res.ScreenText)
			}
			checkScreenshot(t, res)
			assertGone(t, res.PID)
		})
	}
}

func checkScreenshot(t *testing.T, res *Result) {
	t.Helper()
	if len(res.Screenshots) == 0 {
		t.Fatal("no screenshot taken")
	}
	b, err := os.ReadFile(res.Screenshots[len(res.Screenshots)-1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("last screenshot is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 320 || r.Dy() < 200 {
		t.Errorf("screenshot is %v", r)
	}
}

func TestBlankDiskIsReportedAsNoBootableDisk(t *testing.T) {
	for _, fw := range []string{"bios", "efi"} {
		t.Run(fw, func(t *testing.T) {
			tools := requireQEMU(t, fw)
			blank := filepath.Join(t.TempDir(), "blank.raw")
			if err := os.WriteFile(blank, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(blank, 16<<20); err != nil {
				t.Fatal(err)
			}
			res, err := Boot(context.Background(), tools, Options{
				Name: "blank", Firmware: fw, Dir: t.TempDir(), Timeout: 90 * time.Second,
				Disks: []Disk{{Path: blank, Format: "raw", Controller: "sata"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s blank: %s after %.1fs: %+v", fw, res.Outcome, res.Duration.Seconds(), res.Evidence)
			if res.Passed || res.Outcome != NoBootableDisk || res.Ended != "decided" {
				t.Fatalf("outcome %s passed=%v ended %q, want no-bootable-disk decided before the timeout", res.Outcome, res.Passed, res.Ended)
			}
			checkScreenshot(t, res)
			assertGone(t, res.PID)
		})
	}
}

func TestLinuxGuestPrintsItsNonceUnderEachFirmware(t *testing.T) {
	g := boottest.Linux(t)
	for _, fw := range []string{"bios", "efi"} {
		t.Run(fw, func(t *testing.T) {
			tools := requireQEMU(t, fw)
			res, err := Boot(context.Background(), tools, Options{
				Name: "linux", Firmware: fw, Dir: t.TempDir(), Timeout: 120 * time.Second, MemoryMiB: 256,
				Disks:  []Disk{{Path: g.Path, Format: "raw", Controller: "lsilogic"}},
				Expect: g.Expect(),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("linux %s raw: %s after %.1fs", fw, res.Outcome, res.Duration.Seconds())
			if !res.Passed {
				t.Fatalf("outcome %s (%s); console:\n%s", res.Outcome, res.Reason, res.ConsoleTail)
			}
			want := "bios"
			if fw == "efi" {
				want = "uefi"
			}
			if !strings.Contains(res.ConsoleTail, g.Marker(want)) {
				t.Errorf("console lacks %q", g.Marker(want))
			}
			kinds := map[string]bool{}
			for _, e := range res.Evidence {
				kinds[e.Kind] = true
			}
			if !kinds["os"] || !kinds["marker"] {
				t.Errorf("evidence lacks the kernel line or the marker: %+v", res.Evidence)
			}
			if fw == "efi" && (len(res.Controllers) != 1 || res.Controllers[0].Fallback == "") {
				t.Errorf("an LSI disk under OVMF must fall back and say so: %+v", res.Controllers)
			}
			assertGone(t, res.PID)
		})
	}
}

func TestCancelAndTimeoutLeaveNoQEMURunning(t *testing.T) {
	tools := requireQEMU(t, "bios")
	disk := demoVMDK(t, "quiet", guest.BIOS)
	t.Run("timeout", func(t *testing.T) {
		res, err := Boot(context.Background(), tools, Options{
			Name: "quiet", Firmware: "bios", Dir: t.TempDir(), Timeout: 3 * time.Second,
			Disks:  []Disk{{Path: disk, Format: "vmdk"}},
			Expect: regexp.MustCompile("a marker this guest never prints"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Passed || res.Ended != "timeout" || res.Outcome != OSRunning {
			t.Errorf("outcome %s passed=%v ended %q, want os-running, not passed, timeout", res.Outcome, res.Passed, res.Ended)
		}
		if !strings.Contains(res.Reason, "did not appear") {
			t.Errorf("reason %q", res.Reason)
		}
		assertGone(t, res.PID)
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		res, err := Boot(ctx, tools, Options{
			Name: "quiet", Firmware: "bios", Dir: t.TempDir(), Timeout: time.Minute,
			Disks:  []Disk{{Path: disk, Format: "vmdk"}},
			Expect: regexp.MustCompile("never"),
		})
		if err == nil || res == nil || res.Ended != "canceled" {
			t.Fatalf("err %v, res %+v: want a canceled boot", err, res)
		}
		assertGone(t, res.PID)
	})
}
