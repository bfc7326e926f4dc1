package qemu

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/exitkit/exitkit/internal/fsx"
)

// invocation is one QEMU command line and what it chose.
type invocation struct {
	args        []string
	accel       string
	machine     string
	cpus        int
	memory      int64
	controllers []ControllerChoice
	console     string
	firmwareLog string
	qmpSocket   string
	dir         *fsx.Dir // opts.Dir, where the logs and the UEFI variable store go
}

// Controllers QEMU emulates, by the name exit-manifest.json gives the
// VM's, with whether each firmware can boot from it. SeaBIOS boots from
// all of them; Debian's OVMF (2022.11) has no PVSCSI, LSI or MPT SAS
// driver, so an EFI VM on those boots from AHCI instead, which every
// current guest OS has a driver for.
var controllers = map[string]struct {
	device string // the QEMU device
	efi    bool   // OVMF boots from it
	approx string // when the device only approximates the VM's
}{
	"pvscsi":      {"pvscsi", false, ""},
	"lsilogic":    {"lsi53c895a", false, ""},
	"lsilogicsas": {"mptsas1068", false, ""},
	"buslogic":    {"lsi53c895a", false, "QEMU has no BusLogic controller; LSI 53C895A is the closest SCSI one"},
	"sata":        {"ahci", true, ""},
	"ahci":        {"ahci", true, ""},
	"ide":         {"ide", true, ""},
	"nvme":        {"nvme", true, ""},
	"virtio":      {"virtio-blk-pci", true, ""},
}

// fallbackDevice is what a controller becomes where it cannot boot.
const fallbackDevice = "ahci"

// chooseController maps a VM's controller to a QEMU device for firmware
// fw, and says why when it is not the closest one.
func chooseController(vm, fw string) ControllerChoice {
	c, ok := controllers[strings.ToLower(vm)]
	switch {
	case !ok:
		return ControllerChoice{VM: vm, QEMU: fallbackDevice, Fallback: fmt.Sprintf("controller %q is not one QEMU emulates; using AHCI (SATA)", vm)}
	case fw == "efi" && !c.efi:
		return ControllerChoice{VM: vm, QEMU: fallbackDevice, Fallback: fmt.Sprintf("OVMF cannot boot from %s (QEMU %s): no driver in the firmware; using AHCI (SATA)", vm, c.device)}
	}
	return ControllerChoice{VM: vm, QEMU: c.device, Fallback: c.approx}
}

// qemuPath escapes a path for a QEMU option value, where a comma separates
// options.
func qemuPath(p string) string { return strings.ReplaceAll(p, ",", ",,") }

func newInvocation(tools *Tools, opts *Options) (*invocation, error) {
	if opts.Firmware != "bios" && opts.Firmware != "efi" {
		return nil, fmt.Errorf("firmware %q: want bios or efi", opts.Firmware)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	inv := &invocation{
		machine:     "pc",
		cpus:        capCPUs(opts.CPUs),
		memory:      opts.MemoryMiB,
		console:     filepath.Join(dir, "console.log"),
		firmwareLog: filepath.Join(dir, "firmware.log"),
	}
	if inv.memory <= 0 {
		inv.memory = 512
	}
	if opts.Firmware == "efi" && inv.memory < 256 {
		inv.memory = 256 // OVMF itself needs most of 128 MiB
	}
	switch opts.Accel {
	case "":
		inv.accel = "tcg"
		if KVMUsable() {
			inv.accel = "kvm"
		}
	case "kvm", "tcg":
		inv.accel = opts.Accel
	default:
		return nil, fmt.Errorf("accelerator %q: want kvm or tcg", opts.Accel)
	}
	if inv.dir, err = fsx.OpenDir(dir); err != nil {
		return nil, err
	}
	// A unix socket path must stay short, so not under opts.Dir; the
	// folder is private, so no other user can drive the VM through it.
	sockDir, err := fsx.MkdirTemp("", "exitkit-qmp-")
	if err != nil {
		inv.dir.Close()
		return nil, err
	}
	inv.qmpSocket = filepath.Join(sockDir, "qmp.sock")

	a := []string{
		"-name", "exitkit-drill",
		"-nodefaults", // no default NIC, CD-ROM, floppy or VGA: only what is asked for
		"-no-user-config",
		"-machine", inv.machine,
		"-accel", inv.accel,
		"-smp", strconv.Itoa(inv.cpus),
		"-m", strconv.FormatInt(inv.memory, 10),
		"-vga", "std", // a screen to capture...
		"-display", "none", // ...shown nowhere
		"-no-reboot",   // a guest that reboots or panics ends the boot
		"-nic", "none", // isolated: no network device, so no network boot ROM
		"-chardev", "file,id=serial0,path=" + qemuPath(inv.console),
		"-serial", "chardev:serial0",
		// SeaBIOS (and debug builds of OVMF) log to I/O port 0x402.
		"-chardev", "file,id=fwlog,path=" + qemuPath(inv.firmwareLog),
		"-device", "isa-debugcon,iobase=0x402,chardev=fwlog",
		"-qmp", "unix:" + qemuPath(inv.qmpSocket) + ",server=on,wait=off",
	}
	// The host's CPU under KVM, and under TCG every feature QEMU emulates:
	// current guests (RHEL 9, Windows 11) need more than QEMU's default
	// qemu64 model (x86-64-v2 and up).
	if inv.accel == "kvm" {
		a = append(a, "-cpu", "host")
	} else {
		a = append(a, "-cpu", "max")
	}
	if opts.Firmware == "efi" {
		if tools.OVMFCode == "" || tools.OVMFVars == "" {
			inv.release()
			return nil, fmt.Errorf("an EFI VM needs OVMF, which is not installed (Debian: apt-get install ovmf; looked for %s)", strings.Join(OVMFCandidates(), ", "))
		}
		const vars = "OVMF_VARS.fd"
		if err := copyFile(tools.OVMFVars, inv.dir, vars); err != nil {
			inv.release()
			return nil, fmt.Errorf("copy the UEFI variable store: %w", err)
		}
		a = append(a,
			"-drive", "if=pflash,format=raw,readonly=on,file="+qemuPath(tools.OVMFCode),
			"-drive", "if=pflash,format=raw,file="+qemuPath(inv.dir.Join(vars)))
	}
	// One controller device per kind, disks on it in order; the first disk
	// boots.
	made := map[string]bool{}
	chosen := map[string]bool{}
	scsiIDs, ahciPorts, ideUnits := 0, 0, 0
	for i, d := range opts.Disks {
		c := chooseController(d.Controller, opts.Firmware)
		if !chosen[c.VM+"\x00"+c.QEMU] {
			chosen[c.VM+"\x00"+c.QEMU] = true
			inv.controllers = append(inv.controllers, c)
		}
		format := d.Format
		if format == "" {
			format = "raw"
		}
		id := fmt.Sprintf("disk%d", i)
		// snapshot=on: the drill never writes to the restored disk.
		a = append(a, "-drive", fmt.Sprintf("if=none,id=%s,format=%s,snapshot=on,file=%s", id, format, qemuPath(d.Path)))
		boot := fmt.Sprintf(",bootindex=%d", i)
		switch c.QEMU {
		case "pvscsi", "lsi53c895a", "mptsas1068":
			if !made[c.QEMU] {
				made[c.QEMU] = true
				a = append(a, "-device", c.QEMU+",id=scsi-"+c.QEMU)
			}
			a = append(a, "-device", fmt.Sprintf("scsi-hd,drive=%s,bus=scsi-%s.0,scsi-id=%d%s", id, c.QEMU, scsiIDs, boot))
			scsiIDs++
		case "ahci":
			if !made["ahci"] {
				made["ahci"] = true
				a = append(a, "-device", "ahci,id=ahci0")
			}
			a = append(a, "-device", fmt.Sprintf("ide-hd,drive=%s,bus=ahci0.%d%s", id, ahciPorts, boot))
			ahciPorts++
		case "ide":
			a = append(a, "-device", fmt.Sprintf("ide-hd,drive=%s,bus=ide.%d,unit=%d%s", id, ideUnits/2, ideUnits%2, boot))
			ideUnits++
		case "nvme":
			a = append(a, "-device", fmt.Sprintf("nvme,drive=%s,serial=exitkit%d%s", id, i, boot))
		default:
			a = append(a, "-device", fmt.Sprintf("virtio-blk-pci,drive=%s%s", id, boot))
		}
	}
	inv.args = a
	return inv, nil
}

// release closes the work folder and removes the socket's folder.
func (inv *invocation) release() {
	inv.dir.Close()
	fsx.RemoveAll(filepath.Dir(inv.qmpSocket))
}

// copyFile copies src to name in dir, replacing what an earlier boot
// attempt left there.
func copyFile(src string, dir *fsx.Dir, name string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsx.Recreate(dir, name, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
