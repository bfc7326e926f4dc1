package clause

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/obligation"
	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/render"
	"github.com/exitkit/exitkit/site/clause/syntax"
	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

// Validation finding codes.
const (
	CodeFrontMatter         = yamlpos.CodeFrontMatter
	CodeUnknownField        = yamlpos.CodeUnknownField
	CodeUndeclaredVariable  = "undeclared-variable"
	CodeWrongType           = yamlpos.CodeWrongType
	CodeOutOfBounds         = "out-of-bounds"
	CodeMissingValue        = "missing-value"
	CodeBrokenReference     = "broken-reference"
	CodeDuplicate           = yamlpos.CodeDuplicate
	CodeTranslationMismatch = "translation-mismatch"
	CodeUnusedParam         = "unused-param"        // warning
	CodeMissingTranslation  = "missing-translation" // warning
	// CodeTemplateSyntax is an extension of the contract's list: a {{...}}
	// tag that cannot be read or an {{#if}} without its {{/if}}.
	CodeTemplateSyntax = "template-syntax"
)

var (
	reID     = regexp.MustCompile(`^[A-Z]{2,5}-[0-9]{1,3}$`)
	reSemver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
)

// loader collects findings while reading one file.
type loader struct {
	file string
	yamlpos.Reader
}

// findings are the problems read so far, as findings in the file.
func (ld *loader) findings() []Finding {
	var out []Finding
	for _, p := range ld.Problems {
		out = append(out, Finding{File: ld.file, Line: p.Line, Col: p.Col, Severity: p.Severity, Rule: p.Code, Message: p.Message, Hint: p.Hint})
	}
	return out
}

var clauseFields = map[string]bool{"id": true, "title": true, "version": true, "effective": true, "status": true,
	"lang": true, "order": true, "definitions": true, "covers": true, "summary": true, "params": true, "translation_note": true, "published": true}

// parseClause reads one clause file. It returns nil when the front matter
// cannot be read at all; the findings say why.
func parseClause(file string, data []byte, dirLang string) (*Clause, []Finding) {
	data = yamlpos.Normalize(data)
	ld := &loader{file: file, Reader: yamlpos.Reader{LineOff: 1}}
	fm, bodyStart, ok := yamlpos.SplitFrontMatter(data)
	if !ok {
		ld.Errorf(CodeFrontMatter, nil, "start the file with a line ---, the YAML fields (id, title, version, effective, status, lang, order), a line ---, then the clause text",
			"no front matter")
		return nil, ld.findings()
	}
	top := ld.Fields(fm, "the front matter", "write one 'key: value' per line")
	if top == nil {
		return nil, ld.findings()
	}
	c := &Clause{File: file, pos: map[string]position{}}
	seen := map[string]bool{}
	yamlpos.Mapping(top, func(k, v *yaml.Node) {
		key := k.Value
		c.pos[key] = position{k.Line + 1, k.Column}
		if seen[key] {
			ld.Errorf(CodeFrontMatter, k, "remove one of them", "field %s appears twice", key)
		}
		seen[key] = true
		switch key {
		case "id":
			c.ID, _ = ld.Str(v, key)
			if c.ID != "" && !reID.MatchString(c.ID) {
				ld.Errorf(CodeFrontMatter, v, "use 2-5 capital letters, a dash and 1-3 digits, e.g. EM-9", "id %q is not a clause id", c.ID)
			}
		case "title":
			c.Title, _ = ld.Str(v, key)
		case "version":
			c.Version, _ = ld.Str(v, key)
			if c.Version != "" && !reSemver.MatchString(c.Version) {
				ld.Errorf(CodeFrontMatter, v, "use a semantic version MAJOR.MINOR.PATCH, e.g. 1.1.0", "version %q is not a semantic version", c.Version)
			}
		case "effective":
			c.Effective = ld.Date(v, key)
		case "status":
			c.Status, _ = ld.Str(v, key)
			if c.Status != "" && c.Status != StatusDraft && c.Status != StatusPublished && c.Status != StatusSuperseded {
				ld.Errorf(CodeFrontMatter, v, "use draft, published or superseded", "status %q is not a status", c.Status)
			}
		case "lang":
			c.Lang, _ = ld.Str(v, key)
			if dirLang != "" && c.Lang != "" && c.Lang != dirLang {
				ld.Errorf(CodeFrontMatter, v, fmt.Sprintf("move the file to clauses/%s/ or set lang: %s", c.Lang, dirLang), "lang %s does not match the folder clauses/%s", c.Lang, dirLang)
			}
		case "order":
			if err := v.Decode(&c.Order); err != nil || v.ShortTag() != "!!int" || c.Order < 1 {
				ld.Errorf(CodeWrongType, v, "write the clause's position in the module: 1, 2, 3 ...", "order must be a positive whole number, not %q", v.Value)
			}
		case "definitions":
			c.Definitions = ld.Bool(v, key)
		case "translation_note":
			c.TranslationNote = ld.Bool(v, key)
		case "published":
			c.Published = ld.Date(v, key)
		case "summary":
			c.Summary, _ = ld.Str(v, key)
			c.Summary = strings.TrimSpace(c.Summary)
		case "covers":
			c.Covers = ld.Strings(v, key)
		case "params":
			c.Params = ld.params(v)
		default:
			ld.Errorf(CodeUnknownField, k, "the fields are id, title, version, effective, published, status, lang, order, definitions, translation_note, covers, summary and params; check the spelling",
				"unknown field %q", key)
		}
	})
	for _, req := range []string{"id", "title", "version", "effective", "status", "lang", "order"} {
		if !seen[req] {
			ld.Errorf(CodeFrontMatter, top, fmt.Sprintf("add a line '%s: ...' to the front matter", req), "the front matter has no %s", req)
		}
	}
	if c.ID != "" && c.Version != "" {
		if want := c.ID + "-v" + c.Version + ".md"; filepath.Base(file) != want {
			ld.Add(SeverityWarning, CodeFrontMatter, top, "rename the file to "+want+" so each version has its own file",
				"file name %s does not match id %s and version %s", filepath.Base(file), c.ID, c.Version)
		}
	}
	c.tpl = render.Parse(data, bodyStart)
	return c, ld.findings()
}

var paramFields = map[string]bool{"type": true, "default": true, "min": true, "max": true, "values": true, "required": true, "description": true}

func (ld *loader) params(n *yaml.Node) []param.Param {
	if n.Kind != yaml.MappingNode {
		ld.Errorf(CodeFrontMatter, n, "write each parameter as 'name:' followed by indented type, default and description", "params must map parameter names to their specs")
		return nil
	}
	var out []param.Param
	yamlpos.Mapping(n, func(k, v *yaml.Node) {
		p := param.Param{Name: k.Value, Line: k.Line + ld.LineOff, Col: k.Column}
		if !syntax.ValidName(p.Name) {
			ld.Errorf(CodeFrontMatter, k, "use letters, digits and underscores, e.g. retrieval_period_days", "parameter name %q is not valid", p.Name)
		}
		for _, q := range out {
			if q.Name == p.Name {
				ld.Errorf(CodeDuplicate, k, "remove or rename one of them", "parameter %s is declared twice", p.Name)
			}
		}
		if v.Kind != yaml.MappingNode {
			ld.Errorf(CodeFrontMatter, v, "give at least 'type:' and 'description:'", "parameter %s must have a spec", p.Name)
			out = append(out, p)
			return
		}
		var def, minN, maxN *yaml.Node
		yamlpos.Mapping(v, func(k2, v2 *yaml.Node) {
			switch k2.Value {
			case "type":
				p.Type, _ = ld.Str(v2, "type")
				if !param.Known(p.Type) {
					ld.Errorf(CodeFrontMatter, v2, "use string, integer, days, date, money, enum, boolean or email", "parameter %s has unknown type %q", p.Name, p.Type)
				}
			case "default":
				def = v2
			case "min":
				minN = v2
			case "max":
				maxN = v2
			case "values":
				p.Values = ld.Strings(v2, "values")
			case "required":
				p.Required = ld.Bool(v2, "required")
			case "description":
				p.Description, _ = ld.Str(v2, "description")
				p.Description = strings.TrimSpace(p.Description)
			default:
				ld.Errorf(CodeUnknownField, k2, "a parameter has type, default, description, min, max, values and required", "parameter %s has unknown field %q", p.Name, k2.Value)
			}
		})
		if p.Type == "" {
			ld.Errorf(CodeFrontMatter, k, "add 'type:' (string, integer, days, date, money, enum, boolean or email)", "parameter %s has no type", p.Name)
		}
		if p.Description == "" {
			ld.Add(SeverityWarning, CodeFrontMatter, k, "add 'description:': the library view shows it to readers", "parameter %s has no description", p.Name)
		}
		for _, b := range []struct {
			n   *yaml.Node
			dst **float64
			key string
		}{{minN, &p.Min, "min"}, {maxN, &p.Max, "max"}} {
			if b.n == nil {
				continue
			}
			f, ok := param.Number(yamlpos.Scalar(b.n))
			if !ok {
				ld.Errorf(CodeWrongType, b.n, "write a number", "%s of %s must be a number", b.key, p.Name)
				continue
			}
			if p.Type != param.TypeInteger && p.Type != param.TypeDays && p.Type != param.TypeMoney {
				ld.Errorf(CodeWrongType, b.n, "remove it, or change the type to integer, days or money", "%s only applies to integer, days and money parameters", b.key)
			}
			*b.dst = &f
		}
		if p.Type == param.TypeEnum && len(p.Values) == 0 {
			ld.Errorf(CodeFrontMatter, v, "list the choices, e.g. values: [shared, dedicated]", "enum parameter %s has no values", p.Name)
		}
		if def != nil && def.ShortTag() != "!!null" {
			val, msg := param.Coerce(p.Type, yamlpos.Scalar(def))
			if def.Kind != yaml.ScalarNode {
				msg = "a default must be a single value"
			}
			switch {
			case msg != "" && param.Hint(p.Type) != "":
				ld.Errorf(CodeWrongType, def, param.Hint(p.Type), "default of %s (%s): %s", p.Name, p.Type, msg)
			case msg == "":
				p.Default = val
				if b := p.CheckBounds(val); b != "" {
					ld.Errorf(CodeOutOfBounds, def, "change the default or the bounds", "default of %s: %s", p.Name, b)
				}
			}
		}
		out = append(out, p)
	})
	return out
}

// Load reads a content folder: clauses/<lang>/*.md, obligations.yaml and
// site.yaml. It returns an error only when the folder cannot be read;
// everything wrong inside the files is in the Library's Findings. The
// versions lock is package lock's: call lock.Apply after Load.
func Load(dir string) (*Library, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load clause library: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("load clause library: %s is not a folder; pass the content folder that holds clauses/", dir)
	}
	l := &Library{Dir: dir}
	if err := l.loadObligations(filepath.Join(dir, "obligations.yaml")); err != nil {
		return nil, err
	}
	if err := l.loadSite(filepath.Join(dir, "site.yaml")); err != nil {
		return nil, err
	}
	langs, err := os.ReadDir(filepath.Join(dir, "clauses"))
	if err != nil {
		return nil, fmt.Errorf("load clause library %s: %w (clauses live in clauses/<lang>/<id>-v<version>.md)", dir, err)
	}
	for _, ld := range langs {
		if !ld.IsDir() {
			continue
		}
		sub := filepath.Join(dir, "clauses", ld.Name())
		ents, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("load clause library: %w", err)
		}
		for _, e := range ents {
			if e.IsDir() || filepath.Ext(e.Name()) != ".md" {
				continue
			}
			path := filepath.Join(sub, e.Name())
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("load clause library: %w", err)
			}
			c, fs := parseClause(path, data, ld.Name())
			l.Findings = append(l.Findings, fs...)
			if c != nil {
				l.Clauses = append(l.Clauses, c)
			}
		}
	}
	sort.SliceStable(l.Clauses, func(i, j int) bool {
		a, b := l.Clauses[i], l.Clauses[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Lang != b.Lang {
			return a.Lang < b.Lang
		}
		return compareVersions(a.Version, b.Version) < 0
	})
	l.validate()
	sortFindings(l.Findings)
	return l, nil
}

func (l *Library) loadObligations(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		l.Findings = append(l.Findings, Finding{File: path, Severity: SeverityWarning, Rule: CodeBrokenReference,
			Message: "no obligations catalogue: clause covers and the coverage matrix cannot be checked",
			Hint:    "add obligations.yaml listing each obligation (ref, regulation, article, owed_by_provider, duty)"})
		return nil
	}
	if err != nil {
		return fmt.Errorf("load obligations: %w", err)
	}
	l.obligationsFile = path
	ld := &loader{file: path}
	defer func() { l.Findings = append(l.Findings, ld.findings()...) }()
	root := ld.Document(data, "the obligations catalogue")
	if root == nil {
		return nil
	}
	l.Obligations = obligation.Parse(&ld.Reader, root)
	return nil
}

func (l *Library) loadSite(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load site settings: %w", err)
	}
	l.siteFile = path
	ld := &loader{file: path}
	defer func() { l.Findings = append(l.Findings, ld.findings()...) }()
	root := ld.Document(data, "site.yaml")
	if root == nil || len(root.Content) == 0 {
		return nil // an empty site.yaml keeps every default
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		ld.Errorf(CodeFrontMatter, top, "write provider, title, intro, signing_keys and changelog as 'key: value' lines", "site.yaml must be a set of fields")
		return nil
	}
	s := &l.Site
	yamlpos.Mapping(top, func(k, v *yaml.Node) {
		switch k.Value {
		case "provider":
			s.Provider = ld.party(v, "provider")
		case "title":
			s.Title = ld.ByLang(v, "title")
		case "intro":
			s.Intro = ld.ByLang(v, "intro")
		case "signing_keys":
			for _, it := range v.Content {
				var sk SigningKey
				yamlpos.Mapping(it, func(k2, v2 *yaml.Node) {
					switch k2.Value {
					case "fingerprint":
						sk.Fingerprint, _ = ld.Str(v2, "fingerprint")
					case "comment":
						sk.Comment, _ = ld.Str(v2, "comment")
					case "valid_from":
						sk.ValidFrom = ld.Date(v2, "valid_from")
					default:
						ld.Errorf(CodeUnknownField, k2, "a signing key has fingerprint, comment and valid_from", "unknown field %q", k2.Value)
					}
				})
				s.SigningKeys = append(s.SigningKeys, sk)
			}
		case "changelog":
			for _, it := range v.Content {
				ch := Change{Text: map[string]string{}}
				yamlpos.Mapping(it, func(k2, v2 *yaml.Node) {
					if k2.Value == "date" {
						ch.Date = ld.Date(v2, "date")
					} else {
						ch.Text[k2.Value], _ = ld.Str(v2, "changelog."+k2.Value)
					}
				})
				s.Changelog = append(s.Changelog, ch)
			}
		default:
			ld.Errorf(CodeUnknownField, k, "site.yaml has provider, title, intro, signing_keys and changelog", "unknown field %q", k.Value)
		}
	})
	return nil
}

func (ld *loader) party(v *yaml.Node, key string) Party {
	var p Party
	if v.Kind != yaml.MappingNode {
		ld.Errorf(CodeWrongType, v, "write name, address and contact on indented lines", "%s must be a set of fields", key)
		return p
	}
	yamlpos.Mapping(v, func(k, v2 *yaml.Node) {
		s, _ := ld.Str(v2, key+"."+k.Value)
		switch k.Value {
		case "name":
			p.Name = s
		case "address":
			p.Address = s
		case "contact":
			p.Contact = s
		case "website":
			p.Website = s
		case "signing_key":
			p.SigningKey = s
		default:
			ld.Errorf(CodeUnknownField, k, "a party has name, address, contact, website and signing_key", "unknown field %s.%s", key, k.Value)
		}
	})
	return p
}

// compareVersions orders semantic versions; unparsable ones sort first,
// by their text.
func compareVersions(a, b string) int {
	pa, pb := reSemver.FindStringSubmatch(a), reSemver.FindStringSubmatch(b)
	if pa == nil || pb == nil {
		switch {
		case pa == nil && pb != nil:
			return -1
		case pa != nil && pb == nil:
			return 1
		}
		return strings.Compare(a, b)
	}
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
	})
}

// Languages lists the languages that have clauses, sorted.
func (l *Library) Languages() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range l.Clauses {
		if c.Lang != "" && !seen[c.Lang] {
			seen[c.Lang] = true
			out = append(out, c.Lang)
		}
	}
	sort.Strings(out)
	return out
}

// Current returns the latest published version of each clause in lang,
// ordered by Order (then id): the newest text of each clause, which the
// library lint checks. It may not be in force yet; use InForce for the
// versions that apply on a date.
func (l *Library) Current(lang string) []*Clause {
	latest := map[string]*Clause{}
	var ids []string
	for _, c := range l.Clauses {
		if c.Lang != lang || c.Status != StatusPublished {
			continue
		}
		if old, ok := latest[c.ID]; !ok {
			ids = append(ids, c.ID)
			latest[c.ID] = c
		} else if compareVersions(c.Version, old.Version) > 0 {
			latest[c.ID] = c
		}
	}
	out := make([]*Clause, 0, len(ids))
	for _, id := range ids {
		out = append(out, latest[id])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Versions returns the published and superseded versions of one clause in
// lang, oldest first; drafts are left out.
func (l *Library) Versions(id, lang string) []*Clause {
	var out []*Clause
	for _, c := range l.Clauses {
		if c.ID == id && c.Lang == lang && (c.Status == StatusPublished || c.Status == StatusSuperseded) {
			out = append(out, c)
		}
	}
	return out // l.Clauses is sorted by version within id and lang
}

// Find returns one clause version in one language, whatever its status,
// or nil.
func (l *Library) Find(id, version, lang string) *Clause {
	for _, c := range l.Clauses {
		if c.ID == id && c.Version == version && c.Lang == lang {
			return c
		}
	}
	return nil
}

// Coverage pairs each obligation of the catalogue, in its order, with the
// current clauses in lang that cover it.
func (l *Library) Coverage(lang string) []CoverageRow { return l.coverageOf(l.Current(lang)) }

// CoverageOn is Coverage for the clauses in force on date.
func (l *Library) CoverageOn(lang string, date time.Time) []CoverageRow {
	return l.coverageOf(l.InForce(lang, date))
}

func (l *Library) coverageOf(cur []*Clause) []CoverageRow {
	rows := make([]CoverageRow, 0, len(l.Obligations))
	for _, o := range l.Obligations {
		row := CoverageRow{Obligation: o}
		for _, c := range cur {
			if c.covers(o.Ref) {
				row.Clauses = append(row.Clauses, c)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func (c *Clause) covers(ref string) bool {
	for _, r := range c.Covers {
		if r == ref {
			return true
		}
	}
	return false
}

// Param returns the clause's parameter called name, or nil.
func (c *Clause) Param(name string) *param.Param {
	for i := range c.Params {
		if c.Params[i].Name == name {
			return &c.Params[i]
		}
	}
	return nil
}
