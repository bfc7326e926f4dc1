package clause

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
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

	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/obligation"
	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/render"
	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

// Validation finding codes.
const (
	CodeFrontMatter         = yamlpos.CodeFrontMatter
	CodeUnknownField        = yamlpos.CodeUnknownField
	CodeUndeclaredVariable  = "undeclared-variable"
	CodeWrongType           = yamlpos.CodeWrongType
	CodeOutOfBounds         = param.CodeOutOfBounds
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

// checkPublicKey checks a published key line: one OpenSSH public key
// whose fingerprint is the one published beside it, since the trustee
// trusts the line and compares the fingerprint.
func (ld *loader) checkPublicKey(v *yaml.Node, sk *SigningKey) {
	line := strings.TrimSpace(sk.PublicKey)
	if strings.ContainsAny(line, "\r\n") {
		ld.Errorf(CodeWrongType, v, "give the one line of the key's .pub file", "public_key must be one line")
		return
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil || len(bytes.TrimSpace(rest)) > 0 {
		ld.Errorf(CodeWrongType, v, "give the line of the key's .pub file, e.g. ssh-ed25519 AAAA... comment", "public_key is not an OpenSSH public key line")
		return
	}
	sum := sha256.Sum256(pub.Marshal())
	fp := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	if fp != sk.Fingerprint {
		ld.Errorf(CodeWrongType, v, "publish the line of the key whose fingerprint is given (ssh-keygen -l -f KEY.pub)", "public_key has fingerprint %s, not %s", fp, sk.Fingerprint)
		return
	}
	sk.PublicKey = line
}

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
			c.Params = param.Parse(&ld.Reader, v)
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
				var pubNode *yaml.Node
				yamlpos.Mapping(it, func(k2, v2 *yaml.Node) {
					switch k2.Value {
					case "fingerprint":
						sk.Fingerprint, _ = ld.Str(v2, "fingerprint")
					case "comment":
						sk.Comment, _ = ld.Str(v2, "comment")
					case "valid_from":
						sk.ValidFrom = ld.Date(v2, "valid_from")
					case "public_key":
						sk.PublicKey, _ = ld.Str(v2, "public_key")
						pubNode = v2
					default:
						ld.Errorf(CodeUnknownField, k2, "a signing key has fingerprint, comment, valid_from and public_key", "unknown field %q", k2.Value)
					}
				})
				if pubNode != nil {
					ld.checkPublicKey(pubNode, &sk)
				}
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
