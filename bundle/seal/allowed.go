package seal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/bagit"
)

// AllowedSigner is one line of an ssh-keygen allowed_signers file.
type AllowedSigner struct {
	Principals  string // comma-separated patterns
	Namespaces  string // empty: any
	CertAuth    bool
	ValidAfter  time.Time
	ValidBefore time.Time
	Key         ssh.PublicKey
	Line        int
}

// ParseAllowedSigners reads the allowed_signers format of ssh-keygen(1):
// "principals [options] keytype base64 [comment]", with the options
// cert-authority, namespaces="..", valid-after="..", valid-before="..".
func ParseAllowedSigners(data []byte) ([]AllowedSigner, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	var out []AllowedSigner
	for i, line := range bagit.Lines(data) {
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
		s := AllowedSigner{Principals: principals, Key: key, Line: n}
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
				return nil, fmt.Errorf("line %d: unknown option %q", n, bagit.Clip(name))
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
	return time.Time{}, fmt.Errorf("time %q is not YYYYMMDD[HHMM[SS]][Z]", bagit.Clip(s))
}

// allows reports whether the line permits key to sign for principal in
// namespace at time now.
func (s AllowedSigner) Allows(principal, namespace string, key ssh.PublicKey, now time.Time) bool {
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
