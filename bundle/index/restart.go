package index

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// restartGuide writes, for one VM, the commands that bring it up on each
// hypervisor the reference lists, and the pitfalls that apply to this VM's
// hardware. out is the folder the restore commands write the plain OVF
// package to.
func restartGuide(m *manifest.Manifest, vm manifest.VM, out string, hasNVRAM bool) ([]restartTarget, []string) {
	name := ShellQuote(vm.Name)
	ovfPath := outPath(out + "/" + path.Base(vm.OVF))
	in := func(name string) string { return outPath(out + "/" + name) }
	var disks []string // plaintext disk files, in descriptor order
	for _, f := range vm.Files {
		if f.Role == manifest.RoleDisk {
			disks = append(disks, f.Name)
		}
	}
	efi, pvscsi, vmxnet, windows := false, false, false, false
	var memMiB int64
	var vcpu int
	for _, h := range vm.Hardware {
		efi = efi || h.Firmware == "efi"
		pvscsi = pvscsi || slices.Contains(h.DiskControllers, "pvscsi")
		for _, n := range h.NICs {
			vmxnet = vmxnet || strings.HasPrefix(n.Adapter, "vmxnet")
		}
		windows = windows || strings.Contains(strings.ToLower(h.GuestOS), "windows")
		memMiB = max(memMiB, h.MemoryMiB)
		vcpu = max(vcpu, h.VCPU)
	}
	if memMiB <= 0 {
		memMiB = 2048
	}
	if vcpu <= 0 {
		vcpu = 1
	}
	bus := "sata"
	if !pvscsi && !windows {
		bus = "virtio"
	}

	var targets []restartTarget
	targets = append(targets, restartTarget{
		Name:  "VMware ESXi / vCenter / Workstation",
		Notes: []string{"In the vSphere Client: Deploy OVF Template, select the .ovf, the .mf and the disk files in $OUT/" + plainText(vm.Name) + " (vSphere checks the .mf). Or with ovftool or govc:"},
		Lines: []string{
			fmt.Sprintf("ovftool --name=%s %s 'vi://USER@VCENTER/DATACENTER/host/CLUSTER'", name, ovfPath),
			fmt.Sprintf("govc import.ovf -name=%s %s", name, ovfPath),
		},
	})
	vbox := restartTarget{
		Name: "VirtualBox",
		Lines: []string{
			fmt.Sprintf("VBoxManage import %s --dry-run", ovfPath),
			fmt.Sprintf("VBoxManage import %s --vsys 0 --vmname %s", ovfPath, name),
		},
	}
	if efi {
		vbox.Lines = append(vbox.Lines, fmt.Sprintf("VBoxManage modifyvm %s --firmware efi", name))
	}
	targets = append(targets, vbox)

	targets = append(targets, restartTarget{
		Name:  "KVM / libvirt",
		Notes: []string{"virt-v2v converts the whole VM and installs virtio drivers in the guest:"},
		Lines: []string{fmt.Sprintf("virt-v2v -i ova %s -o libvirt -os default -of qcow2", outPath(out))},
	})
	if len(disks) > 0 {
		kvm := restartTarget{
			Name:  "KVM / libvirt, by hand",
			Notes: []string{"Or convert the disks and define the VM yourself:"},
		}
		var diskArgs []string
		for _, d := range disks {
			q := in(strings.TrimSuffix(d, path.Ext(d)) + ".qcow2")
			kvm.Lines = append(kvm.Lines, fmt.Sprintf("qemu-img convert -p -f vmdk -O qcow2 %s %s", in(d), q))
			diskArgs = append(diskArgs, fmt.Sprintf("--disk %s,bus=%s", q, bus))
		}
		inst := fmt.Sprintf("virt-install --name %s --memory %d --vcpus %d --import %s --network network=default,model=e1000 --osinfo detect=on,require=off", name, memMiB, vcpu, strings.Join(diskArgs, " "))
		if efi {
			inst += " --boot uefi"
		}
		kvm.Lines = append(kvm.Lines, inst)
		targets = append(targets, kvm)
	}

	pve := restartTarget{
		Name:  "Proxmox VE",
		Notes: []string{"Pick a free VM id (9001 here) and a storage (local-lvm here):"},
		Lines: []string{fmt.Sprintf("qm importovf 9001 %s local-lvm --format qcow2", ovfPath)},
	}
	if efi {
		pve.Lines = append(pve.Lines, "qm set 9001 --bios ovmf --efidisk0 local-lvm:1,efitype=4m,pre-enrolled-keys=0")
	}
	if pvscsi || windows {
		pve.Lines = append(pve.Lines, "qm set 9001 --net0 e1000,bridge=vmbr0")
	} else {
		pve.Lines = append(pve.Lines, "qm set 9001 --net0 virtio,bridge=vmbr0")
	}
	targets = append(targets, pve)

	hv := restartTarget{Name: "Hyper-V"}
	gen := "1"
	if efi {
		gen = "2"
	}
	var vhdx []string
	for _, d := range disks {
		x := strings.TrimSuffix(d, path.Ext(d)) + ".vhdx"
		hv.Lines = append(hv.Lines, fmt.Sprintf("qemu-img convert -p -f vmdk -O vhdx -o subformat=dynamic %s %s", in(d), in(x)))
		vhdx = append(vhdx, x)
	}
	if len(vhdx) > 0 {
		hv.Notes = []string{fmt.Sprintf("Convert the disks (with qemu-img, also available for Windows), then, in PowerShell in the folder holding the .vhdx files, create a Generation %s VM (%s firmware):", gen, firmwareName(map[bool]string{true: "efi", false: "bios"}[efi]))}
		hv.Lines = append(hv.Lines, fmt.Sprintf("New-VM -Name %s -Generation %s -MemoryStartupBytes %dMB -VHDPath %s", psQuote(vm.Name), gen, memMiB, psQuote(vhdx[0])))
		for _, x := range vhdx[1:] {
			hv.Lines = append(hv.Lines, fmt.Sprintf("Add-VMHardDiskDrive -VMName %s -Path %s", psQuote(vm.Name), psQuote(x)))
		}
		if efi && !windows {
			hv.Lines = append(hv.Lines, fmt.Sprintf("Set-VMFirmware -VMName %s -SecureBootTemplate MicrosoftUEFICertificateAuthority", psQuote(vm.Name)))
		}
	}
	targets = append(targets, hv)

	boot := "legacy-bios"
	if efi {
		boot = "uefi"
	}
	ova := outPath(vm.Name + ".ova")
	ovaKey := plainText(vm.Name + ".ova")
	tarArgs := []string{ShellQuote(path.Base(vm.OVF))}
	if vm.MF != "" {
		tarArgs = append(tarArgs, ShellQuote(path.Base(vm.MF)))
	}
	for _, f := range vm.Files {
		if f.Role != manifest.RoleDescriptor && f.Role != manifest.RoleManifest {
			tarArgs = append(tarArgs, ShellQuote(f.Name))
		}
	}
	targets = append(targets, restartTarget{
		Name:  "AWS EC2",
		Notes: []string{"Pack the VM as an OVA (descriptor first), upload it to an S3 bucket of yours, and import it (needs the vmimport service role):"},
		Lines: []string{
			fmt.Sprintf("tar -C %s -cf %s %s", outPath(out), ova, strings.Join(tarArgs, " ")),
			fmt.Sprintf("aws s3 cp %s %s", ova, ShellQuote("s3://BUCKET/"+ovaKey)),
			fmt.Sprintf("aws ec2 import-image --boot-mode %s --disk-containers %s", boot, ShellQuote("Format=ova,UserBucket={S3Bucket=BUCKET,S3Key="+ovaKey+"}")),
		},
	})

	az := restartTarget{Name: "Azure"}
	for i, d := range disks {
		vhd := in(strings.TrimSuffix(d, path.Ext(d)) + ".vhd")
		az.Lines = append(az.Lines, fmt.Sprintf("qemu-img convert -p -f vmdk -O vpc -o subformat=fixed,force_size %s %s", in(d), vhd))
		if i == 0 {
			genFlag := "V1"
			if efi {
				genFlag = "V2"
			}
			az.Notes = []string{"Azure takes fixed-size VHDs whose size is a whole number of MiB (force_size keeps it exact; round up with qemu-img resize if needed). Convert each disk, create an upload-ready managed disk for it, copy the VHD into it with azcopy (az disk grant-access gives the URL), then create the VM from the OS disk (az vm create --attach-os-disk):"}
			az.Lines = append(az.Lines, fmt.Sprintf("az disk create -g GROUP -n %s --upload-type Upload --upload-size-bytes $(wc -c < %s) --hyper-v-generation %s", ShellQuote(vm.Name+"-os"), vhd, genFlag))
		}
	}
	targets = append(targets, az)

	var pits []string
	if efi {
		if hasNVRAM {
			pits = append(pits, "Boots with UEFI. Its NVRAM file is in the bundle: VMware and VirtualBox imports keep it. Elsewhere use OVMF/UEFI firmware (KVM --boot uefi, Proxmox --bios ovmf, Hyper-V Generation 2, AWS --boot-mode uefi, Azure generation V2); the boot entries in the NVRAM are then lost, so if the VM does not boot, add a boot entry for the guest's EFI loader (for example \\EFI\\BOOT\\BOOTX64.EFI or the distribution's shimx64.efi) in the firmware menu.")
		} else {
			pits = append(pits, "Boots with UEFI, and no NVRAM file was exported: use OVMF/UEFI firmware everywhere (KVM --boot uefi, Proxmox --bios ovmf, Hyper-V Generation 2, AWS --boot-mode uefi, Azure generation V2) and, if it does not boot, add a boot entry for the guest's EFI loader in the firmware menu. Booting it with BIOS fails.")
		}
	} else {
		pits = append(pits, "Boots with BIOS: use BIOS firmware (Hyper-V Generation 1, AWS --boot-mode legacy-bios, Azure generation V1); UEFI firmware will not find a boot loader.")
	}
	if pvscsi {
		pits = append(pits, "Its disks sit on a VMware Paravirtual SCSI (pvscsi) controller, whose driver exists only inside VMware guests: outside VMware attach the disks as SATA (as the commands above do) until virtio drivers are installed in the guest, or the guest will not find its boot disk.")
	}
	if vmxnet {
		pits = append(pits, "Its network adapter is VMware vmxnet3: outside VMware use virtio (Linux has the driver; Windows needs virtio-win) or e1000. The guest sees a new adapter, so interface names and static IP settings may need to be set again.")
	}
	if windows {
		pits = append(pits, "Windows guest: before moving the boot disk to virtio on KVM or Proxmox, install the virtio-win drivers while it runs on SATA; expect Windows to ask for reactivation on new hardware.")
	}
	pits = append(pits, "VMware Tools are VMware-only: uninstall them after moving the VM elsewhere (open-vm-tools on Linux is harmless), and install the new hypervisor's guest agent.")
	return targets, pits
}

// psQuote quotes s for PowerShell.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(plainText(s), "'", "''") + "'"
}
