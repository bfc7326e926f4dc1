package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/net/html"
)

// maxTermsSize bounds the exit terms module read into memory; real modules
// are tens of kilobytes.
const maxTermsSize = 16 << 20

// readTerms reads an exitsite contract module and what it cites: the
// module's own fingerprint and every clause version it contains.
func readTerms(path string) ([]byte, *Terms, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read terms: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTermsSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read terms %s: %w", path, err)
	}
	if len(data) > maxTermsSize {
		return nil, nil, fmt.Errorf("read terms %s: larger than %d MiB; pass the exitsite module HTML", path, maxTermsSize>>20)
	}
	t, err := parseTerms(data)
	if err != nil {
		return nil, nil, fmt.Errorf("read terms %s: %w", path, err)
	}
	return data, t, nil
}

// parseTerms finds <meta name="exitkit:module-fingerprint" content="sha256:...">
// and each <section data-clause-id data-clause-version data-clause-lang
// data-fingerprint>.
func parseTerms(data []byte) (*Terms, error) {
	sum := sha256.Sum256(data)
	t := &Terms{File: TermsFile, SHA256: hex.EncodeToString(sum[:]), Clauses: []ClauseRef{}}
	z := html.NewTokenizer(bytes.NewReader(data))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() == io.EOF {
				break
			}
			return nil, z.Err()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		attrs := map[string]string{}
		for more := true; more; {
			var k, v []byte
			k, v, more = z.TagAttr()
			attrs[string(k)] = string(v)
		}
		switch string(name) {
		case "meta":
			if attrs["name"] == "exitkit:module-fingerprint" {
				t.Fingerprint = attrs["content"]
			}
		case "section":
			id, ok := attrs["data-clause-id"]
			if !ok {
				continue
			}
			t.Clauses = append(t.Clauses, ClauseRef{
				ID:          id,
				Version:     attrs["data-clause-version"],
				Lang:        attrs["data-clause-lang"],
				Fingerprint: attrs["data-fingerprint"],
			})
		}
	}
	if t.Fingerprint == "" {
		return nil, fmt.Errorf(`no <meta name="exitkit:module-fingerprint">: this is not an exitsite contract module; pass the module HTML that exitsite build wrote for this customer`)
	}
	if !strings.HasPrefix(t.Fingerprint, "sha256:") {
		return nil, fmt.Errorf("module fingerprint %q does not start with sha256:", t.Fingerprint)
	}
	if len(t.Clauses) == 0 {
		return nil, fmt.Errorf("no clause sections (data-clause-id) found in the module")
	}
	return t, nil
}
