// Package module renders a customer's exit-management module: one
// self-contained, printable HTML document with a cover page (the parties,
// the main agreement it is a schedule to, the effective date, the
// fingerprints and signing keys), the contents, the customer's values and
// the negotiated terms (values that differ from the library's defaults,
// standard clauses left out), every selected clause in the customer view
// with its fingerprint, the regulatory coverage, signature blocks and the
// module's canonical text.
//
// Call Render with a loaded library and profile; write Module.HTML where
// the customer gets it, or hand the Module to package site/module/printer
// for a PDF or a Word copy, and sign what you write with
// internal/terms.Sign. The document links to nothing outside itself: it
// is a contract annex, not a page of the public site, and `exitbundle
// create --terms` checks it with internal/terms.Check and embeds it in a
// bundle as TERMS.html.
//
// # Markers
//
// The document carries, for machines (package internal/terms reads them):
//
//	<meta name="exitkit:module-fingerprint" content="sha256:...">
//	<meta name="exitkit:module-lang" content="en">
//	<meta name="exitkit:module-signer" content="SHA256:...">       with Options.Signer
//	<meta name="exitkit:bundle-signing-key" content="SHA256:...">  when it names one
//	<section class="clause" id="EM-4" data-clause-id="EM-4"
//	  data-clause-version="1.1.0" data-clause-lang="en" data-fingerprint="sha256:...">
//	  ...
//	  <pre class="canonical-text" hidden>the clause's canonical text</pre>
//	</section>
//	<pre id="module-canonical">the module's canonical text</pre>
//
// # Fingerprints
//
// A clause's fingerprint is the SHA-256 of its canonical rendered text with
// the customer's values (see package clause). The module's fingerprint is
// the SHA-256 of this canonical text, UTF-8, every line ending in "\n":
//
//	exitkit-module/1
//	lang: en
//	effective: 2027-02-01
//	provider: Nimbus Cloud B.V.
//	customer: Zuiderzee Bank N.V.
//	clause: EM-1 1.0.0 sha256:<hex>
//	clause: EM-2 1.0.0 sha256:<hex>
//	...
//
// with the clauses in module order and any line break inside a name
// replaced by a space. The document prints that text in full, so anyone can
// recompute the fingerprint with sha256sum.
package module

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/lint"
	"github.com/exitkit/exitkit/templates"
)

// Options adjusts a rendering.
type Options struct {
	// Lang selects the language of the clauses; "" means the profile's.
	Lang string
	// Templates holds module/module.html and module/module.css, from
	// templates.Open; nil means the embedded defaults.
	Templates fs.FS
	// Agreement names the main agreement this module is a schedule to,
	// e.g. "the Cloud Services Agreement no. 2027-014 dated 15 January
	// 2027"; "" prints blanks to fill in by hand.
	Agreement string
	// Signer is the SHA256 fingerprint of the key the module will be
	// signed with (see internal/terms.Sign); the module records it so a
	// reader knows which key to check the signature with.
	Signer string
}

// Module is a rendered module.
type Module struct {
	Lang        string
	Fingerprint string // "sha256:<hex>" of Canonical
	Canonical   string // the text the fingerprint is taken over
	Clauses     []ClauseRef
	Warnings    []clause.Finding // findings about this profile that did not stop it
	Negotiated  []Negotiated     // values that differ from the library's defaults
	Omitted     []ClauseRef      // current clauses of the library the profile leaves out
	HTML        []byte
	// NegotiationHTML is the same module marked as a negotiation copy and
	// without the machine-readable canonical texts, for conversion to a
	// word-processor document.
	NegotiationHTML []byte
	// Customer and Provider are the names the module states; BundleKey
	// the fingerprint of the key it says exit bundles are signed with.
	Customer, Provider, BundleKey string
	Effective                     time.Time
	// Title and Words are the module's title and interface words in its
	// language, for what is printed around it (a PDF's running header).
	Title string
	Words map[string]string
}

// Negotiated is one value of a module that differs from the library's
// default: what a negotiator looks for first.
type Negotiated struct {
	Name, Description, Standard, Agreed, Justification string
	ClauseID                                           string
	Order                                              int
}

// ClauseRef identifies one clause version in a module.
type ClauseRef struct {
	ID, Version, Lang, Title, Fingerprint string
	Order                                 int
}

// ErrInvalid reports a profile, or clauses it selects, with errors: no
// module is issued with values the rules reject.
var ErrInvalid = errors.New("the module has errors")

// unselected is the link target of a cross-reference to a clause the
// module does not contain; such links become plain text.
const unselected = "#exitkit-not-in-module"

var unselectedLink = regexp.MustCompile(`<a class="xref" href="` + unselected + `"([^>]*)>(.*?)</a>`)

// plainUnselected turns links to clauses outside the module into text.
func plainUnselected(html string) string {
	return unselectedLink.ReplaceAllString(html, `<span class="xref"$1>$2</span>`)
}

// Render renders p's module from lib.
func Render(lib *clause.Library, p *clause.Profile, opt Options) (*Module, error) {
	lang := cmp.Or(opt.Lang, p.Lang, "en")
	if p.Effective.IsZero() {
		return nil, fmt.Errorf("%s: the profile has no effective date; add 'effective: YYYY-MM-DD'", p.File)
	}
	selected, err := selectClauses(lib, p, lang)
	if err != nil {
		return nil, err
	}

	// Stop on errors about this profile or the clauses it selects; the
	// rest of the library is 'exitsite check's business.
	files := map[string]bool{p.File: true}
	for _, c := range selected {
		files[c.File] = true
	}
	var blocking, warnings []clause.Finding
	for _, f := range append(slices.Clone(lib.Findings), lint.Check(lib, []*clause.Profile{p})...) {
		if !files[f.File] && f.Profile != p.File {
			continue
		}
		if f.Severity == clause.SeverityError {
			blocking = append(blocking, f)
		} else if !slices.Contains(warnings, f) {
			warnings = append(warnings, f)
		}
	}
	if len(blocking) > 0 {
		return nil, &clause.FindingsError{Err: ErrInvalid, Findings: blocking, Fix: fmt.Sprintf("fix them, then run 'exitsite check --profile %s'", p.File)}
	}

	inModule := map[string]bool{}
	for _, c := range selected {
		inModule[c.ID] = true
	}
	ro := clause.RenderOptions{XRefURL: func(id string) string {
		if inModule[id] {
			return "#" + id
		}
		return unselected
	}}

	v := view{
		Lang: lang, S: strings_[lang], Provider: p.Provider, Customer: p.Customer,
		Effective: clause.LongDate(p.Effective, lang), EffectiveISO: clause.ISODate(p.Effective),
		Regulated: p.Regulated, Agreement: strings.Join(strings.Fields(opt.Agreement), " "), Signer: opt.Signer,
	}
	if v.S == nil {
		v.S = strings_["en"]
	}
	if v.Provider.Name == "" {
		v.Provider = lib.Site.Provider
	}
	if v.Provider.SigningKey == "" {
		// Bundles are signed with the key that signs the module unless the
		// profile names another.
		v.Provider.SigningKey = opt.Signer
	}
	m := &Module{Lang: lang, Warnings: warnings}
	seen := map[string]bool{}
	for _, c := range selected {
		r, err := c.RenderWith(lib, p, ro)
		if err != nil {
			return nil, fmt.Errorf("render %s for %s: %w", c.File, p.File, err)
		}
		html := plainUnselected(r.HTML)
		v.Clauses = append(v.Clauses, clauseView{
			ID: c.ID, Version: c.Version, Lang: c.Lang, Order: c.Order, Title: c.Title,
			Fingerprint: r.Fingerprint, Summary: c.Summary, TranslationNote: c.TranslationNote,
			Effective: clause.LongDate(c.Effective, lang), HTML: template.HTML(html), Text: r.Text,
		})
		m.Clauses = append(m.Clauses, ClauseRef{ID: c.ID, Version: c.Version, Lang: c.Lang, Title: c.Title, Fingerprint: r.Fingerprint, Order: c.Order})
		for _, prm := range c.Params {
			if seen[prm.Name] {
				continue
			}
			seen[prm.Name] = true
			val, given := p.Values[prm.Name]
			if !given {
				val = prm.Default
			}
			v.Values = append(v.Values, valueRow{Name: prm.Name, Description: prm.Description, Value: prm.FormatValue(val, lang),
				Justification: p.Justifications[prm.Name], Default: !given})
			if std, agreed := prm.FormatValue(prm.Default, lang), prm.FormatValue(val, lang); given && prm.Default != nil && std != agreed {
				m.Negotiated = append(m.Negotiated, Negotiated{Name: prm.Name, Description: prm.Description, Standard: std, Agreed: agreed,
					Justification: p.Justifications[prm.Name], ClauseID: c.ID, Order: c.Order})
			}
		}
	}
	for _, c := range lib.Current(lang) {
		if !inModule[c.ID] {
			m.Omitted = append(m.Omitted, ClauseRef{ID: c.ID, Version: c.Version, Lang: c.Lang, Title: c.Title, Order: c.Order})
		}
	}
	v.Negotiated, v.Omitted = m.Negotiated, m.Omitted
	v.Parties = []signingParty{{Name: v.Provider.Name, Role: v.S["provider"]}, {Name: p.Customer.Name, Role: v.S["customer"]}}
	if keyFingerprint.MatchString(v.Provider.SigningKey) {
		v.BundleKeyMeta = v.Provider.SigningKey
	}
	m.Customer, m.Provider, m.BundleKey = p.Customer.Name, v.Provider.Name, v.Provider.SigningKey
	m.Effective, m.Title, m.Words = p.Effective, v.S["title"], v.S
	v.Coverage = coverage(lib, selected, lang)
	v.Waivers = p.NotApplicable

	m.Canonical = canonical(lang, p, m.Clauses, v.Provider.Name)
	sum := sha256.Sum256([]byte(m.Canonical))
	m.Fingerprint = "sha256:" + hex.EncodeToString(sum[:])
	v.Fingerprint, v.Canonical = m.Fingerprint, m.Canonical

	html, err := execute(opt.Templates, v)
	if err != nil {
		return nil, err
	}
	m.HTML = html
	v.Negotiation = true
	neg, err := execute(opt.Templates, v)
	if err != nil {
		return nil, err
	}
	m.NegotiationHTML = canonicalTexts.ReplaceAll(neg, nil)
	return m, nil
}

// selectClauses returns the clauses of p's module in lang, in order: the
// versions p pins, else those in force on its effective date (or AsOf).
func selectClauses(lib *clause.Library, p *clause.Profile, lang string) ([]*clause.Clause, error) {
	return lib.Select(p, lang)
}

func coverage(lib *clause.Library, selected []*clause.Clause, lang string) []coverageRow {
	var rows []coverageRow
	for _, o := range lib.Obligations {
		row := coverageRow{Regulation: o.Regulation, Article: o.Article, Owed: o.OwedByProvider, Duty: o.DutyText(lang)}
		for _, c := range selected {
			if slices.Contains(c.Covers, o.Ref) {
				row.Clauses = append(row.Clauses, clauseLink{ID: c.ID, Order: c.Order, Title: c.Title})
			}
		}
		row.Gap = row.Owed && len(row.Clauses) == 0
		rows = append(rows, row)
	}
	return rows
}

func canonical(lang string, p *clause.Profile, clauses []ClauseRef, provider string) string {
	line := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var b strings.Builder
	b.WriteString("exitkit-module/1\n")
	fmt.Fprintf(&b, "lang: %s\n", lang)
	fmt.Fprintf(&b, "effective: %s\n", clause.ISODate(p.Effective))
	fmt.Fprintf(&b, "provider: %s\n", line(provider))
	fmt.Fprintf(&b, "customer: %s\n", line(p.Customer.Name))
	for _, c := range clauses {
		fmt.Fprintf(&b, "clause: %s %s %s\n", c.ID, c.Version, c.Fingerprint)
	}
	return b.String()
}

type view struct {
	Lang                    string
	S                       map[string]string
	Provider, Customer      clause.Party
	Effective, EffectiveISO string
	Regulated               bool
	Values                  []valueRow
	Clauses                 []clauseView
	Coverage                []coverageRow
	Waivers                 []clause.Waiver
	Fingerprint, Canonical  string
	CSS                     template.CSS
	Agreement, Signer       string
	BundleKeyMeta           string // the bundle signing key, when it is a well-formed fingerprint
	Negotiated              []Negotiated
	Omitted                 []ClauseRef
	Parties                 []signingParty
	Negotiation             bool // the word-processor copy: marked, not the signed text
}

type signingParty struct{ Name, Role string }

// canonicalTexts matches the hidden canonical text of each clause, which a
// negotiation copy leaves out: a word processor would show it.
var keyFingerprint = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

var canonicalTexts = regexp.MustCompile(`(?s)\n?<pre class="canonical-text" hidden>.*?</pre>`)

type valueRow struct {
	Name, Description, Value, Justification string
	Default                                 bool
}

type clauseView struct {
	ID, Version, Lang, Title, Fingerprint, Summary, Effective string
	Text                                                      string // canonical text, for recomputing the fingerprint
	Order                                                     int
	TranslationNote                                           bool
	HTML                                                      template.HTML
}

type coverageRow struct {
	Regulation, Article, Duty string
	Owed, Gap                 bool
	Clauses                   []clauseLink
}

type clauseLink struct {
	ID, Title string
	Order     int
}

func execute(tpl fs.FS, v view) ([]byte, error) {
	if tpl == nil {
		tpl = templates.Default()
	}
	src, err := fs.ReadFile(tpl, "module/module.html")
	if err != nil {
		return nil, fmt.Errorf("read the module template: %w", err)
	}
	css, err := fs.ReadFile(tpl, "module/module.css")
	if err != nil {
		return nil, fmt.Errorf("read the module stylesheet: %w", err)
	}
	// A brand.css beside the default adds rules rather than replacing them.
	if extra, err := fs.ReadFile(tpl, "module/brand.css"); err == nil {
		css = append(append(css, '\n'), extra...)
	}
	v.CSS = template.CSS(css)
	t, err := template.New("module.html").Funcs(template.FuncMap{
		"reg": func(s map[string]string, reg string) string {
			if name := s["reg-"+reg]; name != "" {
				return name
			}
			return reg
		},
	}).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("templates module/module.html: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("templates module/module.html: %w", err)
	}
	return b.Bytes(), nil
}
