// Package vmdk writes VMware streamOptimized VMDK disks: the compressed,
// sequentially written form that OVF exports carry and that ESXi, VirtualBox,
// qemu-img and virt-v2v all import.
//
// Call WriteStreamOptimized with the raw disk image as an io.ReaderAt and its
// capacity. The output is written strictly front to back, so w can be a pipe,
// a hash or an encrypting writer; memory stays a few grains whatever the
// disk's size. Grains that are all zero are not stored, so a sparse disk
// stays small.
//
// The layout follows VMware's "Virtual Disk Format 5.0" specification: a
// sparse extent header with the compressed-grain and marker flags, the
// embedded text descriptor (createType="streamOptimized"), one grain marker
// per stored 64 KiB grain (zlib-deflated), a grain table marker after each
// 512 grains that stored anything, the grain directory, a footer that
// repeats the header with the directory's offset, and the end-of-stream
// marker. govmomi's own StreamOptimizedWriter is not used: qemu-img rejects
// its output.
package vmdk

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

const (
	sectorSize = 512

	// GrainSize is the size of one grain, the unit of allocation and
	// compression, in bytes (128 sectors, as VMware writes).
	GrainSize = grainSectors * sectorSize

	grainSectors = 128
	gtesPerGT    = 512

	// descriptorSectors is the room reserved for the embedded descriptor;
	// overheadSectors is where the first grain may start (VMware uses 128).
	descriptorSectors = 20
	overheadSectors   = 128

	magic = 0x564d444b // "KDMV" read as a little-endian uint32

	flagValidNewline = 1 << 0
	flagCompressed   = 1 << 16
	flagMarkers      = 1 << 17

	compressDeflate = 1

	gdAtEnd = ^uint64(0)

	markerEOS    = 0
	markerGT     = 1
	markerGD     = 2
	markerFooter = 3
)

// MaxCapacity is the largest capacity WriteStreamOptimized accepts: grain
// directory entries are 32-bit sector offsets, which bounds the file, and
// VMware's own limit for a monolithic sparse disk is just under 64 TiB.
const MaxCapacity = 62 << 40

// header is the sparse extent header, as laid out on disk (little endian,
// packed to 79 bytes, padded to one sector).
type header struct {
	Magic              uint32
	Version            uint32
	Flags              uint32
	Capacity           uint64 // sectors
	GrainSize          uint64 // sectors
	DescriptorOffset   uint64 // sectors
	DescriptorSize     uint64 // sectors
	NumGTEsPerGT       uint32
	RGDOffset          uint64
	GDOffset           uint64
	OverHead           uint64
	UncleanShutdown    uint8
	SingleEndLineChar  byte
	NonEndLineChar     byte
	DoubleEndLineChar1 byte
	DoubleEndLineChar2 byte
	CompressAlgorithm  uint16
}

func (h *header) sector() []byte {
	var b bytes.Buffer
	b.Grow(sectorSize)
	_ = binary.Write(&b, binary.LittleEndian, h) // fixed-size struct: cannot fail
	b.Write(make([]byte, sectorSize-b.Len()))
	return b.Bytes()
}

// WriteStreamOptimized reads capacity bytes of a raw disk image from disk
// and writes them to w as a streamOptimized VMDK. A capacity that is not a
// whole number of 512-byte sectors is rounded up; the bytes past the end of
// disk read as zeros (disk may return io.EOF early, like an *os.File that is
// shorter than capacity).
func WriteStreamOptimized(w io.Writer, disk io.ReaderAt, capacity int64) error {
	if capacity <= 0 {
		return fmt.Errorf("vmdk: capacity %d: a disk needs at least one byte", capacity)
	}
	if capacity > MaxCapacity {
		return fmt.Errorf("vmdk: capacity %d bytes exceeds the %d-byte limit of a streamOptimized disk", capacity, int64(MaxCapacity))
	}
	sectors := uint64((capacity + sectorSize - 1) / sectorSize)
	grains := (sectors + grainSectors - 1) / grainSectors
	numGTs := (grains + gtesPerGT - 1) / gtesPerGT

	sw := &sectorWriter{w: w}
	h := header{
		Magic:              magic,
		Version:            3,
		Flags:              flagValidNewline | flagCompressed | flagMarkers,
		Capacity:           sectors,
		GrainSize:          grainSectors,
		DescriptorOffset:   1,
		DescriptorSize:     descriptorSectors,
		NumGTEsPerGT:       gtesPerGT,
		GDOffset:           gdAtEnd,
		OverHead:           overheadSectors,
		SingleEndLineChar:  '\n',
		NonEndLineChar:     ' ',
		DoubleEndLineChar1: '\r',
		DoubleEndLineChar2: '\n',
		CompressAlgorithm:  compressDeflate,
	}
	if err := sw.write(h.sector()); err != nil {
		return err
	}
	desc := descriptor(sectors)
	if len(desc) > descriptorSectors*sectorSize {
		return errors.New("vmdk: descriptor does not fit its reserved sectors") // cannot happen: fixed text
	}
	if err := sw.writePadded(desc, descriptorSectors); err != nil {
		return err
	}
	if err := sw.write(make([]byte, (overheadSectors-1-descriptorSectors)*sectorSize)); err != nil {
		return err
	}

	gd := make([]uint32, numGTs)
	gt := make([]uint32, gtesPerGT)
	grain := make([]byte, GrainSize)
	var comp bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&comp, zlib.BestSpeed) // valid level: cannot fail

	for t := uint64(0); t < numGTs; t++ {
		clear(gt)
		used := false
		for i := uint64(0); i < gtesPerGT; i++ {
			g := t*gtesPerGT + i
			if g >= grains {
				break
			}
			off := int64(g * GrainSize)
			if err := readGrain(disk, grain, off, capacity); err != nil {
				return err
			}
			if allZero(grain) {
				continue
			}
			comp.Reset()
			zw.Reset(&comp)
			if _, err := zw.Write(grain); err != nil {
				return fmt.Errorf("vmdk: compress grain %d: %w", g, err)
			}
			if err := zw.Close(); err != nil {
				return fmt.Errorf("vmdk: compress grain %d: %w", g, err)
			}
			gt[i] = uint32(sw.sector)
			used = true
			// Grain marker: the grain's first sector (LBA), the compressed
			// size, then the data, padded to a sector boundary.
			var m [12]byte
			binary.LittleEndian.PutUint64(m[0:], g*grainSectors)
			binary.LittleEndian.PutUint32(m[8:], uint32(comp.Len()))
			if err := sw.write(m[:]); err != nil {
				return err
			}
			if err := sw.write(comp.Bytes()); err != nil {
				return err
			}
			if err := sw.pad(); err != nil {
				return err
			}
		}
		if !used {
			continue // an absent grain table reads as zeros
		}
		if err := sw.marker(gtesPerGT*4/sectorSize, markerGT); err != nil {
			return err
		}
		gd[t] = uint32(sw.sector)
		if err := sw.write(le32s(gt)); err != nil {
			return err
		}
	}

	gdSectors := (numGTs*4 + sectorSize - 1) / sectorSize
	if err := sw.marker(gdSectors, markerGD); err != nil {
		return err
	}
	h.GDOffset = sw.sector
	if err := sw.writePadded(le32s(gd), gdSectors); err != nil {
		return err
	}
	if err := sw.marker(1, markerFooter); err != nil {
		return err
	}
	if err := sw.write(h.sector()); err != nil {
		return err
	}
	return sw.marker(0, markerEOS)
}

// readGrain fills grain with the disk bytes at off, zeros past capacity or
// past the end of what disk holds.
func readGrain(disk io.ReaderAt, grain []byte, off, capacity int64) error {
	n := int64(len(grain))
	if off+n > capacity {
		n = capacity - off
	}
	got, err := disk.ReadAt(grain[:n], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("vmdk: read disk at byte %d: %w", off, err)
	}
	clear(grain[got:])
	return nil
}

func allZero(b []byte) bool {
	// Compare word-sized chunks through bytes.Equal against a zero block:
	// fast enough that skipping zeros costs nothing next to deflate.
	for len(b) > 0 {
		n := min(len(b), len(zeroBlock))
		if !bytes.Equal(b[:n], zeroBlock[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

var zeroBlock [4096]byte

func le32s(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// descriptor is the embedded text descriptor. Its CID is derived from the
// capacity so that the same input always gives the same bytes.
func descriptor(sectors uint64) []byte {
	const heads, secs = 255, 63
	cyl := min(sectors/(heads*secs), 65535)
	var cidb [8]byte
	binary.LittleEndian.PutUint64(cidb[:], sectors)
	cid := crc32.ChecksumIEEE(cidb[:])
	return fmt.Appendf(nil, `# Disk DescriptorFile
version=1
CID=%08x
parentCID=ffffffff
createType="streamOptimized"

# Extent description
RW %d SPARSE "disk.vmdk"

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
ddb.geometry.cylinders = "%d"
ddb.geometry.heads = "%d"
ddb.geometry.sectors = "%d"
ddb.virtualHWVersion = "4"
`, cid, sectors, cyl, heads, secs)
}

// sectorWriter writes to w and counts the sectors written, so that grain
// tables can record where each grain went.
type sectorWriter struct {
	w      io.Writer
	sector uint64 // sectors written so far
	rem    int    // bytes written past the last sector boundary
}

func (s *sectorWriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := s.w.Write(b)
	total := s.rem + n
	s.sector += uint64(total / sectorSize)
	s.rem = total % sectorSize
	if err != nil {
		return fmt.Errorf("vmdk: write: %w", err)
	}
	if n != len(b) {
		return fmt.Errorf("vmdk: write: %w", io.ErrShortWrite)
	}
	return nil
}

// pad writes zeros up to the next sector boundary.
func (s *sectorWriter) pad() error {
	if s.rem == 0 {
		return nil
	}
	return s.write(make([]byte, sectorSize-s.rem))
}

// writePadded writes b and zeros up to n sectors.
func (s *sectorWriter) writePadded(b []byte, n uint64) error {
	if err := s.write(b); err != nil {
		return err
	}
	return s.write(make([]byte, int(n)*sectorSize-len(b)))
}

// marker writes a metadata marker: the sectors of metadata that follow, a
// zero size (what tells it from a grain marker) and the type.
func (s *sectorWriter) marker(numSectors uint64, typ uint32) error {
	var m [sectorSize]byte
	binary.LittleEndian.PutUint64(m[0:], numSectors)
	binary.LittleEndian.PutUint32(m[12:], typ)
	return s.write(m[:])
}
