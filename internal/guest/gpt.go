package guest

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

const (
	gptEntries    = 128
	gptEntrySize  = 128
	gptEntrySects = gptEntries * gptEntrySize / sectorSize // 32
	gptHeaderSize = 92
)

// espType is the EFI system partition type GUID C12A7328-F81F-11D2-BA4B-
// 00A0C93EC93B, in GPT's byte order (the first three fields little endian).
var espType = [16]byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}

// gpt holds the primary (header at LBA 1, entries from LBA 2) and backup
// (entries, then the header in the last LBA) tables, ready to write.
type gpt struct {
	primary []byte // LBA 1..33
	backup  []byte // LBA last-32..last
}

// gptLayout writes a GUID partition table for a disk of sectors sectors
// with one EFI system partition from first to last (LBAs, inclusive). The
// disk and partition GUIDs derive from name, so the same demo disk comes
// out byte for byte the same.
func gptLayout(name string, sectors, first, last int64) gpt {
	entries := make([]byte, gptEntries*gptEntrySize)
	e := entries[:gptEntrySize]
	copy(e[0:], espType[:])
	copy(e[16:], guid("partition "+name))
	le := binary.LittleEndian
	le.PutUint64(e[32:], uint64(first))
	le.PutUint64(e[40:], uint64(last))
	for i, u := range utf16.Encode([]rune("EFI system partition")) {
		le.PutUint16(e[56+2*i:], u)
	}
	entriesCRC := crc32.ChecksumIEEE(entries)
	lastLBA := sectors - 1
	header := func(my, alternate, entriesLBA int64) []byte {
		h := make([]byte, sectorSize)
		copy(h, "EFI PART")
		le.PutUint32(h[8:], 0x00010000) // revision 1.0
		le.PutUint32(h[12:], gptHeaderSize)
		le.PutUint64(h[24:], uint64(my))
		le.PutUint64(h[32:], uint64(alternate))
		le.PutUint64(h[40:], 2+gptEntrySects)                 // first usable LBA
		le.PutUint64(h[48:], uint64(lastLBA-1-gptEntrySects)) // last usable LBA
		copy(h[56:], guid("disk "+name))
		le.PutUint64(h[72:], uint64(entriesLBA))
		le.PutUint32(h[80:], gptEntries)
		le.PutUint32(h[84:], gptEntrySize)
		le.PutUint32(h[88:], entriesCRC)
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:gptHeaderSize])) // over the header with this field zero
		return h
	}
	var g gpt
	g.primary = append(header(1, lastLBA, 2), entries...)
	g.backup = append(append([]byte{}, entries...), header(lastLBA, 1, lastLBA-gptEntrySects)...)
	return g
}

// protectiveEntry is the one MBR partition entry of a GPT disk: type 0xEE
// over the whole disk (capped at 2^32-1 sectors), so MBR-only tools leave
// it alone.
func protectiveEntry(sectors int64) []byte {
	e := make([]byte, 16)
	e[0] = 0x00                   // not active
	copy(e[1:4], []byte{0, 2, 0}) // CHS of LBA 1
	e[4] = 0xee                   // GPT protective
	copy(e[5:8], []byte{0xff, 0xff, 0xff})
	binary.LittleEndian.PutUint32(e[8:], 1)
	n := min(sectors-1, 0xffffffff)
	binary.LittleEndian.PutUint32(e[12:], uint32(n))
	return e
}

// guid derives a version 4 style GUID from s.
func guid(s string) []byte {
	h := sha256.Sum256([]byte("exitkit guest " + s))
	g := h[:16]
	g[7] = g[7]&0x0f | 0x40 // version 4 (the third field is little endian: its high byte is g[7])
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}
