// Package tarsink writes a bag as one tar in one pass, for create --tar:
// NewTar writes a tar file that a killed create resumes, NewStream a tar
// stream (--tar -) that is not resumable. Both are bagit.Sinks; see Tar
// for how entries written side by side and a kill -9 are handled.
package tarsink

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// The tar types this package writes.
const (
	typeReg    = '0'
	typeDir    = '5'
	typeGlobal = 'g' // PAX global header
)

// blockSize is a tar block: headers take whole blocks, data is padded to one.
const blockSize = 512

// maxOctalSize is the largest size a USTAR header's 11 octal digits hold
// (8 GiB - 1); a larger one goes in a PAX size record.
const maxOctalSize = 1<<33 - 1

// typePending marks the header of an entry whose data is still being
// written. No tar tool knows it; only the one-pass tar's unfinished
// FILE.partial holds it, and its Commit writes the real type (and size),
// so a kill -9 leaves entries that are cut off as torn, never trusted.
const typePending = 'P'

func padded(n int64) int64 { return (n + blockSize - 1) &^ (blockSize - 1) }

// tarHeader returns the header blocks of one entry: a USTAR block, after a
// PAX extended header when the name does not fit USTAR or the size does
// not fit its octal field. fixed reserves a header whose length does not
// depend on size (a PAX size record of 20 digits, always present): for an
// entry whose size is known only after its data, whose header is written
// last in the room reserved before it. The fields are deterministic:
// mode 0644 (0755 for a folder), owner 0, mtime the bag's creation.
func tarHeader(name string, typeflag byte, size int64, mtime time.Time, fixed bool) []byte {
	var recs string
	short, prefix, ok := splitUSTAR(name)
	if !ok {
		recs += paxRecord("path", name)
		short, prefix = clip(name, 99), ""
	}
	octal := size
	if fixed || size > maxOctalSize {
		recs += paxRecord("size", fmt.Sprintf("%020d", size))
		if size > maxOctalSize {
			octal = 0
		}
	}
	var out []byte
	if recs != "" {
		xname := clip("PaxHeaders/"+path.Base(strings.TrimSuffix(name, "/")), 99)
		out = append(out, ustarBlock(xname, "", 'x', int64(len(recs)), mtime)...)
		data := make([]byte, padded(int64(len(recs))))
		copy(data, recs)
		out = append(out, data...)
	}
	return append(out, ustarBlock(short, prefix, typeflag, octal, mtime)...)
}

// splitUSTAR splits name into USTAR's name (100 bytes) and prefix (155)
// fields at a slash; ok is false when it does not fit or is not ASCII.
func splitUSTAR(name string) (short, prefix string, ok bool) {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 || name[i] < 0x20 {
			return "", "", false
		}
	}
	if len(name) <= 100 {
		return name, "", true
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '/' && i <= 155 && len(name)-i-1 <= 100 && i < len(name)-1 {
			return name[i+1:], name[:i], true
		}
	}
	return "", "", false
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// paxRecord is "len key=value\n", len counting itself.
func paxRecord(k, v string) string {
	rest := " " + k + "=" + v + "\n"
	n := len(rest) + 1
	for len(fmt.Sprint(n))+len(rest) != n {
		n = len(fmt.Sprint(n)) + len(rest)
	}
	return fmt.Sprint(n) + rest
}

func ustarBlock(name, prefix string, typeflag byte, size int64, mtime time.Time) []byte {
	b := make([]byte, blockSize)
	mode := "0000644\x00"
	if typeflag == typeDir {
		mode = "0000755\x00"
	}
	copy(b[0:100], name)
	copy(b[100:108], mode)
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], fmt.Sprintf("%011o\x00", max(mtime.Unix(), 0)))
	b[156] = typeflag
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	copy(b[345:500], prefix)
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}
