// Package qemu boots a restored virtual machine under QEMU and says how
// far it got, for exitbundle drill and the boot tests. Call Find once for
// the QEMU binary and OVMF firmware, then Boot for each VM:
//
//	tools, err := qemu.Find()
//	res, err := qemu.Boot(ctx, tools, qemu.Options{Firmware: "efi", Disks: ..., Dir: work})
//	if res.Passed { ... }
//
// Boot runs the VM isolated (no network device, so no network boot ROM
// either), with the serial console and the SeaBIOS debug port written to
// files, and a QMP socket through which it takes a PNG screenshot at
// intervals and reads the VGA text screen. It classifies the boot from
// what the firmware, the boot loader and the guest print (see Outcome),
// stops as soon as the outcome is decided or the per-boot timeout ends,
// and never leaves a QEMU process behind: QEMU runs in its own process
// group, which is killed on every return path.
//
// KVM is used when /dev/kvm can be opened, TCG otherwise. Devices follow
// the VM's own: its disk controller where QEMU emulates one the firmware
// can boot from, else the closest one it can (Debian's OVMF has no
// PVSCSI or LSI driver), and the swap is recorded in the Result.
package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/exitkit/exitkit/internal/fsx"
)

// Tools are the programs and firmware files Boot runs.
type Tools struct {
	QEMU     string // qemu-system-x86_64
	OVMFCode string // OVMF_CODE_4M.fd (read-only)
	OVMFVars string // OVMF_VARS_4M.fd (template; each boot gets a copy)
	Version  string // first line of qemu-system-x86_64 --version
}

// OVMF locations: Debian and Ubuntu, Fedora, Arch.
var ovmfPairs = [][2]string{
	{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
	{"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"},
	{"/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"},
	{"/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd"},
}

// OVMFCandidates lists where Find looks for OVMF, for messages and tests.
func OVMFCandidates() []string {
	var s []string
	for _, p := range ovmfPairs {
		s = append(s, p[0])
	}
	return s
}

// ErrNoQEMU is returned by Find when qemu-system-x86_64 is not installed.
var ErrNoQEMU = errors.New("qemu-system-x86_64 not found on PATH; install it (Debian: apt-get install qemu-system-x86 ovmf)")

// Find locates qemu-system-x86_64 on PATH and OVMF in the usual places.
// OVMF is optional: without it only BIOS VMs boot, and Boot of an EFI VM
// says what to install.
func Find() (*Tools, error) {
	p, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return nil, ErrNoQEMU
	}
	t := &Tools{QEMU: p}
	for _, pair := range ovmfPairs {
		if fileExists(pair[0]) && fileExists(pair[1]) {
			t.OVMFCode, t.OVMFVars = pair[0], pair[1]
			break
		}
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", p, err)
	}
	t.Version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	return t, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Disk is one disk image to attach.
type Disk struct {
	Path       string
	Format     string // qemu-img format: "qcow2", "vmdk", "vhdx", "vpc", "raw"
	Controller string // the VM's controller, as exit-manifest.json names it: "pvscsi", "lsilogic", "sata", ...
}

// Options describe one boot.
type Options struct {
	Name      string // the VM, for progress lines
	Firmware  string // "bios" or "efi"
	Disks     []Disk // the first is the boot disk
	CPUs      int    // default 1
	MemoryMiB int64  // default 512

	// Expect, when set, is the marker the boot must show on the serial
	// console or the screen to pass; without it, reaching the operating
	// system passes.
	Expect *regexp.Regexp

	Timeout            time.Duration // per boot; default 3 minutes
	ScreenshotInterval time.Duration // default 2 s
	Accel              string        // "kvm", "tcg", or "" to use KVM when /dev/kvm is usable

	// Dir receives console.log, firmware.log, qemu.log, the screenshots
	// screen-NNN.png and the UEFI variable store; it must exist.
	Dir string

	Progress io.Writer // nil: quiet
}

// Outcome is how far a boot got, in increasing order of success.
type Outcome string

const (
	// NoOutput: nothing recognizable happened before the timeout.
	NoOutput Outcome = "no-output"
	// NoBootableDisk: the firmware found nothing to boot (SeaBIOS "No
	// bootable device", OVMF "No bootable option or device" or its
	// fallback to the UEFI shell). A network boot ROM (iPXE) starting is
	// evidence of the same, never of a boot.
	NoBootableDisk Outcome = "no-bootable-disk"
	// LoaderReached: a boot loader ran (SYSLINUX, GRUB, Windows Boot
	// Manager, a Linux EFI stub, or OVMF started a boot option from disk)
	// but the operating system was not seen.
	LoaderReached Outcome = "loader-reached"
	// OSRunning: the operating system printed past the loader ("Linux
	// version", a login prompt, the exitkit demo guest's line).
	OSRunning Outcome = "os-running"
	// MarkerSeen: the Expect marker appeared.
	MarkerSeen Outcome = "marker-seen"
)

// Evidence is one line that decided or supported the outcome.
type Evidence struct {
	Kind   string `json:"kind"`   // "firmware", "no-boot", "network-boot", "loader", "os", "marker"
	Source string `json:"source"` // "serial", "firmware-log" (debug port 0x402), "screen"
	Line   string `json:"line"`   // printable text only
	After  string `json:"after"`  // time since QEMU started, e.g. "3.2s"
}

// ControllerChoice records how one of the VM's controllers was emulated.
type ControllerChoice struct {
	VM       string `json:"vm"`                 // as the manifest names it
	QEMU     string `json:"qemu"`               // the QEMU device used
	Fallback string `json:"fallback,omitempty"` // why not the closest device, when swapped
}

// Result is what Boot observed.
type Result struct {
	Outcome  Outcome       `json:"outcome"`
	Passed   bool          `json:"passed"`
	Reason   string        `json:"reason"` // one sentence for people
	Evidence []Evidence    `json:"evidence"`
	Duration time.Duration `json:"duration_ns"` // until decided (or timed out)
	Ended    string        `json:"ended"`       // "decided", "guest powered off", "timeout", "canceled"

	Accel       string             `json:"accel"`
	AccelNote   string             `json:"accel_note,omitempty"`
	Machine     string             `json:"machine"`
	CPUs        int                `json:"cpus"`
	MemoryMiB   int64              `json:"memory_mib"`
	Controllers []ControllerChoice `json:"controllers"`
	Args        []string           `json:"args"` // the QEMU command line

	ConsoleLog  string   `json:"console_log"`
	FirmwareLog string   `json:"firmware_log"`
	ConsoleTail string   `json:"console_tail"` // last lines of the serial console, printable text only
	ScreenText  string   `json:"screen_text,omitempty"`
	PID         int      `json:"-"`           // of the QEMU process, gone when Boot returns
	Screenshots []string `json:"screenshots"` // PNG files, oldest first
}

// KVMUsable reports whether /dev/kvm can be opened for reading and
// writing and the CPU has hardware virtualization (vmx or svm). A /dev/kvm
// without it is a software-nested hypervisor (such as PVM in a cloud
// sandbox): measured slower than TCG, and OVMF does not start on it.
func KVMUsable() bool {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	return hardwareVirt(string(cpuinfo))
}

func hardwareVirt(cpuinfo string) bool {
	for _, l := range strings.Split(cpuinfo, "\n") {
		if name, flags, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(name) == "flags" {
			for _, f := range strings.Fields(flags) {
				if f == "vmx" || f == "svm" {
					return true
				}
			}
			return false
		}
	}
	return false
}

const (
	defaultTimeout    = 3 * time.Minute
	defaultScreenshot = 2 * time.Second
	pollInterval      = 200 * time.Millisecond
	maxScreenshots    = 40 // then the last one is replaced
	tailLines         = 40
)

// Boot boots one VM and watches it until its outcome is decided, it
// powers off, Timeout passes or ctx ends. The error is for a boot that
// could not be attempted (bad options, QEMU failing to start); a VM that
// does not boot is a Result with Passed false.
func Boot(ctx context.Context, tools *Tools, opts Options) (*Result, error) {
	res, err := boot(ctx, tools, opts)
	if err != nil && opts.Accel == "" && res != nil && res.Accel == "kvm" && strings.HasPrefix(res.Ended, "qemu exited") && res.Outcome == NoOutput {
		// /dev/kvm opened but KVM does not run this guest (a nested or
		// restricted host): TCG always can.
		why := err.Error()
		opts.Accel = "tcg"
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "boot %s: KVM failed, booting again with TCG: %s\n", opts.Name, printable(why))
		}
		res, err = boot(ctx, tools, opts)
		if res != nil {
			res.AccelNote = "KVM failed, so TCG was used: " + why
		}
	}
	return res, err
}

func boot(ctx context.Context, tools *Tools, opts Options) (*Result, error) {
	if tools == nil || tools.QEMU == "" {
		return nil, ErrNoQEMU
	}
	if len(opts.Disks) == 0 {
		return nil, fmt.Errorf("boot %s: no disks", opts.Name)
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("boot %s: no work folder", opts.Name)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.ScreenshotInterval <= 0 {
		opts.ScreenshotInterval = defaultScreenshot
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	inv, err := newInvocation(tools, &opts)
	if err != nil {
		return nil, fmt.Errorf("boot %s: %w", opts.Name, err)
	}
	defer inv.release()
	res := &Result{
		Outcome: NoOutput, Accel: inv.accel, Machine: inv.machine, CPUs: inv.cpus, MemoryMiB: inv.memory,
		Controllers: inv.controllers, Args: append([]string{tools.QEMU}, inv.args...),
		ConsoleLog: inv.console, FirmwareLog: inv.firmwareLog,
	}
	for _, c := range inv.controllers {
		if c.Fallback != "" {
			fmt.Fprintf(progress, "boot %s: controller %s emulated as %s: %s\n", opts.Name, c.VM, c.QEMU, c.Fallback)
		}
	}

	logf, err := fsx.Recreate(inv.dir, "qemu.log", 0o644)
	if err != nil {
		return nil, fmt.Errorf("boot %s: %w", opts.Name, err)
	}
	defer logf.Close()
	cmd := exec.Command(tools.QEMU, inv.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("boot %s: start %s: %w", opts.Name, tools.QEMU, err)
	}
	res.PID = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the whole group
		}
	}
	var exitErr error
	waited := false
	defer func() {
		kill()
		if !waited {
			<-exited
		}
	}()
	fmt.Fprintf(progress, "boot %s: %s, %s, %d CPU, %d MiB, timeout %s\n", opts.Name, firmwareName(opts.Firmware), inv.accel, inv.cpus, inv.memory, opts.Timeout)

	w := newWatcher(opts.Expect, start)
	serial := &tail{path: inv.console}
	fwlog := &tail{path: inv.firmwareLog}
	var q *qmp
	defer func() {
		if q != nil {
			q.close()
		}
	}()
	shots := 0
	screenshot := func() {
		if q == nil {
			return
		}
		n := min(shots, maxScreenshots-1)
		p := filepath.Join(opts.Dir, fmt.Sprintf("screen-%03d.png", n))
		if err := q.screendump(p); err == nil && fileExists(p) {
			if n == shots {
				res.Screenshots = append(res.Screenshots, p)
			}
			shots++
		}
		if opts.Firmware != "efi" {
			// SeaBIOS and BIOS boot loaders write to the VGA text buffer;
			// reading it catches messages that never reach the serial port.
			if text, err := q.vgaText(inv.dir, "vga-text.bin"); err == nil {
				res.ScreenText = text
				w.screen(text)
			}
		}
	}
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	nextShot := start.Add(opts.ScreenshotInterval / 2)
	deadline := time.NewTimer(opts.Timeout)
	defer deadline.Stop()

loop:
	for {
		select {
		case <-ctx.Done():
			res.Ended = "canceled"
			break loop
		case <-deadline.C:
			res.Ended = "timeout"
			break loop
		case exitErr = <-exited:
			waited = true
			res.Ended = "guest powered off"
			if exitErr != nil {
				res.Ended = "qemu exited: " + exitErr.Error()
			}
			break loop
		case now := <-poll.C:
			if q == nil && now.Sub(start) < 30*time.Second {
				q, _ = dialQMP(inv.qmpSocket)
			}
			w.lines("serial", serial.read())
			w.lines("firmware-log", fwlog.read())
			if !now.Before(nextShot) {
				screenshot()
				nextShot = now.Add(opts.ScreenshotInterval)
			}
			if w.decided() {
				res.Ended = "decided"
				break loop
			}
		}
	}
	res.Duration = time.Since(start)
	if !waited {
		// What the screen shows when the outcome was decided; a boot
		// decided in its first poll may not have connected to QMP yet.
		for try := 0; q == nil && try < 10; try++ {
			if q, _ = dialQMP(inv.qmpSocket); q == nil {
				time.Sleep(pollInterval)
			}
		}
		screenshot()
	}
	kill()
	if !waited {
		exitErr = <-exited
		waited = true
	}
	// Whatever the guest printed up to its end.
	w.lines("serial", serial.read())
	w.lines("firmware-log", fwlog.read())
	w.flush()
	res.Outcome, res.Evidence = w.outcome, w.evidence
	res.ConsoleTail = lastLines(printable(serial.all()), tailLines)
	res.Passed = res.Outcome == MarkerSeen || (opts.Expect == nil && res.Outcome == OSRunning)
	res.Reason = reason(res, opts.Expect)
	if res.Ended == "canceled" {
		return res, fmt.Errorf("boot %s: %w", opts.Name, ctx.Err())
	}
	if strings.HasPrefix(res.Ended, "qemu exited") && res.Outcome == NoOutput {
		msg, _ := os.ReadFile(filepath.Join(opts.Dir, "qemu.log"))
		return res, fmt.Errorf("boot %s: qemu failed: %s", opts.Name, strings.TrimSpace(printable(string(msg))))
	}
	fmt.Fprintf(progress, "boot %s: %s after %.1fs (%s)\n", opts.Name, res.Outcome, res.Duration.Seconds(), res.Ended)
	return res, nil
}

func firmwareName(fw string) string {
	if fw == "efi" {
		return "UEFI (OVMF)"
	}
	return "BIOS (SeaBIOS)"
}

func reason(r *Result, expect *regexp.Regexp) string {
	switch r.Outcome {
	case MarkerSeen:
		return "the expected marker appeared"
	case OSRunning:
		if expect != nil {
			return fmt.Sprintf("the operating system ran, but the marker %q did not appear (%s)", expect.String(), r.Ended)
		}
		return "the operating system is running"
	case LoaderReached:
		return "a boot loader ran, but the operating system was not seen (" + r.Ended + ")"
	case NoBootableDisk:
		return "the firmware found no bootable disk"
	default:
		return "nothing recognizable on the console or screen (" + r.Ended + ")"
	}
}

// tail reads what a log file gained since the last read.
type tail struct {
	path string
	off  int64
	buf  bytes.Buffer // everything read, capped
}

const maxLog = 4 << 20

func (t *tail) read() string {
	f, err := os.Open(t.path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, maxLog))
	t.off += int64(len(b))
	if t.buf.Len() < maxLog {
		t.buf.Write(b[:min(len(b), maxLog-t.buf.Len())])
	}
	return string(b)
}

func (t *tail) all() string { return t.buf.String() }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// defaultCPUs caps a VM's CPU count at the host's.
func capCPUs(want int) int {
	if want <= 0 {
		want = 1
	}
	return min(want, runtime.NumCPU())
}
