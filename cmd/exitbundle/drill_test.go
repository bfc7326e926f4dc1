package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/drill"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/boottest"
	"github.com/exitkit/exitkit/internal/guest"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/qemu"
	"github.com/exitkit/exitkit/internal/vcsimx"
)

// drillKeys writes a signing key and an age identity with the commands a
// provider and a customer run.
func drillKeys(t *testing.T, dir string) (sign, agekey, recipient string) {
	t.Helper()
	sign, agekey = filepath.Join(dir, "sign"), filepath.Join(dir, "age.txt")
	if _, err := keys.GenerateSigningKey(sign); err != nil {
		t.Fatal(err)
	}
	id, err := keys.GenerateAgeIdentity(agekey)
	if err != nil {
		t.Fatal(err)
	}
	return sign, agekey, id.Recipient().String()
}

type zeroDisk struct{}

func (zeroDisk) ReadAt(p []byte, off int64) (int, error) { clear(p); return len(p), nil }

func TestDrillCommandExitsZeroOnABootedVMOneOnABlankDiskTwoOnBadUsage(t *testing.T) {
	interop.Require(t, "qemu-system-x86_64", "qemu-img", "ssh-keygen")
	work := t.TempDir()
	sign, agekey, recipient := drillKeys(t, work)
	src := filepath.Join(work, "exports")
	im, err := guest.Disk("web", guest.BIOS, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range []boottest.VM{
		{Name: "web", Firmware: "bios", Disk: im, Capacity: im.Size()},
		{Name: "blank", Firmware: "bios", Disk: zeroDisk{}, Capacity: 4 << 20},
	} {
		if err := boottest.WriteOVF(src, vm); err != nil {
			t.Fatal(err)
		}
	}
	b := filepath.Join(work, "bundle")
	if code, _, stderr := runExitbundle(t, "create", "--source", src, "--out", b, "--sign-key", sign, "--recipient", recipient); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"no --out is a usage error", []string{"drill", b, "--identity", agekey}, 2, "--out is required"},
		{"a bad --expect is a usage error", []string{"drill", b, "--identity", agekey, "--out", filepath.Join(work, "d0"), "--expect", "("}, 2, "--expect"},
		{"a zero --timeout is a usage error", []string{"drill", b, "--identity", agekey, "--out", filepath.Join(work, "d0"), "--timeout", "0s"}, 2, "--timeout"},
		{"an unknown VM is a usage error", []string{"drill", b, "--identity", agekey, "--out", filepath.Join(work, "d0"), "--vm", "nosuch"}, 2, "no VM nosuch"},
		{"a VM that boots passes", []string{"drill", b, "--identity", agekey, "--out", filepath.Join(work, "d1"), "--vm", "web", "--expect", "exitkit demo guest", "--timeout", "60s", "--sign-key", sign}, 0, "PASS  web"},
		{"a blank disk fails the drill", []string{"drill", b, "--identity", agekey, "--out", filepath.Join(work, "d2"), "--vm", "blank", "--timeout", "60s"}, 1, "FAIL  blank                no-bootable-disk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runExitbundle(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.out) {
				t.Errorf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", code, tc.code, tc.out, stdout, stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(work, "d1", drill.SignatureFile)); err != nil {
		t.Errorf("--sign-key gave no signature: %v", err)
	}
}

// TestLinuxGuestRestartsFromBothSourcesInEveryFormatTheREADMENames is the
// boot test of issue 10: a real Linux disk through an OVF folder and
// through the vSphere simulator into signed, age-encrypted bundles,
// restored with exitbundle open, and booted under each firmware from the
// open output (streamOptimized VMDK) and from qcow2, vhdx and fixed vpc
// conversions, waiting for the nonce /init prints. The vSphere bundle is
// shown to restore byte-identical disks, then drilled.
func TestLinuxGuestRestartsFromBothSourcesInEveryFormatTheREADMENames(t *testing.T) {
	g := boottest.Linux(t)
	tools := interop.Require(t, "qemu-system-x86_64", "qemu-img", "ssh-keygen")
	qemuImg := tools[1]
	interop.RequireFile(t, "ovmf", qemu.OVMFCandidates()...)
	qt, err := qemu.Find()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	sign, agekey, recipient := drillKeys(t, work)
	disk, err := os.Open(g.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()

	// Source 1: an OVF folder with a BIOS VM on PVSCSI and an EFI VM on SATA.
	src := filepath.Join(work, "exports")
	for _, vm := range []boottest.VM{
		{Name: "linux-bios", Firmware: "bios", Controller: "VirtualSCSI", MemoryMiB: 256, Disk: disk, Capacity: boottest.DiskSize},
		{Name: "linux-efi", Firmware: "efi", Controller: "sata", MemoryMiB: 256, Disk: disk, Capacity: boottest.DiskSize},
	} {
		if err := boottest.WriteOVF(src, vm); err != nil {
			t.Fatal(err)
		}
	}
	b1 := filepath.Join(work, "bundle-ovf")
	if code, _, stderr := runExitbundle(t, "create", "--source", src, "--out", b1, "--sign-key", sign, "--recipient", recipient); code != 0 {
		t.Fatalf("create from OVF: exit %d\n%s", code, stderr)
	}

	// Source 2: the vSphere simulator, the same VMDK uploaded over each
	// VM's backing file.
	lab, err := vcsimx.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	vmdkPath := filepath.Join(src, "linux-bios", "linux-bios-disk1.vmdk")
	for _, spec := range []vcsimx.VMSpec{
		{Name: "linux-bios", Folder: "Boot", MemoryMB: 256, Firmware: "bios", Disks: []vcsimx.Disk{{VMDK: vmdkPath, Capacity: boottest.DiskSize}}},
		{Name: "linux-efi", Folder: "Boot", MemoryMB: 256, Firmware: "efi", Disks: []vcsimx.Disk{{VMDK: vmdkPath, Capacity: boottest.DiskSize}}},
	} {
		if _, err := lab.AddVM(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(vsphere.PasswordEnv, lab.Password)
	b2 := filepath.Join(work, "bundle-vsphere")
	if code, _, stderr := runExitbundle(t, "create", "--source", lab.URL("folder=Boot"), "--vsphere-thumbprint", lab.Thumbprint, "--out", b2, "--sign-key", sign, "--recipient", recipient); code != 0 {
		t.Fatalf("create from vSphere: exit %d\n%s", code, stderr)
	}

	o1, o2 := filepath.Join(work, "open-ovf"), filepath.Join(work, "open-vsphere")
	for _, o := range [][2]string{{b1, o1}, {b2, o2}} {
		if code, _, stderr := runExitbundle(t, "open", o[0], "--identity", agekey, "--signer", sign+".pub", "--out", o[1]); code != 0 {
			t.Fatalf("open %s: exit %d\n%s", o[0], code, stderr)
		}
	}
	restored := func(o, vm string) string {
		m, _ := filepath.Glob(filepath.Join(o, vm, "*.vmdk"))
		if len(m) != 1 {
			t.Fatalf("%s/%s: want one restored VMDK, have %v", o, vm, m)
		}
		return m[0]
	}
	// Both sources restore the same disk content, and it is the disk
	// that went in.
	for _, vm := range []string{"linux-bios", "linux-efi"} {
		for _, cmp := range [][]string{
			{"compare", "-f", "vmdk", "-F", "vmdk", restored(o1, vm), restored(o2, vm)},
			{"compare", "-f", "vmdk", "-F", "raw", restored(o2, vm), g.Path},
		} {
			if out, err := exec.Command(qemuImg, cmp...).CombinedOutput(); err != nil {
				t.Errorf("qemu-img %s: %v\n%s", strings.Join(cmp, " "), err, out)
			}
		}
	}

	// The conversions the bundle's README gives for KVM, Hyper-V and Azure.
	conversions := []struct {
		format string
		args   []string
	}{
		{"vmdk", nil}, // exitbundle open output, booted as it is
		{"qcow2", []string{"-O", "qcow2"}},
		{"vhdx", []string{"-O", "vhdx"}},
		{"vpc", []string{"-O", "vpc", "-o", "subformat=fixed"}},
	}
	for _, fw := range []string{"bios", "efi"} {
		vm := "linux-" + fw
		for _, c := range conversions {
			t.Run(fw+"/"+c.format, func(t *testing.T) {
				img := restored(o1, vm)
				if c.args != nil {
					img = filepath.Join(t.TempDir(), vm+"."+c.format)
					args := append(append([]string{"convert", "-f", "vmdk"}, c.args...), restored(o1, vm), img)
					if out, err := exec.Command(qemuImg, args...).CombinedOutput(); err != nil {
						t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, out)
					}
				}
				res, err := qemu.Boot(context.Background(), qt, qemu.Options{
					Name: vm, Firmware: fw, MemoryMiB: 256, Dir: t.TempDir(), Timeout: 2 * time.Minute,
					Disks:  []qemu.Disk{{Path: img, Format: c.format, Controller: "sata"}},
					Expect: g.Expect(),
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("boot %s %s: %s after %.1fs", fw, c.format, res.Outcome, res.Duration.Seconds())
				fwName := map[string]string{"bios": "bios", "efi": "uefi"}[fw]
				if !res.Passed || !strings.Contains(res.ConsoleTail, g.Marker(fwName)) {
					t.Fatalf("%s: %s (%s); want %q on the console:\n%s", c.format, res.Outcome, res.Reason, g.Marker(fwName), res.ConsoleTail)
				}
			})
		}
	}

	// exitbundle drill of the vSphere bundle, pinned, signed.
	d := filepath.Join(work, "drill")
	start := time.Now()
	code, stdout, stderr := runExitbundle(t, "drill", b2, "--identity", agekey, "--signer", sign+".pub", "--out", d,
		"--sign-key", sign, "--expect", g.Expect().String(), "--timeout", "2m")
	t.Logf("drill of the vSphere bundle (2 VMs) took %.1fs", time.Since(start).Seconds())
	if code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", code, stdout, stderr)
	}
	js, err := os.ReadFile(filepath.Join(d, drill.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep drill.Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || !rep.Bundle.SignerPinned || len(rep.VMs) != 2 {
		t.Errorf("drill report: ok %v pinned %v vms %d", rep.OK, rep.Bundle.SignerPinned, len(rep.VMs))
	}
	for _, v := range rep.VMs {
		if v.Screenshot == "" || v.Boot == nil {
			t.Errorf("%s: no screenshot or boot record", v.Name)
			continue
		}
		var marker bool
		for _, e := range v.Boot.Evidence {
			marker = marker || e.Kind == "marker" && regexp.MustCompile(g.Nonce).MatchString(e.Line)
		}
		if !marker {
			t.Errorf("%s: the evidence lacks the nonce line: %+v", v.Name, v.Boot.Evidence)
		}
	}
	pub, err := os.ReadFile(sign + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(work, "allowed_signers")
	os.WriteFile(allowed, []byte("customer@example "+string(ssh.MarshalAuthorizedKey(k))), 0o644)
	cmd := exec.Command(tools[2], "-Y", "verify", "-f", allowed, "-I", "customer@example", "-n", drill.Namespace, "-s", filepath.Join(d, drill.SignatureFile))
	cmd.Stdin = bytes.NewReader(js)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
}
