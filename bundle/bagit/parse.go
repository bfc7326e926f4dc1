package bagit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// Parsers for the text files of a bag that verify and open read from a
// bundle nobody vouches for yet. Each is bounded by its input, returns
// errors that name the line, and never panics (see the fuzz tests).

// ManifestLine is one line of a BagIt manifest: checksum and bag path.
type ManifestLine struct {
	Path   string
	SHA256 string // lower-case hex, for a sha256 manifest (what exitkit writes)
	Sum    string // lower-case hex, whatever the algorithm
	Line   int
}

// Algorithms are the checksum algorithms RFC 8493 section 2.4 names,
// each with the length of its hex digest.
var Algorithms = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// ManifestName says whether name is a payload manifest (manifest-ALG.txt)
// or a tag manifest (tagmanifest-ALG.txt), and its algorithm.
func ManifestName(name string) (alg string, tag, ok bool) {
	base, found := strings.CutSuffix(name, ".txt")
	if !found || strings.Contains(name, "/") {
		return "", false, false
	}
	if a, found := strings.CutPrefix(base, "tagmanifest-"); found {
		return a, true, a != ""
	}
	if a, found := strings.CutPrefix(base, "manifest-"); found {
		return a, false, a != ""
	}
	return "", false, false
}

// ParseManifest reads a manifest-sha256.txt or tagmanifest-sha256.txt
// (ParseManifestAlg for the other algorithms).
func ParseManifest(data []byte) ([]ManifestLine, error) {
	return ParseManifestAlg(data, "sha256")
}

// ParseManifestAlg reads a manifest of algorithm alg (RFC 8493 section
// 2.1.3): "checksum<one or more spaces or tabs>path" per line, the path
// relative to the bag (spaces allowed in it; a leading "./" is the same
// path), with only CR, LF and % percent-encoded. It rejects duplicate
// paths and paths that leave the bag.
func ParseManifestAlg(data []byte, alg string) ([]ManifestLine, error) {
	want, known := Algorithms[alg]
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	var out []ManifestLine
	seen := map[string]int{}
	for i, line := range Lines(data) {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			continue
		}
		cut := strings.IndexAny(line, " \t")
		if cut < 0 {
			return nil, fmt.Errorf("line %d: expected \"checksum path\"", n)
		}
		sum, rest := line[:cut], line[cut:]
		// sha256sum writes "sum *path" in binary mode; BagIt readers accept it.
		p := strings.TrimLeft(rest, " \t")
		p = strings.TrimPrefix(p, "*")
		sum = strings.ToLower(sum)
		if !IsHex(sum) || (known && len(sum) != want) || sum == "" {
			return nil, fmt.Errorf("line %d: %q is not a %s checksum", n, Clip(sum), alg)
		}
		p, err := unescapeManifestPath(p)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		p = strings.TrimPrefix(p, "./")
		if err := CheckPath(p); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if prev, dup := seen[p]; dup {
			return nil, fmt.Errorf("line %d: %s is already listed on line %d", n, Escape(p), prev)
		}
		seen[p] = n
		l := ManifestLine{Path: p, Sum: sum, Line: n}
		if alg == "sha256" {
			l.SHA256 = sum
		}
		out = append(out, l)
	}
	return out, nil
}

// Lines splits on LF, dropping one CR before it, as BagIt allows
// either line ending.
func Lines(data []byte) []string {
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

func unescapeManifestPath(p string) (string, error) {
	if !strings.Contains(p, "%") {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i+3 > len(p) {
			return "", fmt.Errorf("bad percent-encoding in %q", Clip(p))
		}
		switch strings.ToUpper(p[i+1 : i+3]) {
		case "0D":
			b.WriteByte('\r')
		case "0A":
			b.WriteByte('\n')
		case "25":
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("bad percent-encoding in %q: only %%0D, %%0A and %%25 are allowed", Clip(p))
		}
		i += 2
	}
	return b.String(), nil
}

// CheckPath rejects paths that are absolute, leave the bag, or are not
// in clean form, whatever lists them.
func CheckPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("path %q is absolute or not /-separated", Clip(p))
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not a clean path inside the bag", Clip(p))
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL byte", Clip(p))
	}
	return nil
}

// IsHex says whether s is hexadecimal, as checksums are.
func IsHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// Info is bag-info.txt: labels in file order; a label may repeat.
type Info struct {
	Labels []string
	Values map[string][]string
}

func (b *Info) Get(label string) (string, bool) {
	for k, v := range b.Values {
		if strings.EqualFold(k, label) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// ParseInfo reads bag-info.txt as RFC 8493 section 2.2.2 says: UTF-8,
// "Label: value" lines, a label neither empty nor ending in whitespace; a
// line starting with a space or tab continues the previous value.
func ParseInfo(data []byte) (*Info, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, errors.New("starts with a byte-order mark, which BagIt forbids")
	}
	info := &Info{Values: map[string][]string{}}
	last := ""
	for i, line := range Lines(data) {
		n := i + 1
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, fmt.Errorf("line %d: continuation line without a label before it", n)
			}
			v := info.Values[last]
			v[len(v)-1] += " " + strings.TrimSpace(line)
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		switch {
		case !ok || label == "":
			return nil, fmt.Errorf("line %d: expected \"Label: value\"", n)
		case strings.TrimRight(label, " \t") != label:
			return nil, fmt.Errorf("line %d: label %q ends in whitespace, which RFC 8493 forbids", n, Clip(label))
		}
		if _, ok := info.Values[label]; !ok {
			info.Labels = append(info.Labels, label)
		}
		info.Values[label] = append(info.Values[label], strings.TrimSpace(value))
		last = label
	}
	return info, nil
}

// ParsePayloadOxum reads a Payload-Oxum value, "octets.filecount".
func ParsePayloadOxum(s string) (octets, count int64, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not octets.filecount", Clip(s))
	}
	if _, err := fmt.Sscan(a, &octets); err != nil || octets < 0 || !digitsOnly(a) {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not octets.filecount", Clip(s))
	}
	if _, err := fmt.Sscan(b, &count); err != nil || count < 0 || !digitsOnly(b) {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not octets.filecount", Clip(s))
	}
	return octets, count, nil
}

func digitsOnly(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CheckBagItTxt checks bagit.txt as RFC 8493 section 2.1.1 says: exactly
// the two lines "BagIt-Version: 1.0" and "Tag-File-Character-Encoding:
// UTF-8", in that order, each ending in LF or CR LF; nothing else.
func CheckBagItTxt(data []byte) error {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return errors.New("starts with a byte-order mark, which BagIt forbids")
	}
	want := []string{"BagIt-Version: 1.0", "Tag-File-Character-Encoding: UTF-8"}
	lines := Lines(data)
	for i, w := range want {
		if i >= len(lines) {
			return fmt.Errorf("line %d: missing; bagit.txt holds exactly %q and %q", i+1, want[0], want[1])
		}
		if lines[i] != w {
			return fmt.Errorf("line %d is %q, want exactly %q", i+1, Clip(lines[i]), w)
		}
	}
	if len(lines) > len(want) {
		return fmt.Errorf("line %d: %q after the two lines bagit.txt holds", len(want)+1, Clip(lines[len(want)]))
	}
	return nil
}

// Clip keeps a value from a bundle short in a message (80 runes).
func Clip(s string) string { return manifest.Clip(s, 80) }

// Escape escapes control characters of a value from a bag for printing
// (manifest.Escape).
func Escape(s string) string { return manifest.Escape(s) }
