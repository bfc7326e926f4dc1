// Package drill proves that an exit bundle restarts: Drill verifies the
// bundle, restores each chosen VM, converts its disks for KVM, boots each
// under QEMU with the VM's own firmware, CPU count, memory and (as close
// as QEMU has) disk controllers, and writes a report in the output folder:
//
//	drill.html      for people: per VM the verify result, restore time and
//	                speed, boot outcome, last screenshot and console tail
//	drill.json      for machines: the same, with the evidence behind each
//	                outcome (firmware messages, loader, kernel or marker lines)
//	drill.json.sig  SSHSIG over drill.json when a signing key is given,
//	                namespace "exitkit-drill" (Namespace):
//	                ssh-keygen -Y verify -f allowed_signers -I NAME -n exitkit-drill -s drill.json.sig < drill.json
//
// It is the evidence a regulated customer files for the test of its exit
// plan (DORA Art. 28(8)). Call Drill with Options; a drill in which some
// VM did not reach its operating system (or the Expect marker) returns a
// *FailedError after writing the full report.
package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/qemu"
)

// Namespace is the SSHSIG namespace of drill.json.sig, distinct from the
// bundle's own ("exitbundle") so a drill report can never pass for a
// bundle signature or the reverse.
const Namespace = "exitkit-drill"

// Format names the layout of drill.json.
const Format = "exitkit-drill/1"

// Names of the report files in the output folder.
const (
	JSONFile      = "drill.json"
	SignatureFile = "drill.json.sig"
	HTMLFile      = "drill.html"
)

// DefaultTimeout is the boot timeout per VM.
const DefaultTimeout = 3 * time.Minute

// Options say what to drill and how.
type Options struct {
	Bundle string // bundle folder or .tar
	Out    string // new or empty folder for the report, restored VMs and boot logs
	VMs    []string

	Identities []age.Identity // decrypt the payload

	// The expected signer of the bundle, as for verify; without any, the
	// bundle's own signer.pub is used and the report says it is not pinned.
	Signer            ssh.PublicKey
	SignerFingerprint string
	AllowedSigners    string
	Principal         string

	SignKey ssh.Signer // signs drill.json; nil: unsigned report

	Timeout      time.Duration  // per VM boot; default DefaultTimeout
	Expect       *regexp.Regexp // the marker each VM must print; nil: reaching the OS passes
	MaxCPUs      int            // cap on each VM's CPU count; 0: the host's
	MaxMemoryMiB int64          // cap on each VM's memory; 0: 2048

	Progress io.Writer // steps as they happen; nil: quiet

	// QEMU and QEMUImg override where the tools are found (tests).
	QEMU    *qemu.Tools
	QEMUImg string
}

// FailedError says which VMs did not pass; the report was written. The
// command maps it to exit status 1.
type FailedError struct {
	Out    string
	Failed []string // VM names, or "bundle" when verification failed
	Report *Report
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("drill: %s did not pass; see %s", strings.Join(e.Failed, ", "), filepath.Join(e.Out, HTMLFile))
}

// efiNote says why an EFI VM boots without its NVRAM.
const efiNote = "UEFI variables start empty (OVMF's own store; the VM's NVRAM file is in VMware's format), so the firmware boots the disk's removable-media path \\EFI\\BOOT\\BOOTX64.EFI; a guest whose boot loader is registered only in NVRAM needs that fallback file"

// ErrNotEmpty means the output folder holds something already.
var ErrNotEmpty = errors.New("output folder is not empty")

// Drill runs the exit test; see the package documentation.
func Drill(ctx context.Context, opts Options) (*Report, error) {
	if opts.Bundle == "" {
		return nil, errors.New("drill: no bundle given")
	}
	if opts.Out == "" {
		return nil, errors.New("drill: no output folder given (--out)")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxMemoryMiB <= 0 {
		opts.MaxMemoryMiB = 2048
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, "drill: "+format+"\n", args...) }

	if err := prepareOut(opts.Out); err != nil {
		return nil, err
	}
	tools := opts.QEMU
	if tools == nil {
		var err error
		if tools, err = qemu.Find(); err != nil {
			return nil, fmt.Errorf("drill: %w", err)
		}
	}
	qemuImg := opts.QEMUImg
	if qemuImg == "" {
		p, err := exec.LookPath("qemu-img")
		if err != nil {
			return nil, errors.New("drill: qemu-img not found on PATH; install it (Debian: apt-get install qemu-utils)")
		}
		qemuImg = p
	}

	rep := &Report{
		Format: Format, Tool: toolVersion(), QEMU: tools.Version, Started: time.Now().UTC(),
		TimeoutSeconds: opts.Timeout.Seconds(), Accel: "tcg",
	}
	if qemu.KVMUsable() {
		rep.Accel = "kvm"
	}
	if opts.Expect != nil {
		rep.Expect = opts.Expect.String()
	}

	step("verifying %s: signature and every stored hash", safe(opts.Bundle))
	ver, info, all, err := verifyBundle(ctx, &opts)
	if err != nil {
		return nil, fmt.Errorf("drill: %w", err)
	}
	rep.Bundle = info
	if !ver.Pinned {
		rep.Bundle.SignerNote = notPinnedNote
		step("signed by %s (NOT pinned: compare this fingerprint with the one the provider published; give --signer to pin it)", safe(ver.Signer))
	} else {
		step("signed by %s (pinned)", safe(ver.Signer))
	}
	vms, err := chooseVMs(all, opts.VMs)
	if err != nil {
		return nil, fmt.Errorf("drill: %w", err)
	}
	if !ver.OK {
		step("the bundle failed verification: nothing is restored or booted")
		rep.Ended = time.Now().UTC()
		rep.Summary = "the bundle failed verification: " + safe(ver.Err.Error())
		if err := writeReport(opts.Out, rep, opts.SignKey); err != nil {
			return rep, err
		}
		return rep, &FailedError{Out: opts.Out, Failed: []string{"bundle"}, Report: rep}
	}
	step("bundle verified: %d files, %d VMs; drilling %d", ver.Files, len(all), len(vms))

	for _, vm := range vms {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("drill: interrupted: %w", err)
		}
		vr := drillVM(ctx, &opts, tools, qemuImg, vm, ver, step)
		rep.VMs = append(rep.VMs, vr)
	}
	rep.Ended = time.Now().UTC()
	var failed []string
	for _, v := range rep.VMs {
		if !v.Passed {
			failed = append(failed, v.Name)
		}
	}
	rep.OK = len(failed) == 0
	if rep.OK {
		rep.Summary = fmt.Sprintf("all %d VMs restored and booted", len(rep.VMs))
	} else {
		rep.Summary = fmt.Sprintf("%d of %d VMs did not pass: %s", len(failed), len(rep.VMs), strings.Join(failed, ", "))
	}
	if err := writeReport(opts.Out, rep, opts.SignKey); err != nil {
		return rep, err
	}
	step("%s; report in %s", rep.Summary, safe(filepath.Join(opts.Out, HTMLFile)))
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("drill: interrupted: %w", err)
	}
	if !rep.OK {
		return rep, &FailedError{Out: opts.Out, Failed: failed, Report: rep}
	}
	return rep, nil
}

// prepareOut creates the output folder or accepts an empty one; never a
// symlink, never one with files in it.
func prepareOut(out string) error {
	st, err := os.Lstat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(out, 0o755)
	case err != nil:
		return fmt.Errorf("drill: %w", err)
	case !st.IsDir():
		return fmt.Errorf("drill: %s is not a folder (a symlink is not followed); choose another --out", out)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("drill: %s: %w; a drill never overwrites, so choose a new --out", out, ErrNotEmpty)
	}
	return nil
}

func chooseVMs(all []vmInfo, names []string) ([]vmInfo, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []vmInfo
	for _, n := range names {
		i := slices.IndexFunc(all, func(vm vmInfo) bool { return vm.Name == n })
		if i < 0 {
			var have []string
			for _, vm := range all {
				have = append(have, vm.Name)
			}
			return nil, fmt.Errorf("no VM %s in the bundle; it holds: %s", safe(n), safe(strings.Join(have, ", ")))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// drillVM restores, converts and boots one VM. Every failure is recorded
// in the VM's report rather than returned: the drill goes on with the
// next VM.
func drillVM(ctx context.Context, opts *Options, tools *qemu.Tools, qemuImg string, vm vmInfo, ver *verification, step func(string, ...any)) VMReport {
	vr := VMReport{Name: vm.Name, Verify: "pass", GuestOS: vm.GuestOS, Firmware: vm.Firmware, VCPU: vm.VCPU, MemoryMiB: vm.MemoryMiB, Controllers: vm.Controllers}
	if !ver.OK || ver.failed[vm.Name] {
		vr.Verify = "fail"
	}
	if vm.Firmware == "efi" {
		vr.Notes = append(vr.Notes, efiNote)
	}
	fail := func(stage string, err error) VMReport {
		vr.Outcome, vr.Reason = "not-booted", stage+": "+printableErr(err)
		step("%s: %s", safe(vm.Name), vr.Reason)
		return vr
	}

	restored := filepath.Join(opts.Out, "restored")
	size := vm.Bytes
	step("%s: restoring %s", safe(vm.Name), human(size))
	t0 := time.Now()
	err := restoreVM(ctx, opts, restored, vm.Name, opts.Identities)
	vr.Restore = Restore{Seconds: time.Since(t0).Seconds(), Bytes: size}
	if vr.Restore.Seconds > 0 {
		vr.Restore.MBps = float64(size) / 1e6 / vr.Restore.Seconds
	}
	if err != nil {
		vr.Restore.Error = printableErr(err)
		return fail("restore", err)
	}
	step("%s: restored in %.1fs (%.1f MiB/s)", safe(vm.Name), vr.Restore.Seconds, vr.Restore.MBps*1e6/(1<<20))

	work := filepath.Join(opts.Out, "vms", vm.Name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fail("work folder", err)
	}
	disks := vm.Disks
	if len(disks) == 0 {
		return fail("disks", errors.New("the VM has no disk to boot"))
	}
	var qdisks []qemu.Disk
	for i, d := range disks {
		src := filepath.Join(restored, vm.Name, filepath.FromSlash(d.File))
		dst := filepath.Join(work, fmt.Sprintf("disk%d.qcow2", i))
		t1 := time.Now()
		if err := convert(ctx, qemuImg, src, dst); err != nil {
			return fail("convert "+d.File, err)
		}
		ctrl := d.Controller
		if ctrl == "" && len(vm.Controllers) > 0 {
			ctrl = vm.Controllers[0]
		}
		vr.Disks = append(vr.Disks, DiskReport{File: d.File, CapacityBytes: d.Capacity, Controller: ctrl, QCOW2: rel(opts.Out, dst), ConvertSeconds: time.Since(t1).Seconds()})
		qdisks = append(qdisks, qemu.Disk{Path: dst, Format: "qcow2", Controller: ctrl})
	}
	step("%s: converted %d disk(s) to qcow2 for KVM", safe(vm.Name), len(qdisks))

	cpus := vm.VCPU
	if opts.MaxCPUs > 0 && cpus > opts.MaxCPUs {
		cpus = opts.MaxCPUs
	}
	mem := vm.MemoryMiB
	if mem <= 0 {
		mem = 512
	}
	mem = min(mem, opts.MaxMemoryMiB)
	bootDir := filepath.Join(work, "boot")
	if err := os.MkdirAll(bootDir, 0o755); err != nil {
		return fail("work folder", err)
	}
	res, err := qemu.Boot(ctx, tools, qemu.Options{
		Name: vm.Name, Firmware: vr.Firmware, Disks: qdisks, CPUs: cpus, MemoryMiB: mem,
		Expect: opts.Expect, Timeout: opts.Timeout, Dir: bootDir, Progress: stepWriter{step},
	})
	if res == nil {
		return fail("boot", err)
	}
	vr.Boot = relResult(opts.Out, res)
	vr.Outcome, vr.Passed, vr.Reason = string(res.Outcome), res.Passed, res.Reason
	if err != nil {
		vr.Passed = false
		vr.Reason = printableErr(err)
	}
	if n := len(res.Screenshots); n > 0 {
		vr.Screenshot = rel(opts.Out, res.Screenshots[n-1])
	}
	return vr
}

// stepWriter passes qemu's progress lines on as drill steps.
type stepWriter struct{ step func(string, ...any) }

func (s stepWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		s.step("%s", safe(l))
	}
	return len(p), nil
}

// convert writes a qcow2 copy of src, the format KVM hosts take, as the
// bundle's README says (qemu-img convert -O qcow2).
func convert(ctx context.Context, qemuImg, src, dst string) error {
	args := []string{"convert", "-O", "qcow2"}
	if strings.EqualFold(filepath.Ext(src), ".vmdk") {
		args = append(args, "-f", "vmdk")
	}
	args = append(args, src, dst)
	out, err := exec.CommandContext(ctx, qemuImg, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("qemu-img %s: %v: %s", strings.Join(args, " "), err, safe(strings.TrimSpace(string(out))))
	}
	return nil
}

func toolVersion() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return "exitbundle " + v
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// relResult makes the boot result's paths relative to the report folder,
// so the folder can be moved and filed as a whole.
func relResult(base string, r *qemu.Result) *qemu.Result {
	c := *r
	c.ConsoleLog, c.FirmwareLog = rel(base, r.ConsoleLog), rel(base, r.FirmwareLog)
	c.Screenshots = nil
	for _, s := range r.Screenshots {
		c.Screenshots = append(c.Screenshots, rel(base, s))
	}
	return &c
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// safe escapes control characters in text from the bundle or a guest
// before it is printed.
func safe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == 0xfffd:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func printableErr(err error) string {
	if err == nil {
		return ""
	}
	return safe(err.Error())
}
