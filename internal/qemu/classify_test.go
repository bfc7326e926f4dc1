package qemu

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestClassifierReadsFirmwareLoaderAndKernelMessages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expect  string
		lines   []string
		want    Outcome
		decided bool
	}{
		{"SeaBIOS giving up is a disk that does not boot", "", []string{"SeaBIOS (version 1.16.2)", "Booting from Hard Disk...", "Boot failed: not a bootable disk", "No bootable device.  Retrying in 60 seconds."}, NoBootableDisk, true},
		{"OVMF falling back to its shell is a disk that does not boot", "", []string{`BdsDxe: failed to load Boot0001 "UEFI QEMU HARDDISK" from PciRoot(0x0): Not Found`, `BdsDxe: starting Boot0002 "EFI Internal Shell" from Fv(7CB8)`, "UEFI Interactive Shell v2.2"}, NoBootableDisk, true},
		{"OVMF with no option at all", "", []string{"No bootable option or device was found."}, NoBootableDisk, true},
		{"iPXE starting never counts as booted", "", []string{"Booting from ROM...", "iPXE (http://ipxe.org) 00:03.0 C000 PCI2.10 PnP PMM"}, NoBootableDisk, false},
		{"OVMF starting a boot option from disk reached a loader", "", []string{`BdsDxe: starting Boot0001 "UEFI Misc Device" from PciRoot(0x0)/Pci(0x3,0x0)`}, LoaderReached, false},
		{"SYSLINUX is a loader", "", []string{"SYSLINUX 6.04 EDD 20191223 Copyright (C) 1994-2015 H. Peter Anvin et al"}, LoaderReached, false},
		{"a Linux kernel is the OS running", "", []string{"SYSLINUX 6.04", "[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org)"}, OSRunning, true},
		{"the OS running is not enough when a marker is expected", "nonce-42", []string{"[    0.000000] Linux version 6.1.0"}, OSRunning, false},
		{"the marker decides", "nonce-42", []string{"[    0.000000] Linux version 6.1.0", "exitkit boottest nonce-42 running"}, MarkerSeen, true},
		{"systemd starting is the OS running", "", []string{"Welcome to Debian GNU/Linux 12 (bookworm)!"}, OSRunning, true},
		{"a login prompt is the OS running", "", []string{"web01 login: "}, OSRunning, true},
		{"the exitkit demo guest is an OS", "", []string{"exitkit demo guest web running"}, OSRunning, true},
		{"escape sequences around ConOut text do not hide the marker", "demo guest app", []string{"\x1b[2J\x1b[01;01Hexitkit demo guest app running\r"}, MarkerSeen, true},
		{"a loader after a failed first disk wins over the failure", "", []string{"Boot failed: not a bootable disk", "Booting from Hard Disk...", "GRUB loading."}, LoaderReached, false},
		{"silence is no output", "", []string{"", "   "}, NoOutput, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var re *regexp.Regexp
			if tc.expect != "" {
				re = regexp.MustCompile(tc.expect)
			}
			w := newWatcher(re, time.Now())
			w.lines("serial", strings.Join(tc.lines, "\n")+"\n")
			if w.outcome != tc.want || w.decided() != tc.decided {
				t.Errorf("outcome %s decided %v, want %s decided %v; evidence %+v", w.outcome, w.decided(), tc.want, tc.decided, w.evidence)
			}
		})
	}
}

func TestClassifierJoinsLinesSplitAcrossReads(t *testing.T) {
	w := newWatcher(regexp.MustCompile("marker-xyz"), time.Now())
	w.lines("serial", "boot: mark")
	w.lines("serial", "er-xy")
	if w.decided() {
		t.Fatal("decided on half a line")
	}
	w.lines("serial", "z seen\n")
	if !w.decided() || len(w.evidence) != 1 || w.evidence[0].Line != "boot: marker-xyz seen" {
		t.Errorf("evidence %+v", w.evidence)
	}
}

func TestPrintableDropsEscapesAndControlCharacters(t *testing.T) {
	got := printable("a\x1b[31mred\x1b[0m\x07\x00b\r\n\x1b]0;title\x07c\xff")
	if strings.ContainsAny(got, "\x1b\x07\x00\r\xff") || !strings.HasPrefix(got, "aredb\n") {
		t.Errorf("printable = %q", got)
	}
}

func TestControllersFollowTheVMAndFallBackWhereOVMFCannotBoot(t *testing.T) {
	for _, tc := range []struct {
		vm, fw, want string
		fallback     bool
	}{
		{"pvscsi", "bios", "pvscsi", false},
		{"pvscsi", "efi", "ahci", true},
		{"lsilogic", "bios", "lsi53c895a", false},
		{"lsilogic", "efi", "ahci", true},
		{"lsilogicsas", "bios", "mptsas1068", false},
		{"buslogic", "bios", "lsi53c895a", true},
		{"sata", "efi", "ahci", false},
		{"nvme", "efi", "nvme", false},
		{"ide", "bios", "ide", false},
		{"floppy", "bios", "ahci", true},
	} {
		c := chooseController(tc.vm, tc.fw)
		if c.QEMU != tc.want || (c.Fallback != "") != tc.fallback {
			t.Errorf("%s under %s: %+v, want %s (fallback %v)", tc.vm, tc.fw, c, tc.want, tc.fallback)
		}
	}
}

func TestCommandLineIsIsolatedAndBootsTheFirstDisk(t *testing.T) {
	tools := &Tools{QEMU: "qemu-system-x86_64", OVMFCode: "/ovmf/CODE.fd", OVMFVars: "/dev/null"}
	inv, err := newInvocation(tools, &Options{Firmware: "efi", Dir: t.TempDir(), CPUs: 64, MemoryMiB: 64, Accel: "tcg",
		Disks: []Disk{{Path: "/d/a,b.qcow2", Format: "qcow2", Controller: "pvscsi"}, {Path: "/d/c.qcow2", Format: "qcow2", Controller: "pvscsi"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(inv.qmpSocket)) })
	line := strings.Join(inv.args, " ")
	for _, want := range []string{"-nodefaults", "-nic none", "-no-reboot", "-display none", "-vga std", "file=/d/a,,b.qcow2",
		"bus=ahci0.0,bootindex=0", "bus=ahci0.1,bootindex=1", "if=pflash,format=raw,readonly=on,file=/ovmf/CODE.fd", "-m 256", "-cpu max"} {
		if !strings.Contains(line, want) {
			t.Errorf("command line lacks %q:\n%s", want, line)
		}
	}
	for _, bad := range []string{"-netdev", "virtio-net", "e1000", "romfile"} {
		if strings.Contains(line, bad) {
			t.Errorf("command line has %q: the VM must be isolated", bad)
		}
	}
	if inv.cpus != runtime.NumCPU() {
		t.Errorf("cpus %d: 64 asked for, capped at the host's %d", inv.cpus, runtime.NumCPU())
	}
	if len(inv.controllers) != 1 || inv.controllers[0].Fallback == "" {
		t.Errorf("controllers %+v, want one pvscsi->ahci fallback", inv.controllers)
	}
}

func TestKVMNeedsHardwareVirtualizationInTheCPUFlags(t *testing.T) {
	if hardwareVirt("processor : 0\nflags : fpu sse2 hypervisor\n") {
		t.Error("no vmx/svm: not usable")
	}
	if !hardwareVirt("flags\t\t: fpu vmx sse2\n") || !hardwareVirt("flags : svm\n") {
		t.Error("vmx or svm: usable")
	}
}

func TestClassifierJudgesAPromptThatEndsNoLine(t *testing.T) {
	w := newWatcher(nil, time.Now())
	w.lines("serial", "Debian GNU/Linux 12 web01 ttyS0\r\n\r\nweb01 login: ")
	if w.decided() {
		t.Fatal("decided on an unended line the moment it was read")
	}
	w.grew["serial"] = time.Now().Add(-promptQuiet) // the prompt has waited
	w.lines("serial", "")
	if !w.decided() || w.outcome != OSRunning {
		t.Errorf("outcome %s decided %v, want the login prompt to count as the OS running", w.outcome, w.decided())
	}
}

func TestClassifierJudgesALineWrittenInTwoReadsWhole(t *testing.T) {
	// Under load OVMF's "starting Boot0002 \"EFI Internal Shell\"" was
	// read in two pieces, and its first half counted as a boot loader.
	w := newWatcher(nil, time.Now())
	w.lines("serial", "BdsDxe: failed to load Boot0001 \"UEFI QEMU HARDDISK QM00005 \": Not Found\r\nBdsDxe: starting Boot0002 \"EFI Interna")
	w.lines("serial", "")
	w.lines("serial", "l Shell\" from Fv(7CB8BDC9)\r\n")
	if !w.decided() || w.outcome != NoBootableDisk || w.loader {
		t.Errorf("outcome %s decided %v loader %v, want no-bootable-disk decided; evidence %+v", w.outcome, w.decided(), w.loader, w.evidence)
	}
}
