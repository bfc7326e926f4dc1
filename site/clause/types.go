package clause

import (
	"fmt"
	"time"

	"github.com/exitkit/exitkit/site/clause/obligation"
	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/render"
)

// Library is a loaded content folder: every clause version in every
// language, the obligations catalogue and the site settings. Problems found
// while loading are in Findings rather than returned as errors, so a legal
// team sees all of them in one run.
type Library struct {
	Dir         string
	Site        Site
	Clauses     []*Clause // every version, every language (drafts included), sorted by id, lang, version
	Obligations []obligation.Obligation
	Findings    []Finding // from loading and validation

	obligationsFile string
	siteFile        string
}

// Clause is one version of one clause in one language.
type Clause struct {
	ID, Title, Version, Status, Lang, Summary, File string
	Effective                                       time.Time
	// Published is the day the version was first published, when the
	// front matter gives it; zero otherwise.
	Published                    time.Time
	Order                        int
	Definitions, TranslationNote bool
	Covers                       []string
	Params                       []param.Param

	tpl *render.Template // parsed body; nil when the file could not be parsed
	pos map[string]position
}

// Clause statuses.
const (
	StatusDraft      = "draft"
	StatusPublished  = "published"
	StatusSuperseded = "superseded"
)

// Party is a provider or a customer as a profile or the site names it.
type Party struct {
	Name       string `json:"name"`
	Address    string `json:"address,omitempty"`
	Contact    string `json:"contact,omitempty"`
	Website    string `json:"website,omitempty"`
	SigningKey string `json:"signing_key,omitempty"`
}

// Profile is one customer's deal: who the parties are, which clauses apply
// and the parameter values that fill them.
type Profile struct {
	File               string
	Provider, Customer Party
	Lang               string
	Effective          time.Time
	Regulated          bool
	// Clauses lists the selected clause ids, nil for every clause; Pins
	// maps an id to the version agreed for it (the mapping form of
	// clauses:, see LoadProfile). An id without a pin takes the version
	// in force on SelectionDate.
	Clauses []string
	Pins    map[string]string
	// AsOf, when set (by --as-of), replaces Effective as the day whose
	// versions in force an unpinned selection takes. It never changes a pin.
	AsOf time.Time
	// Values holds typed values as for param.Param.Default; a value whose type
	// does not fit is kept as YAML gave it and reported by Check.
	Values         map[string]any
	Justifications map[string]string
	NotApplicable  []Waiver

	pos      map[string]position // "values.x", "clauses", "not_applicable.N" ...
	findings []Finding           // problems found while loading (unknown fields, bad dates)
}

// Waiver marks a lint rule as not applicable to a profile, with the reason
// that the output shows.
type Waiver struct {
	Rule, Reason string
	Line, Col    int
}

// Site holds content/site.yaml: provider-level settings for the public site.
type Site struct {
	Provider    Party
	Title       map[string]string // by language
	Intro       map[string]string
	SigningKeys []SigningKey
	Changelog   []Change
}

// SigningKey is a published bundle-signing key fingerprint.
type SigningKey struct {
	Fingerprint, Comment string
	ValidFrom            time.Time
	// PublicKey is the key's full authorized_keys line, published beside
	// its fingerprint so that a trustee's stock-tool check can start from
	// the published key instead of the bundle's own signer.pub; "" when
	// the library gives only the fingerprint. Load checks that it has
	// that fingerprint.
	PublicKey string
}

// Change is one entry of the site's change log.
type Change struct {
	Date time.Time
	Text map[string]string // by language
}

// Term is a defined term from the definitions clause.
type Term struct {
	Name, Definition, ClauseID string
}

// CoverageRow pairs an obligation with the current clauses covering it.
type CoverageRow struct {
	Obligation obligation.Obligation
	Clauses    []*Clause
}

// Rendered is one clause rendered for the library or for a customer.
type Rendered struct {
	Text        string // canonical Markdown text, see the package documentation
	HTML        string // HTML fragment; library placeholders as <span class="param" ...>
	Fingerprint string // "sha256:<hex>" of Text
}

// Severities of a Finding.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Finding is one problem, or one note, from loading, validation or lint.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"` // "error" | "warning" | "info" (not-applicable notes)
	Rule     string `json:"rule"`     // lint rule id or validation code
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Article  string `json:"article,omitempty"` // for lint rules
	Profile  string `json:"profile,omitempty"` // the profile file a lint finding is about, if any
}

// String formats f as "file:line:col: severity: message (rule)" followed by
// a tab-indented hint line when there is a hint.
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc += fmt.Sprintf(":%d:%d", f.Line, max(f.Col, 1))
	}
	s := fmt.Sprintf("%s: %s: %s (%s)", loc, f.Severity, f.Message, f.Rule)
	if f.Article != "" {
		s = fmt.Sprintf("%s: %s: %s [%s] (%s)", loc, f.Severity, f.Message, f.Article, f.Rule)
	}
	if f.Hint != "" {
		s += "\n\thint: " + f.Hint
	}
	return s
}

// Error makes a *Finding usable as an error: LoadProfile returns one when a
// profile cannot be parsed at all.
func (f *Finding) Error() string { return f.String() }

// FindingsError carries the findings that stopped a site build or a
// module, so a command can print every one of them.
type FindingsError struct {
	Err      error // what was refused, e.g. site.ErrInvalid; Unwrap returns it
	Findings []Finding
	Fix      string // what to do next, e.g. "run 'exitsite check' for details"
}

func (e *FindingsError) Error() string {
	n := 0
	for _, f := range e.Findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	return fmt.Sprintf("%v: %d error(s); %s", e.Err, n, e.Fix)
}

func (e *FindingsError) Unwrap() error { return e.Err }

type position struct{ line, col int }
