package guest

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// The EFI system partition: 8 MiB at 1 MiB, formatted FAT16 with one
// 512-byte sector per cluster (16,223 clusters, well inside FAT16's
// 4,085-65,524). UEFI reads FAT12, 16 and 32 on any medium; FAT32 would
// need at least 32 MiB.
const (
	espStart = 2048    // LBA
	espSize  = 8 << 20 // bytes

	fatReservedSectors = 1
	fatCount           = 2
	fatRootEntries     = 512
	fatDirEntrySize    = 32
	fatAttrDirectory   = 0x10
	fatAttrArchive     = 0x20
	fatAttrVolumeID    = 0x08
	fatEOC             = 0xffff
	fatVolumeLabel     = "EXITKIT ESP"
	// 2026-01-01 00:00: a fixed timestamp keeps the image reproducible.
	fatDate = (2026-1980)<<9 | 1<<5 | 1
)

// fatFile is one file to put in the file system; Path is its directories
// and name, each an 8.3 name in upper case.
type fatFile struct {
	Path []string
	Data []byte
}

// fatDir is a directory being laid out.
type fatDir struct {
	name    string
	subdirs []*fatDir
	files   []fatFile
	cluster uint16 // first cluster; 0 for the root
}

// fatImage formats a FAT16 file system of size bytes holding files and
// returns its non-zero extents, offsets relative to the partition's start.
// hidden is the partition's first LBA, which the boot sector records.
func fatImage(size int64, hidden uint32, files []fatFile) ([]extent, error) {
	totalSectors := size / sectorSize
	if totalSectors > 0xffff {
		return nil, fmt.Errorf("guest: FAT16 layout here is for under 32 MiB, not %d bytes", size)
	}
	rootSectors := int64(fatRootEntries * fatDirEntrySize / sectorSize)
	// The FAT size formula of Microsoft's FAT specification (FAT16 case).
	fatSectors := (totalSectors - fatReservedSectors - rootSectors + 256 + fatCount - 1) / (256 + fatCount)
	dataStart := fatReservedSectors + fatCount*fatSectors + rootSectors
	clusters := totalSectors - dataStart
	if clusters < 4085 || clusters > 65524 {
		return nil, fmt.Errorf("guest: %d clusters is not a FAT16 file system", clusters)
	}

	root := &fatDir{}
	for _, f := range files {
		d := root
		for _, part := range f.Path[:len(f.Path)-1] {
			d = d.subdir(part)
		}
		d.files = append(d.files, fatFile{Path: []string{f.Path[len(f.Path)-1]}, Data: f.Data})
	}

	// Allocate clusters: directories first (breadth first), then files, each
	// contiguous. One sector per cluster.
	fat := make([]uint16, clusters+2)
	fat[0], fat[1] = 0xfff8, 0xffff // media descriptor; clean shutdown, no errors
	next := uint16(2)
	alloc := func(bytes int64) (uint16, error) {
		n := max(1, (bytes+sectorSize-1)/sectorSize)
		if int64(next)+n > int64(len(fat)) {
			return 0, fmt.Errorf("guest: %d bytes do not fit the %d-byte system partition", bytes, size)
		}
		first := next
		for i := int64(0); i < n; i++ {
			c := next + uint16(i)
			fat[c] = c + 1
		}
		next += uint16(n)
		fat[next-1] = fatEOC
		return first, nil
	}
	var dirs []*fatDir
	var walk func(d *fatDir)
	walk = func(d *fatDir) {
		dirs = append(dirs, d)
		for _, s := range d.subdirs {
			walk(s)
		}
	}
	walk(root)
	for _, d := range dirs[1:] {
		c, err := alloc(int64(2+len(d.subdirs)+len(d.files)) * fatDirEntrySize)
		if err != nil {
			return nil, err
		}
		d.cluster = c
	}
	data := map[uint16][]byte{} // first cluster -> contents
	parent := map[*fatDir]*fatDir{}
	for _, d := range dirs {
		for _, s := range d.subdirs {
			parent[s] = d
		}
	}
	var rootDir []byte
	for _, d := range dirs {
		var ents []byte
		if d == root {
			ents = append(ents, dirEntry(fatVolumeLabel, fatAttrVolumeID, 0, 0)...)
		} else {
			ents = append(ents, dirEntry(".", fatAttrDirectory, d.cluster, 0)...)
			ents = append(ents, dirEntry("..", fatAttrDirectory, parent[d].cluster, 0)...)
		}
		for _, s := range d.subdirs {
			ents = append(ents, dirEntry(s.name, fatAttrDirectory, s.cluster, 0)...)
		}
		for _, f := range d.files {
			var c uint16 // an empty file has no cluster
			if len(f.Data) > 0 {
				var err error
				if c, err = alloc(int64(len(f.Data))); err != nil {
					return nil, err
				}
				data[c] = f.Data
			}
			ents = append(ents, dirEntry(f.Path[0], fatAttrArchive, c, uint32(len(f.Data)))...)
		}
		if d == root {
			if len(ents) > fatRootEntries*fatDirEntrySize {
				return nil, fmt.Errorf("guest: too many entries in the root directory")
			}
			rootDir = ents
		} else {
			data[d.cluster] = ents
		}
	}

	bs := make([]byte, sectorSize)
	copy(bs, []byte{0xeb, 0x3c, 0x90}) // jmp short over the BPB; nop
	copy(bs[3:], "EXITKIT ")           // OEM name
	le := binary.LittleEndian
	le.PutUint16(bs[11:], sectorSize)         // bytes per sector
	bs[13] = 1                                // sectors per cluster
	le.PutUint16(bs[14:], fatReservedSectors) // reserved sectors (the boot sector)
	bs[16] = fatCount
	le.PutUint16(bs[17:], fatRootEntries)
	le.PutUint16(bs[19:], uint16(totalSectors))
	bs[21] = 0xf8 // media: fixed disk
	le.PutUint16(bs[22:], uint16(fatSectors))
	le.PutUint16(bs[24:], 63)  // sectors per track (only for CHS)
	le.PutUint16(bs[26:], 255) // heads (only for CHS)
	le.PutUint32(bs[28:], hidden)
	bs[36] = 0x80                     // drive number: first hard disk
	bs[38] = 0x29                     // extended boot signature: the next three fields are valid
	le.PutUint32(bs[39:], 0x45584954) // volume serial number
	copy(bs[43:], fmt.Sprintf("%-11s", fatVolumeLabel))
	copy(bs[54:], "FAT16   ")
	// Boot code for a BIOS that boots this partition: int 18h, "no OS here".
	copy(bs[62:], []byte{0xcd, 0x18})
	bs[510], bs[511] = 0x55, 0xaa

	fatBytes := make([]byte, fatSectors*sectorSize)
	for i, v := range fat {
		le.PutUint16(fatBytes[2*i:], v)
	}
	// Only the used part of each FAT is non-zero.
	used := alignUp(int64(2*int(next)), sectorSize)
	out := []extent{{0, bs}}
	for i := int64(0); i < fatCount; i++ {
		out = append(out, extent{(fatReservedSectors + i*fatSectors) * sectorSize, fatBytes[:used]})
	}
	out = append(out, extent{(fatReservedSectors + fatCount*fatSectors) * sectorSize, rootDir})
	region := make([]byte, (int64(next)-2)*sectorSize)
	for c, b := range data {
		if c >= 2 {
			copy(region[(int64(c)-2)*sectorSize:], b)
		}
	}
	out = append(out, extent{dataStart * sectorSize, region})
	return out, nil
}

func (d *fatDir) subdir(name string) *fatDir {
	for _, s := range d.subdirs {
		if s.name == name {
			return s
		}
	}
	s := &fatDir{name: name}
	d.subdirs = append(d.subdirs, s)
	return s
}

// dirEntry is one 32-byte short-name directory entry.
func dirEntry(name string, attr byte, cluster uint16, size uint32) []byte {
	e := make([]byte, fatDirEntrySize)
	copy(e, shortName(name, attr == fatAttrVolumeID))
	e[11] = attr
	le := binary.LittleEndian
	le.PutUint16(e[16:], fatDate) // created
	le.PutUint16(e[18:], fatDate) // last accessed
	le.PutUint16(e[24:], fatDate) // written
	le.PutUint16(e[26:], cluster)
	le.PutUint32(e[28:], size)
	return e
}

// shortName pads an 8.3 name into the 11 bytes a directory entry holds:
// "BOOTX64.EFI" becomes "BOOTX64 EFI". A volume label is 11 bytes as is.
func shortName(name string, label bool) string {
	if label || name == "." || name == ".." {
		return fmt.Sprintf("%-11s", name)
	}
	base, ext, _ := strings.Cut(name, ".")
	return fmt.Sprintf("%-8s%-3s", base, ext)
}
