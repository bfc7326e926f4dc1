package index

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// restartGuideText is the per-hypervisor restart guide as data: what each
// hypervisor needs is edited there, not in Go. The code below only works
// out the facts of one VM it is filled in with.
//
//go:embed restart.tmpl
var restartGuideText string

var restartGuideTmpl = template.Must(template.New("restart").Parse(restartGuideText))

// restartFacts is what the guide is filled in with, every value quoted for
// where it goes.
type restartFacts struct {
	Name, PSName, PlainName string // the VM's name for the shell, PowerShell and prose
	OVF, Out, OVA           string // restored descriptor, folder and OVA, for the shell
	TarArgs                 string // the OVA's members, descriptor first
	S3URL, Containers       string
	OSDisk                  string
	Bus, Gen, GenFlag, Boot string
	Firmware                string
	MemMiB                  int64
	VCPU                    int
	EFI, PVSCSI, VMXNet     bool
	SecureBoot              bool   // the source had UEFI Secure Boot on
	OSType                  string // az vm create --os-type: linux or windows
	Options                 string // govc import.spec output, for the shell
	DataDisks               string // az vm create --attach-data-disks names
	Windows, HasNVRAM       bool
	Disks                   []restartDisk
}

type restartDisk struct {
	In, QCOW2, VHDX, VHD string // paths for the shell
	Azure                string // managed disk name: <vm>-os, <vm>-data1, ...
	OS                   bool   // the first disk, which the VM boots from
	VHDXName             string // the .vhdx's name for PowerShell
}

// restartGuide writes, for one VM, the commands that bring it up on each
// hypervisor the reference lists, and the pitfalls that apply to this VM's
// hardware. out is the folder the restore commands write the plain OVF
// package to.
func restartGuide(m *manifest.Manifest, vm manifest.VM, out string, hasNVRAM bool) ([]restartTarget, []string) {
	targets, pits, err := restartGuideWith(restartGuideTmpl, vm, out, hasNVRAM)
	if err != nil {
		// The template is embedded and its data typed: a failure is a bug
		// in restart.tmpl, caught by the golden tests.
		return nil, []string{"restart guide: " + err.Error()}
	}
	return targets, pits
}

// restartGuideWith fills in the guide t (the embedded one, or a
// provider's bundle/restart.tmpl) for one VM.
func restartGuideWith(t *template.Template, vm manifest.VM, out string, hasNVRAM bool) ([]restartTarget, []string, error) {
	f := facts(vm, out, hasNVRAM)
	var b bytes.Buffer
	if err := t.Execute(&b, f); err != nil {
		return nil, nil, err
	}
	var targets []restartTarget
	var pits []string
	for _, line := range strings.Split(b.String(), "\n") {
		kind, text, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch {
		case kind == "target":
			targets = append(targets, restartTarget{Name: text})
		case kind == "pitfall":
			pits = append(pits, text)
		case kind == "note" && len(targets) > 0:
			t := &targets[len(targets)-1]
			t.Steps = append(t.Steps, restartStep{Note: text})
		case kind == "line" && len(targets) > 0:
			t := &targets[len(targets)-1]
			if len(t.Steps) == 0 {
				t.Steps = append(t.Steps, restartStep{})
			}
			st := &t.Steps[len(t.Steps)-1]
			st.Lines = append(st.Lines, text)
			t.Lines = append(t.Lines, text)
		}
	}
	return targets, pits, nil
}

// restartGuideFile is where a provider's templates (templates.Open) may
// replace the restart guide.
const restartGuideFile = "bundle/restart.tmpl"

// overrideRestartGuides refills each VM's restart guide from fsys's
// bundle/restart.tmpl, when it has one.
func overrideRestartGuides(fsys fs.FS, m *manifest.Manifest, view *indexView) error {
	src, err := fs.ReadFile(fsys, restartGuideFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	t, err := template.New("restart").Parse(string(src))
	if err != nil {
		return fmt.Errorf("%s: %w", restartGuideFile, err)
	}
	for i, vm := range m.VMs {
		hasNVRAM := slices.ContainsFunc(vm.Files, func(f manifest.File) bool { return f.Role == manifest.RoleNVRAM })
		targets, pits, err := restartGuideWith(t, vm, vm.Name, hasNVRAM)
		if err != nil {
			return fmt.Errorf("%s: %w", restartGuideFile, err)
		}
		view.VMs[i].Targets, view.VMs[i].Pitfalls = targets, pits
	}
	return nil
}

func facts(vm manifest.VM, out string, hasNVRAM bool) restartFacts {
	in := func(name string) string { return outPath(out + "/" + name) }
	f := restartFacts{
		Name: ShellQuote(vm.Name), PSName: psQuote(vm.Name), PlainName: plainText(vm.Name),
		OVF: outPath(out + "/" + path.Base(vm.OVF)), Out: outPath(out), OVA: outPath(vm.Name + ".ova"),
		OSDisk: ShellQuote(vm.Name + "-os"), HasNVRAM: hasNVRAM,
	}
	for _, h := range vm.Hardware {
		f.EFI = f.EFI || h.Firmware == "efi"
		f.SecureBoot = f.SecureBoot || h.Firmware == "efi" && h.SecureBoot
		f.PVSCSI = f.PVSCSI || slices.Contains(h.DiskControllers, "pvscsi")
		for _, n := range h.NICs {
			f.VMXNet = f.VMXNet || strings.HasPrefix(n.Adapter, "vmxnet")
		}
		f.Windows = f.Windows || strings.Contains(strings.ToLower(h.GuestOS), "windows")
		f.MemMiB = max(f.MemMiB, h.MemoryMiB)
		f.VCPU = max(f.VCPU, h.VCPU)
	}
	if f.MemMiB <= 0 {
		f.MemMiB = 2048
	}
	f.OSType = "linux"
	if f.Windows {
		f.OSType = "windows"
	}
	f.Options = outPath(vm.Name + "-options.json")
	if f.VCPU <= 0 {
		f.VCPU = 1
	}
	f.Bus = "sata"
	if !f.PVSCSI && !f.Windows {
		f.Bus = "virtio"
	}
	f.Gen, f.GenFlag, f.Boot, f.Firmware = "1", "V1", "legacy-bios", firmwareName("bios")
	if f.EFI {
		f.Gen, f.GenFlag, f.Boot, f.Firmware = "2", "V2", "uefi", firmwareName("efi")
	}
	tarArgs := []string{ShellQuote(path.Base(vm.OVF))}
	if vm.MF != "" {
		tarArgs = append(tarArgs, ShellQuote(path.Base(vm.MF)))
	}
	for _, file := range vm.Files {
		if file.Role != manifest.RoleDescriptor && file.Role != manifest.RoleManifest {
			tarArgs = append(tarArgs, ShellQuote(file.Name))
		}
		if file.Role == manifest.RoleDisk {
			base := strings.TrimSuffix(file.Name, path.Ext(file.Name))
			azure := vm.Name + "-os"
			if len(f.Disks) > 0 {
				azure = fmt.Sprintf("%s-data%d", vm.Name, len(f.Disks))
			}
			f.Disks = append(f.Disks, restartDisk{
				Azure: ShellQuote(azure), OS: len(f.Disks) == 0,
				In: in(file.Name), QCOW2: in(base + ".qcow2"), VHDX: in(base + ".vhdx"), VHD: in(base + ".vhd"),
				VHDXName: psQuote(base + ".vhdx"),
			})
		}
	}
	f.TarArgs = strings.Join(tarArgs, " ")
	var data []string
	for _, d := range f.Disks[min(1, len(f.Disks)):] {
		data = append(data, d.Azure)
	}
	f.DataDisks = strings.Join(data, " ")
	ovaKey := plainText(vm.Name + ".ova")
	f.S3URL = ShellQuote("s3://BUCKET/" + ovaKey)
	f.Containers = ShellQuote("Format=ova,UserBucket={S3Bucket=BUCKET,S3Key=" + ovaKey + "}")
	return f
}

// psQuote quotes s for PowerShell.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(plainText(s), "'", "''") + "'"
}
