package module

import (
	"errors"
	"fmt"
	"io"
	"regexp"

	"golang.org/x/net/html"
)

// Info is what Read finds in a module document.
type Info struct {
	Fingerprint string // the module fingerprint, "sha256:<hex>"
	Lang        string
	Clauses     []ClauseRef // ID, Version, Lang and Fingerprint; in document order
}

// ErrNotModule reports a document without the module markers.
var ErrNotModule = errors.New("not an exitkit module: no exitkit:module-fingerprint meta element")

var fingerprintRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Read reads the machine-readable markers of a module document (see the
// package documentation). It checks their form, not the fingerprints: a
// fingerprint is checked against the clause library or the document's
// canonical text, which Read does not have.
func Read(r io.Reader) (*Info, error) {
	z := html.NewTokenizer(r)
	info := &Info{}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, fmt.Errorf("read module: %w", err)
			}
			if info.Fingerprint == "" {
				return nil, ErrNotModule
			}
			return info, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			attr := map[string]string{}
			for _, a := range t.Attr {
				attr[a.Key] = a.Val
			}
			switch {
			case t.Data == "meta" && attr["name"] == "exitkit:module-fingerprint":
				if !fingerprintRE.MatchString(attr["content"]) {
					return nil, fmt.Errorf("read module: malformed module fingerprint %q", attr["content"])
				}
				info.Fingerprint = attr["content"]
			case t.Data == "meta" && attr["name"] == "exitkit:module-lang":
				info.Lang = attr["content"]
			case t.Data == "section" && attr["data-clause-id"] != "":
				c := ClauseRef{ID: attr["data-clause-id"], Version: attr["data-clause-version"],
					Lang: attr["data-clause-lang"], Fingerprint: attr["data-fingerprint"]}
				if !fingerprintRE.MatchString(c.Fingerprint) || c.Version == "" {
					return nil, fmt.Errorf("read module: clause %s: malformed version %q or fingerprint %q", c.ID, c.Version, c.Fingerprint)
				}
				info.Clauses = append(info.Clauses, c)
			}
		}
	}
}
