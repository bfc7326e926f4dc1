package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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

// Escape makes a string from a received bundle safe to print on a
// terminal: control characters (C0, DEL, C1), the bidirectional overrides
// that reorder what a terminal shows and invalid UTF-8 are written as Go
// escapes (\n, \x1b, \u202e), so that a file name cannot move the cursor,
// recolour a line or forge a "result: OK". Everything else is printed as
// it is (a backslash too, so that a message already quoted with %q is not
// escaped twice). The one escaper for anything printed from outside input.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape keeping line breaks, for multi-line messages
// (errors, progress) that quote a bundle.
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, keepLF bool) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) && !(keepLF && r == '\n') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepLF:
			b.WriteByte('\n')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// HasControl says whether s holds a character Escape would escape: a
// name restore refuses to write.
func HasControl(s string) bool {
	for _, r := range s {
		if needsEscape(r) {
			return true
		}
	}
	return false
}

func needsEscape(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// EscapingWriter escapes what is written through it with EscapeLines: for
// progress lines that quote a bundle. Each Write is escaped on its own, so
// a write must not split a UTF-8 sequence (Fprintf never does).
type EscapingWriter struct{ W io.Writer }

func (e EscapingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(e.W, EscapeLines(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
