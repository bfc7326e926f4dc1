package bundle

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
)

// Parsers for the text files of a bag that verify and open read from a
// bundle nobody vouches for yet. Each is bounded by its input, returns
// errors that name the line, and never panics (see the fuzz tests).

// manifestLine is one line of a BagIt manifest: checksum and bag path.
type manifestLine struct {
	Path   string
	SHA256 string // lower-case hex
	Line   int
}

// parseManifestFile reads a manifest-sha256.txt or tagmanifest-sha256.txt:
// "checksum<whitespace>path" per line, paths with / separators and only
// CR, LF and % percent-encoded (RFC 8493 section 2.1.3). It rejects
// duplicate paths and paths that leave the bag.
func parseManifestFile(data []byte) ([]manifestLine, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	var out []manifestLine
	seen := map[string]int{}
	for i, line := range bagLines(data) {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, rest, ok := strings.Cut(line, " ")
		if !ok {
			sum, rest, ok = strings.Cut(line, "\t")
		}
		if !ok {
			return nil, fmt.Errorf("line %d: expected \"checksum path\"", n)
		}
		// sha256sum writes "sum *path" in binary mode; BagIt readers accept it.
		p := strings.TrimLeft(rest, " \t")
		p = strings.TrimPrefix(p, "*")
		sum = strings.ToLower(sum)
		if len(sum) != 64 || !isHexText(sum) {
			return nil, fmt.Errorf("line %d: %q is not a SHA-256 checksum", n, clipText(sum))
		}
		p, err := unescapeManifestPath(p)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if err := checkSafeBagPath(p); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if prev, dup := seen[p]; dup {
			return nil, fmt.Errorf("line %d: %s is already listed on line %d", n, p, prev)
		}
		seen[p] = n
		out = append(out, manifestLine{Path: p, SHA256: sum, Line: n})
	}
	return out, nil
}

// bagLines splits on LF, dropping one CR before it, as BagIt allows
// either line ending.
func bagLines(data []byte) []string {
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
			return "", fmt.Errorf("bad percent-encoding in %q", clipText(p))
		}
		switch strings.ToUpper(p[i+1 : i+3]) {
		case "0D":
			b.WriteByte('\r')
		case "0A":
			b.WriteByte('\n')
		case "25":
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("bad percent-encoding in %q: only %%0D, %%0A and %%25 are allowed", clipText(p))
		}
		i += 2
	}
	return b.String(), nil
}

// checkSafeBagPath rejects paths that are absolute, leave the bag, or are not
// in clean form, whatever lists them.
func checkSafeBagPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("path %q is absolute or not /-separated", clipText(p))
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not a clean path inside the bag", clipText(p))
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL byte", clipText(p))
	}
	return nil
}

func isHexText(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// bagInfoFile is bag-info.txt: labels in file order; a label may repeat.
type bagInfoFile struct {
	Labels []string
	Values map[string][]string
}

func (b *bagInfoFile) get(label string) (string, bool) {
	for k, v := range b.Values {
		if strings.EqualFold(k, label) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// parseBagInfoFile reads "Label: value" lines; a line starting with
// whitespace continues the previous value (RFC 8493 section 2.2.2).
func parseBagInfoFile(data []byte) (*bagInfoFile, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, errors.New("starts with a byte-order mark, which BagIt forbids")
	}
	info := &bagInfoFile{Values: map[string][]string{}}
	last := ""
	for i, line := range bagLines(data) {
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
		if !ok || strings.TrimSpace(label) == "" {
			return nil, fmt.Errorf("line %d: expected \"Label: value\"", n)
		}
		label = strings.TrimSpace(label)
		if _, ok := info.Values[label]; !ok {
			info.Labels = append(info.Labels, label)
		}
		info.Values[label] = append(info.Values[label], strings.TrimSpace(value))
		last = label
	}
	return info, nil
}

// parsePayloadOxum reads a Payload-Oxum value, "octets.filecount".
func parsePayloadOxum(s string) (octets, count int64, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not octets.filecount", clipText(s))
	}
	if _, err := fmt.Sscan(a, &octets); err != nil || octets < 0 || !digitsOnly(a) {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not octets.filecount", clipText(s))
	}
	if _, err := fmt.Sscan(b, &count); err != nil || count < 0 || !digitsOnly(b) {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not octets.filecount", clipText(s))
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

// checkBagItFile checks bagit.txt's two required lines.
func checkBagItFile(data []byte) error {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return errors.New("starts with a byte-order mark, which BagIt forbids")
	}
	info, err := parseBagInfoFile(data)
	if err != nil {
		return err
	}
	if v, _ := info.get("BagIt-Version"); v != "1.0" && v != "0.97" {
		return fmt.Errorf("BagIt-Version is %q, want 1.0", clipText(v))
	}
	if v, _ := info.get("Tag-File-Character-Encoding"); !strings.EqualFold(v, "UTF-8") {
		return fmt.Errorf("Tag-File-Character-Encoding is %q, want UTF-8", clipText(v))
	}
	return nil
}

// parseMFFile reads an OVF manifest: "SHA256(file)= hex" per line. Other
// algorithms (SHA1) are returned too, so verify can say they are not
// checked rather than calling the line broken.
func parseMFFile(data []byte) (map[string]mfLine, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	out := map[string]mfLine{}
	for i, line := range bagLines(data) {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			continue
		}
		open := strings.IndexByte(line, '(')
		closeEq := strings.LastIndex(line, ")=")
		if open <= 0 || closeEq < open {
			return nil, fmt.Errorf("line %d: expected \"SHA256(file)= hex\"", n)
		}
		alg := strings.TrimSpace(line[:open])
		name := line[open+1 : closeEq]
		sum := strings.ToLower(strings.TrimSpace(line[closeEq+2:]))
		if name == "" || !isHexText(sum) || sum == "" {
			return nil, fmt.Errorf("line %d: expected \"SHA256(file)= hex\"", n)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", n, clipText(name))
		}
		out[name] = mfLine{Alg: strings.ToUpper(alg), Sum: sum, Line: n}
	}
	return out, nil
}

type mfLine struct {
	Alg  string // "SHA256", "SHA1", ...
	Sum  string
	Line int
}

// allowedSigner is one line of an ssh-keygen allowed_signers file.
type allowedSigner struct {
	Principals  string // comma-separated patterns
	Namespaces  string // empty: any
	CertAuth    bool
	ValidAfter  time.Time
	ValidBefore time.Time
	Key         ssh.PublicKey
	Line        int
}

// parseAllowedSigners reads the allowed_signers format of ssh-keygen(1):
// "principals [options] keytype base64 [comment]", with the options
// cert-authority, namespaces="..", valid-after="..", valid-before="..".
func parseAllowedSigners(data []byte) ([]allowedSigner, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	var out []allowedSigner
	for i, line := range bagLines(data) {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, err := cutPrincipals(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		s := allowedSigner{Principals: principals, Key: key, Line: n}
		for _, o := range options {
			name, value, hasValue := strings.Cut(o, "=")
			value = strings.Trim(value, `"`)
			switch strings.ToLower(name) {
			case "cert-authority":
				s.CertAuth = true
			case "namespaces":
				s.Namespaces = value
			case "valid-after", "valid-before":
				t, err := parseSSHTime(value)
				if err != nil || !hasValue {
					return nil, fmt.Errorf("line %d: %s: %v", n, name, err)
				}
				if strings.EqualFold(name, "valid-after") {
					s.ValidAfter = t
				} else {
					s.ValidBefore = t
				}
			default:
				return nil, fmt.Errorf("line %d: unknown option %q", n, clipText(name))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// cutPrincipals splits off the first field, which may be double-quoted.
func cutPrincipals(line string) (string, string, error) {
	if strings.HasPrefix(line, `"`) {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return "", "", errors.New("unterminated quoted principals")
		}
		return line[1 : end+1], strings.TrimSpace(line[end+2:]), nil
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return "", "", errors.New("expected \"principals [options] keytype key\"")
	}
	return line[:i], strings.TrimSpace(line[i:]), nil
}

// parseSSHTime reads YYYYMMDD[HHMM[SS]][Z], as ssh-keygen does.
func parseSSHTime(s string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		s = s[:len(s)-1]
		loc = time.UTC
	}
	for _, layout := range []string{"20060102150405", "200601021504", "20060102"} {
		if len(s) == len(layout) {
			return time.ParseInLocation(layout, s, loc)
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not YYYYMMDD[HHMM[SS]][Z]", clipText(s))
}

// allows reports whether the line permits key to sign for principal in
// namespace at time now.
func (s allowedSigner) allows(principal, namespace string, key ssh.PublicKey, now time.Time) bool {
	if s.CertAuth || !bytes.Equal(s.Key.Marshal(), key.Marshal()) {
		return false
	}
	if !matchPatternList(principal, s.Principals) {
		return false
	}
	if s.Namespaces != "" && !matchPatternList(namespace, s.Namespaces) {
		return false
	}
	if !s.ValidAfter.IsZero() && now.Before(s.ValidAfter) {
		return false
	}
	if !s.ValidBefore.IsZero() && !now.Before(s.ValidBefore) {
		return false
	}
	return true
}

// matchPatternList is OpenSSH's match_pattern_list: comma-separated
// patterns with * and ?, a leading ! negates and wins.
func matchPatternList(s, list string) bool {
	matched := false
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if sshWildcard(p, s) {
			if neg {
				return false
			}
			matched = true
		}
	}
	return matched
}

// sshWildcard matches s against p with * (any run) and ? (any one byte),
// iteratively so that hostile patterns cannot blow up.
func sshWildcard(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func clipText(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
