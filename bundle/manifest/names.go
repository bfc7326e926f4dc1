package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxNameLen keeps sanitized names well under every file system's limit
// (255 bytes) with room for the .zst.age and .partial suffixes.
const maxNameLen = 200

// SanitizeName maps s to a file or folder name of [A-Za-z0-9._-] only, the
// set every BagIt tool, every shell and every file system handles the same
// way. The mapping is deterministic: the same input always gives the same
// name, so a resumed create finds the files it wrote before. Other
// characters become '_'; names that would be empty, hidden or "." / ".."
// get a prefix; over-long names are cut and given a hash suffix so that two
// long names differing only at the end stay distinct.
func SanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" || strings.Trim(name, ".") == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") {
		name = "x" + name
	}
	if len(name) > maxNameLen {
		sum := sha256.Sum256([]byte(s))
		name = name[:maxNameLen-13] + "-" + hex.EncodeToString(sum[:6])
	}
	return name
}

// UniqueName returns name, or name with "-2", "-3"... inserted before its
// extension, whichever is not yet in taken; and records it.
func UniqueName(name string, taken map[string]bool) string {
	key := strings.ToLower(name) // case-insensitive file systems (macOS, Windows, exFAT drives)
	if !taken[key] {
		taken[key] = true
		return name
	}
	base, ext := name, ""
	if i := strings.IndexByte(name[1:], '.'); i >= 0 {
		base, ext = name[:i+1], name[i+1:]
	}
	for n := 2; ; n++ {
		cand := base + "-" + itoa(n) + ext
		if !taken[strings.ToLower(cand)] {
			taken[strings.ToLower(cand)] = true
			return cand
		}
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// HumanBytes writes n in binary units, as Bag-Size and people expect.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Clip cuts s to at most n runes, ending in "…" when cut, never inside a
// UTF-8 sequence: the one clipper for values shown to people.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
