package ovf

import "github.com/exitkit/exitkit/bundle/manifest"

// Hardware maps a parsed descriptor to the exit manifest's hardware, one
// entry per VirtualSystem. fileNameByRef maps a References/File ovf:id to
// the plaintext file name the bundle stores it under, so that each disk
// names its file in the VM's folder (a disk no hardware item attaches
// still belongs to the only VM of a single-VM descriptor); a disk without a file (a blank disk
// the descriptor only sizes) gets an empty File.
func Hardware(d *Descriptor, fileNameByRef map[string]string) []manifest.VMHardware {
	if d == nil {
		return nil
	}
	disks := map[string]Disk{}
	for _, disk := range d.Disks {
		disks[disk.ID] = disk
	}
	used := map[string]bool{}
	out := make([]manifest.VMHardware, 0, len(d.Systems))
	for _, s := range d.Systems {
		h := manifest.VMHardware{
			Name:            s.Name,
			GuestOS:         s.GuestOS,
			VCPU:            s.VCPU,
			MemoryMiB:       s.MemoryMiB,
			Firmware:        s.Firmware,
			SecureBoot:      s.SecureBoot,
			DiskControllers: append([]string{}, s.DiskControllers...),
			NICs:            []manifest.NIC{},
			Disks:           []manifest.Disk{},
		}
		if h.Firmware == "" {
			h.Firmware = "bios"
		}
		for _, n := range s.NICs {
			h.NICs = append(h.NICs, manifest.NIC{Network: n.Network, Adapter: n.Adapter})
		}
		for _, sd := range s.Disks {
			disk := manifest.Disk{Controller: sd.Controller}
			if dd, ok := disks[sd.DiskID]; ok {
				used[dd.ID] = true
				disk.CapacityBytes = dd.CapacityBytes
				disk.PopulatedBytes = dd.PopulatedBytes
				disk.File = fileNameByRef[dd.FileRef]
			} else if sd.FileRef != "" {
				disk.File = fileNameByRef[sd.FileRef]
			}
			h.Disks = append(h.Disks, disk)
		}
		out = append(out, h)
	}
	// A single VM owns every disk of the descriptor, even one no hardware
	// item attaches (some exporters leave the items out).
	if len(out) == 1 {
		for _, dd := range d.Disks {
			if !used[dd.ID] {
				out[0].Disks = append(out[0].Disks, manifest.Disk{File: fileNameByRef[dd.FileRef], CapacityBytes: dd.CapacityBytes, PopulatedBytes: dd.PopulatedBytes})
			}
		}
	}
	return out
}
