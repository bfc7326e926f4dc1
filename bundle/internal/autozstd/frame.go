package autozstd

import (
	"bytes"
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// Stored frames are written here by hand, per RFC 8878 section 3.1.1: a
// frame header with Single_Segment_flag set and the exact content size,
// then Raw_Blocks of at most 128 KiB (RLE_Blocks where a block is one byte
// repeated, as in a zeroed disk region), then the content checksum (the
// low 32 bits of XXH64 of the content). Any zstd decoder restores them;
// writing them costs a checksum, not a compression.

const (
	magic        = 0xFD2FB528
	maxBlockSize = 128 << 10 // Block_Maximum_Size

	blockRaw = 0
	blockRLE = 1

	maxHeaderSize = 4 + 1 + 8 // magic, descriptor, 8-byte content size
	blockHdrSize  = 3
	checksumSize  = 4
)

// appendFrameHeader appends the header of a single-segment frame of size
// content bytes. Single-segment frames carry no window descriptor: the
// decoder needs a window of exactly the content size.
func appendFrameHeader(dst []byte, size int64, checksum bool) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, magic)
	var fhd byte = 1 << 5 // Single_Segment_flag
	if checksum {
		fhd |= 1 << 2 // Content_Checksum_flag
	}
	switch {
	case size < 256:
		// FCS_Field_Size 0: one byte, with Single_Segment_flag.
		return append(dst, fhd, byte(size))
	case size < 256+1<<16:
		return binary.LittleEndian.AppendUint16(append(dst, fhd|1<<6), uint16(size-256))
	case size < 1<<32:
		return binary.LittleEndian.AppendUint32(append(dst, fhd|2<<6), uint32(size))
	default:
		return binary.LittleEndian.AppendUint64(append(dst, fhd|3<<6), uint64(size))
	}
}

// putBlockHeader writes a 3-byte block header.
func putBlockHeader(dst []byte, last bool, typ, size int) {
	v := uint32(size)<<3 | uint32(typ)<<1
	if last {
		v |= 1
	}
	dst[0], dst[1], dst[2] = byte(v), byte(v>>8), byte(v>>16)
}

// appendChecksum appends the Content_Checksum of a frame.
func appendChecksum(dst []byte, d *xxhash.Digest) []byte {
	return binary.LittleEndian.AppendUint32(dst, uint32(d.Sum64()))
}

// emptyFrame is the whole output for an empty input: a stored frame of no
// content, so that an empty file still decodes (zstd -d rejects a
// zero-byte file).
func emptyFrame(checksum bool) []byte {
	b := appendFrameHeader(nil, 0, checksum)
	b = append(b, 0, 0, 0)
	putBlockHeader(b[len(b)-3:], true, blockRaw, 0)
	if checksum {
		b = appendChecksum(b, xxhash.New())
	}
	return b
}

// zeros is what a zeroed block is compared with; never written.
var zeros [4096]byte

// uniform reports whether b is one byte value repeated (b not empty).
// Random data fails on the first word, so the check is free where it does
// not pay.
func uniform(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	c := b[0]
	if c == 0 {
		// Zeros, the common case, compare at memequal's vector speed.
		for len(b) > len(zeros) {
			if !bytes.Equal(b[:len(zeros)], zeros[:]) {
				return false
			}
			b = b[len(zeros):]
		}
		return bytes.Equal(b, zeros[:len(b)])
	}
	w := uint64(c) * 0x0101010101010101
	i := 0
	for ; i+32 <= len(b); i += 32 {
		// Parenthesized: in Go, ^ and | bind alike, left to right.
		if (binary.LittleEndian.Uint64(b[i:])^w)|
			(binary.LittleEndian.Uint64(b[i+8:])^w)|
			(binary.LittleEndian.Uint64(b[i+16:])^w)|
			(binary.LittleEndian.Uint64(b[i+24:])^w) != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != c {
			return false
		}
	}
	return true
}
