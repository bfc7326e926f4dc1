// Package terms reads and checks exitsite contract modules, so that
// exitbundle can record and check exactly which clause versions govern a
// hand-over without linking the clause engine or the site publisher.
//
// exitbundle create calls Check on its --terms file before it exports
// anything: the file must be an exitsite module, its signature (FILE.sig,
// when present) must verify with the bundle's signing key, its customer
// and provider must be the bundle's, and every fingerprint it states must
// recompute from the texts it carries. Read only reads the markers, for
// code that has already checked the file.
//
// # Markers
//
// Package site/module writes them:
//
//	<meta name="exitkit:module-fingerprint" content="sha256:...">
//	<meta name="exitkit:module-lang" content="en">
//	<meta name="exitkit:module-signer" content="SHA256:...">        (when signed)
//	<meta name="exitkit:bundle-signing-key" content="SHA256:...">   (when the module names it)
//	<section class="clause" data-clause-id="EM-4" data-clause-version="1.1.0"
//	  data-clause-lang="en" data-fingerprint="sha256:...">
//	  ... <pre class="canonical-text" hidden>the clause's canonical text</pre>
//	</section>
//	<pre id="module-canonical">the module's canonical text</pre>
//
// # Signatures
//
// Sign makes the SSHSIG signature that 'exitsite module --sign-key' writes
// beside each output file, in namespace "exitkit-module" (SHA-512), so it
// verifies with stock OpenSSH:
//
//	ssh-keygen -Y verify -f allowed_signers -I provider -n exitkit-module -s FILE.sig < FILE
package terms

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// Marker names, shared with the writer.
const (
	MetaFingerprint = "exitkit:module-fingerprint"
	MetaLang        = "exitkit:module-lang"
	MetaSigner      = "exitkit:module-signer"
	MetaBundleKey   = "exitkit:bundle-signing-key"
)

// Module is what Read finds in a module document.
type Module struct {
	Fingerprint string // the module fingerprint, "sha256:<hex>"
	Lang        string
	Clauses     []Clause // in document order
	// Signer is the fingerprint ("SHA256:...") of the key the module says
	// it is signed with; "" for an unsigned module.
	Signer string
	// BundleKey is the fingerprint of the key the module says exit bundles
	// are signed with; "" when it names none.
	BundleKey string
	// Canonical is the module's canonical text as printed, the text
	// Fingerprint is the SHA-256 of; Provider, Customer and Effective are
	// read from it.
	Canonical                     string
	Provider, Customer, Effective string
}

// Clause cites one clause version in a module.
type Clause struct {
	ID, Version, Lang, Fingerprint string
	// Text is the clause's canonical text as the module carries it, the
	// text Fingerprint is the SHA-256 of; "" in modules written before
	// modules carried it.
	Text string `json:"-"`
}

// ErrNotModule reports a document without the module markers.
var ErrNotModule = errors.New(`not an exitsite contract module: no <meta name="exitkit:module-fingerprint">; pass the HTML that 'exitsite module' wrote for this customer`)

var (
	fingerprintRE    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	keyFingerprintRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)
)

// maxText bounds one canonical text: a clause is a few kilobytes.
const maxText = 1 << 20

// Read reads the markers of a module document. It checks their form, not
// the fingerprints: Check recomputes those.
func Read(r io.Reader) (*Module, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(4 << 20) // a real token is far smaller
	m := &Module{}
	var text *strings.Builder // the <pre> being read, if any
	var into *string
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
			if m.Canonical != "" {
				parseCanonical(m)
			}
			return m, nil
		case html.TextToken:
			if text != nil {
				text.Write(z.Text())
				if text.Len() > maxText {
					return nil, fmt.Errorf("read module: a canonical text is longer than %d bytes", maxText)
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "pre" && text != nil {
				*into = text.String()
				text, into = nil, nil
			}
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
			case t.Data == "meta" && (attr["name"] == MetaSigner || attr["name"] == MetaBundleKey):
				if !keyFingerprintRE.MatchString(attr["content"]) {
					return nil, fmt.Errorf("read module: malformed key fingerprint %q in %s; want SHA256:<43 base64 characters>", attr["content"], attr["name"])
				}
				if attr["name"] == MetaSigner {
					m.Signer = attr["content"]
				} else {
					m.BundleKey = attr["content"]
				}
			case t.Data == "section" && attr["data-clause-id"] != "":
				c := Clause{ID: attr["data-clause-id"], Version: attr["data-clause-version"],
					Lang: attr["data-clause-lang"], Fingerprint: attr["data-fingerprint"]}
				if !fingerprintRE.MatchString(c.Fingerprint) || c.Version == "" {
					return nil, fmt.Errorf("read module: clause %s: malformed version %q or fingerprint %q", c.ID, c.Version, c.Fingerprint)
				}
				m.Clauses = append(m.Clauses, c)
			case t.Data == "pre" && attr["id"] == "module-canonical" && t.Type == html.StartTagToken:
				text, into = &strings.Builder{}, &m.Canonical
			case t.Data == "pre" && attr["class"] == "canonical-text" && len(m.Clauses) > 0 && t.Type == html.StartTagToken:
				text, into = &strings.Builder{}, &m.Clauses[len(m.Clauses)-1].Text
			}
		}
	}
}

// parseCanonical fills the parties and date from the canonical text.
func parseCanonical(m *Module) {
	for line := range strings.SplitSeq(m.Canonical, "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "provider":
			m.Provider = v
		case "customer":
			m.Customer = v
		case "effective":
			m.Effective = v
		}
	}
}

// Recompute checks every fingerprint m states against the texts it
// carries: the module fingerprint against its canonical text, the
// canonical text against the markers, and each clause's fingerprint against
// its canonical text. It returns every difference it finds.
func (m *Module) Recompute() []string {
	var problems []string
	if m.Canonical == "" {
		return []string{"the module prints no canonical text (<pre id=\"module-canonical\">), so its fingerprint cannot be recomputed; issue it again with 'exitsite module'"}
	}
	if got := sha256Hex(m.Canonical); got != m.Fingerprint {
		problems = append(problems, fmt.Sprintf("the module fingerprint is %s but its canonical text hashes to %s: the text was changed after the module was issued", m.Fingerprint, got))
	}
	lines := strings.Split(strings.TrimSuffix(m.Canonical, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "exitkit-module/1" {
		problems = append(problems, "the canonical text does not start with exitkit-module/1")
	}
	var cited []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "clause: "); ok {
			cited = append(cited, rest)
		}
		if lang, ok := strings.CutPrefix(l, "lang: "); ok && m.Lang != "" && lang != m.Lang {
			problems = append(problems, fmt.Sprintf("the canonical text says lang %s, the document %s", lang, m.Lang))
		}
	}
	var marked []string
	for _, c := range m.Clauses {
		marked = append(marked, c.ID+" "+c.Version+" "+c.Fingerprint)
	}
	if strings.Join(cited, "\n") != strings.Join(marked, "\n") {
		problems = append(problems, fmt.Sprintf("the canonical text cites the clauses\n  %s\nbut the document holds\n  %s", strings.Join(cited, "\n  "), strings.Join(marked, "\n  ")))
	}
	for _, c := range m.Clauses {
		switch got := sha256Hex(c.Text); {
		case c.Text == "":
			problems = append(problems, fmt.Sprintf("clause %s carries no canonical text, so its fingerprint cannot be recomputed; issue the module again with 'exitsite module'", c.ID))
		case got != c.Fingerprint:
			problems = append(problems, fmt.Sprintf("clause %s %s: fingerprint %s, but its text hashes to %s", c.ID, c.Version, c.Fingerprint, got))
		}
	}
	return problems
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
