// Package guest writes tiny bootable demo disks with Go alone, so that a
// restored demo VM has something to boot: call Disk with the VM's name and
// firmware, and write the image it returns wherever a raw disk is wanted
// (internal/vmdk.WriteStreamOptimized turns it into an OVF's VMDK).
//
// A BIOS disk is a master boot record whose boot code prints
//
//	exitkit demo guest NAME running
//
// on COM1 (port 0x3F8) and on the screen (int 10h), then halts. An EFI disk
// is a GPT disk with one FAT EFI system partition holding
// \EFI\BOOT\BOOTX64.EFI, a PE32+ application that prints the same line on
// COM1 and through UEFI ConOut, then halts; its protective MBR carries the
// BIOS boot code too, so the disk also boots where the firmware was
// recorded wrongly. Both programs are hand-assembled in this package, one
// commented instruction at a time (see bios.go and efi.go): nothing outside
// Go is needed to build them, and a test reads them back with objdump.
//
// The image is sparse: only the sectors that hold something are kept in
// memory, so a demo disk of any capacity costs a few kilobytes.
package guest

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// Firmware is the firmware a disk is made for.
type Firmware string

const (
	BIOS Firmware = "bios"
	EFI  Firmware = "efi"
)

// Marker returns the line the demo guest called name prints once it runs;
// a boot test waits for it on the serial console.
func Marker(name string) string { return "exitkit demo guest " + name + " running" }

// MaxNameLen bounds the name so the message fits the 440 bytes of boot
// code in a master boot record.
const MaxNameLen = 64

// MinCapacity is the smallest disk each firmware's layout fits on: a
// sector for BIOS; for EFI the GPT, its 1 MiB-aligned system partition and
// the backup GPT at the end.
func MinCapacity(fw Firmware) int64 {
	if fw == EFI {
		return espStart*sectorSize + espSize + 1<<20
	}
	return sectorSize
}

const sectorSize = 512

// Image is a raw disk image held sparsely: the extents written, zeros
// everywhere else. It implements io.ReaderAt, so it can be fed to
// internal/vmdk.WriteStreamOptimized or io.NewSectionReader.
type Image struct {
	size    int64
	extents []extent // sorted by offset, not overlapping
}

type extent struct {
	off  int64
	data []byte
}

// Size is the disk's capacity in bytes.
func (im *Image) Size() int64 { return im.size }

// ReadAt reads the image as if it were a file of Size bytes.
func (im *Image) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("guest: negative offset")
	}
	if off >= im.size {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if int64(n) > im.size-off {
		n = int(im.size - off)
		err = io.EOF
	}
	clear(p[:n])
	end := off + int64(n)
	// First extent that ends after off.
	i := sort.Search(len(im.extents), func(i int) bool {
		e := im.extents[i]
		return e.off+int64(len(e.data)) > off
	})
	for ; i < len(im.extents) && im.extents[i].off < end; i++ {
		e := im.extents[i]
		lo := max(off, e.off)
		hi := min(end, e.off+int64(len(e.data)))
		copy(p[lo-off:hi-off], e.data[lo-e.off:hi-e.off])
	}
	return n, err
}

// put records data at off. Callers write disjoint extents.
func (im *Image) put(off int64, data []byte) {
	im.extents = append(im.extents, extent{off, data})
	sort.Slice(im.extents, func(i, j int) bool { return im.extents[i].off < im.extents[j].off })
}

// Disk returns a bootable raw disk image of capacity bytes for a VM
// called name, made for the given firmware. The name goes into the
// message the guest prints; it must be 1 to MaxNameLen printable ASCII
// characters.
func Disk(name string, fw Firmware, capacity int64) (*Image, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if fw != BIOS && fw != EFI {
		return nil, fmt.Errorf("guest: firmware %q: want %q or %q", fw, BIOS, EFI)
	}
	if min := MinCapacity(fw); capacity < min {
		return nil, fmt.Errorf("guest: a %s demo disk needs at least %d bytes, not %d", fw, min, capacity)
	}
	if capacity%sectorSize != 0 {
		return nil, fmt.Errorf("guest: capacity %d is not a whole number of 512-byte sectors", capacity)
	}
	boot, err := bootSector(name)
	if err != nil {
		return nil, err
	}
	im := &Image{size: capacity}
	if fw == BIOS {
		im.put(0, mbr(boot, nil))
		return im, nil
	}
	app, err := efiApp(name)
	if err != nil {
		return nil, err
	}
	fat, err := fatImage(espSize, espStart, []fatFile{{Path: []string{"EFI", "BOOT", "BOOTX64.EFI"}, Data: app}})
	if err != nil {
		return nil, err
	}
	sectors := capacity / sectorSize
	g := gptLayout(name, sectors, espStart, espStart+espSize/sectorSize-1)
	im.put(0, mbr(boot, protectiveEntry(sectors)))
	im.put(sectorSize, g.primary)
	for _, e := range fat {
		im.put(espStart*sectorSize+e.off, e.data)
	}
	im.put((sectors-33)*sectorSize, g.backup)
	return im, nil
}

func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("guest: name %q: want 1 to %d characters", name, MaxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("guest: name %q: only printable ASCII fits a boot sector's message", name)
		}
	}
	return nil
}
