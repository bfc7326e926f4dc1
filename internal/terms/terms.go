// Package terms reads the machine-readable markers that an exitsite
// contract module carries, so that exitbundle can record exactly which
// clause versions govern a hand-over without linking the clause engine:
//
//	<meta name="exitkit:module-fingerprint" content="sha256:...">
//	<meta name="exitkit:module-lang" content="en">
//	<section class="clause" data-clause-id="EM-4" data-clause-version="1.1.0"
//	  data-clause-lang="en" data-fingerprint="sha256:...">
//
// Package site/module writes them; Read is the one reader.
package terms

import (
	"errors"
	"fmt"
	"io"
	"regexp"

	"golang.org/x/net/html"
)

// Marker names, shared with the writer.
const (
	MetaFingerprint = "exitkit:module-fingerprint"
	MetaLang        = "exitkit:module-lang"
)

// Module is what Read finds in a module document.
type Module struct {
	Fingerprint string // the module fingerprint, "sha256:<hex>"
	Lang        string
	Clauses     []Clause // in document order
}

// Clause cites one clause version in a module.
type Clause struct {
	ID, Version, Lang, Fingerprint string
}

// ErrNotModule reports a document without the module markers.
var ErrNotModule = errors.New(`not an exitsite contract module: no <meta name="exitkit:module-fingerprint">; pass the HTML that 'exitsite module' wrote for this customer`)

var fingerprintRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Read reads the markers of a module document. It checks their form, not
// the fingerprints: those are checked against the clause library or the
// document's canonical text, which Read does not have.
func Read(r io.Reader) (*Module, error) {
	z := html.NewTokenizer(r)
	m := &Module{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, fmt.Errorf("read module: %w", err)
			}
			if m.Fingerprint == "" {
				return nil, ErrNotModule
			}
			if len(m.Clauses) == 0 {
				return nil, errors.New("read module: no clause sections (data-clause-id); the module cites no clause")
			}
			return m, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			attr := map[string]string{}
			for _, a := range t.Attr {
				attr[a.Key] = a.Val
			}
			switch {
			case t.Data == "meta" && attr["name"] == MetaFingerprint:
				if !fingerprintRE.MatchString(attr["content"]) {
					return nil, fmt.Errorf("read module: malformed module fingerprint %q; want sha256:<64 hex digits>", attr["content"])
				}
				m.Fingerprint = attr["content"]
			case t.Data == "meta" && attr["name"] == MetaLang:
				m.Lang = attr["content"]
			case t.Data == "section" && attr["data-clause-id"] != "":
				c := Clause{ID: attr["data-clause-id"], Version: attr["data-clause-version"],
					Lang: attr["data-clause-lang"], Fingerprint: attr["data-fingerprint"]}
				if !fingerprintRE.MatchString(c.Fingerprint) || c.Version == "" {
					return nil, fmt.Errorf("read module: clause %s: malformed version %q or fingerprint %q", c.ID, c.Version, c.Fingerprint)
				}
				m.Clauses = append(m.Clauses, c)
			}
		}
	}
}
