package ovf

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/exitkit/exitkit/bundle/bagit"
)

// ParseMF reads an OVF manifest: "SHA256(file)= hex" per line. Other
// algorithms (SHA1) are returned too, so verify can say they are not
// checked rather than calling the line broken.
func ParseMF(data []byte) (map[string]MFLine, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	out := map[string]MFLine{}
	for i, line := range bagit.Lines(data) {
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
		if name == "" || !bagit.IsHex(sum) || sum == "" {
			return nil, fmt.Errorf("line %d: expected \"SHA256(file)= hex\"", n)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", n, bagit.Clip(name))
		}
		out[name] = MFLine{Alg: strings.ToUpper(alg), Sum: sum, Line: n}
	}
	return out, nil
}

type MFLine struct {
	Alg  string // "SHA256", "SHA1", ...
	Sum  string
	Line int
}
