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

	"github.com/yuin/goldmark/ast"
	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/syntax"
)

// Validation finding codes.
const (
	CodeFrontMatter         = "front-matter"
	CodeUnknownField        = "unknown-field"
	CodeUndeclaredVariable  = "undeclared-variable"
	CodeWrongType           = "wrong-type"
	CodeOutOfBounds         = "out-of-bounds"
	CodeMissingValue        = "missing-value"
	CodeBrokenReference     = "broken-reference"
	CodeDuplicate           = "duplicate"
	CodeTranslationMismatch = "translation-mismatch"
	CodeUnusedParam         = "unused-param"        // warning
	CodeMissingTranslation  = "missing-translation" // warning
	// CodeTemplateSyntax is an extension of the contract's list: a {{...}}
	// tag that cannot be read or an {{#if}} without its {{/if}}.
	CodeTemplateSyntax = "template-syntax"
)

var (
	reID      = regexp.MustCompile(`^[A-Z]{2,5}-[0-9]{1,3}$`)
	reSemver  = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	reEmail   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	reYAMLErr = regexp.MustCompile(`line (\d+)`)
)

// template is a parsed clause body.
type template struct {
	src   []byte // the whole file, front matter blanked, so offsets are file offsets
	doc   ast.Node
	errs  []syntax.Error
	lines []int // offset of the start of each line
}

func (t *template) pos(off int) (line, col int) {
	i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	if i < 0 {
		return 1, 1
	}
	start := t.lines[i]
	end := min(off, len(t.src))
	return i + 1, len([]rune(string(t.src[start:end]))) + 1
}

// parseTemplate parses the body of a clause file whose body starts at
// byte bodyStart.
func parseTemplate(file []byte, bodyStart int) *template {
	src := make([]byte, len(file))
	copy(src, file)
	for i := 0; i < bodyStart && i < len(src); i++ {
		if src[i] != '\n' {
			src[i] = ' '
		}
	}
	t := &template{src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	t.doc, t.errs = syntax.Parse(src)
	return t
}

// loader collects findings while reading one file.
type loader struct {
	file     string
	lineOff  int // added to YAML line numbers: 1 for front matter after "---"
	findings []Finding
}

func (ld *loader) add(sev, code string, n *yaml.Node, hint, format string, args ...any) {
	f := Finding{File: ld.file, Severity: sev, Rule: code, Message: fmt.Sprintf(format, args...), Hint: hint}
	f.Line, f.Col = 1, 1
	if n != nil && n.Line > 0 {
		f.Line, f.Col = n.Line+ld.lineOff, max(n.Column, 1)
	}
	ld.findings = append(ld.findings, f)
}

func (ld *loader) errorf(code string, n *yaml.Node, hint, format string, args ...any) {
	ld.add(SeverityError, code, n, hint, format, args...)
}

// yamlError turns a yaml.v3 syntax error into a finding at its line.
func (ld *loader) yamlError(err error, what string) {
	f := Finding{File: ld.file, Line: 1, Col: 1, Severity: SeverityError, Rule: CodeFrontMatter,
		Message: fmt.Sprintf("%s is not valid YAML: %s", what, strings.TrimPrefix(err.Error(), "yaml: ")),
		Hint:    "check indentation (spaces, not tabs), colons after keys, and quotes around values containing ': ' or '#'"}
	if m := reYAMLErr.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		f.Line = n + ld.lineOff
	}
	ld.findings = append(ld.findings, f)
}

// document parses data as YAML; a syntax error becomes a finding and nil.
func (ld *loader) document(data []byte, what string) *yaml.Node {
	var root yaml.Node
	if err := yaml.Unmarshal(normalize(data), &root); err != nil {
		ld.yamlError(err, what)
		return nil
	}
	return &root
}

// fields parses data as one YAML mapping, as front matter and profiles
// are; when it is not one, a finding with hint and nil.
func (ld *loader) fields(data []byte, what, hint string) *yaml.Node {
	root := ld.document(data, what)
	if root == nil {
		return nil
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		n := root
		if len(root.Content) > 0 {
			n = root.Content[0]
		}
		ld.errorf(CodeFrontMatter, n, hint, "%s must be a set of fields", what)
		return nil
	}
	return root.Content[0]
}

// byLang reads a mapping from language to text, such as an obligation's
// duty or the site's title.
func (ld *loader) byLang(v *yaml.Node, key string) map[string]string {
	m := map[string]string{}
	if v.Kind != yaml.MappingNode {
		ld.errorf(CodeWrongType, v, "write one line per language, e.g. en: ...", "%s must map languages to text", key)
		return m
	}
	mapping(v, func(k, v2 *yaml.Node) { m[k.Value], _ = ld.str(v2, key+"."+k.Value) })
	return m
}

// mapping iterates the key/value pairs of a mapping node.
func mapping(n *yaml.Node, fn func(k, v *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

func (ld *loader) str(v *yaml.Node, key string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		ld.errorf(CodeWrongType, v, "write a single value on the same line as the key", "%s must be a text value", key)
		return "", false
	}
	return v.Value, true
}

// checkPublicKey checks a published key line: one OpenSSH public key
// whose fingerprint is the one published beside it, since the trustee
// trusts the line and compares the fingerprint.
func (ld *loader) checkPublicKey(v *yaml.Node, sk *SigningKey) {
	line := strings.TrimSpace(sk.PublicKey)
	if strings.ContainsAny(line, "\r\n") {
		ld.errorf(CodeWrongType, v, "give the one line of the key's .pub file", "public_key must be one line")
		return
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil || len(bytes.TrimSpace(rest)) > 0 {
		ld.errorf(CodeWrongType, v, "give the line of the key's .pub file, e.g. ssh-ed25519 AAAA... comment", "public_key is not an OpenSSH public key line")
		return
	}
	sum := sha256.Sum256(pub.Marshal())
	fp := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	if fp != sk.Fingerprint {
		ld.errorf(CodeWrongType, v, "publish the line of the key whose fingerprint is given (ssh-keygen -l -f KEY.pub)", "public_key has fingerprint %s, not %s", fp, sk.Fingerprint)
		return
	}
	sk.PublicKey = line
}

func (ld *loader) boolean(v *yaml.Node, key string) bool {
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		ld.errorf(CodeWrongType, v, "write true or false", "%s must be true or false, not %q", key, v.Value)
	}
	return b
}

func (ld *loader) date(v *yaml.Node, key string) time.Time {
	t, err := time.Parse("2006-01-02", v.Value)
	if v.Kind != yaml.ScalarNode || err != nil {
		ld.errorf(CodeWrongType, v, "write the date as YYYY-MM-DD, e.g. 2026-01-12", "%s must be a date, not %q", key, v.Value)
	}
	return t
}

func (ld *loader) strings(v *yaml.Node, key string) []string {
	if v.Kind != yaml.SequenceNode {
		ld.errorf(CodeWrongType, v, "write a list such as [a, b] or one '- item' per line", "%s must be a list", key)
		return nil
	}
	var out []string
	for _, it := range v.Content {
		if s, ok := ld.str(it, key+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

// scalar converts a YAML scalar to a Go value: int, float64, bool, string,
// time.Time for a YYYY-MM-DD date, or nil.
func scalar(n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	switch n.ShortTag() {
	case "!!int":
		var i int
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!null":
		return nil
	case "!!timestamp":
		if t, err := time.Parse("2006-01-02", n.Value); err == nil {
			return t
		}
	}
	return n.Value
}

// coerce checks that v fits type typ and returns it in the type's Go
// representation, or a message saying what is wrong.
func coerce(typ string, v any) (any, string) {
	switch typ {
	case TypeString, TypeEnum:
		if s, ok := v.(string); ok {
			return s, ""
		}
		return nil, fmt.Sprintf("%v is not text", v)
	case TypeEmail:
		if s, ok := v.(string); ok && reEmail.MatchString(s) {
			return s, ""
		}
		return nil, fmt.Sprintf("%v is not an e-mail address", v)
	case TypeInteger, TypeDays:
		if n, ok := toInt(v); ok {
			return int(n), ""
		}
		return nil, fmt.Sprintf("%v is not a whole number", v)
	case TypeMoney:
		if f, ok := toFloat(v); ok {
			return f, ""
		}
		return nil, fmt.Sprintf("%v is not an amount (a number such as 1250 or 99.50)", v)
	case TypeDate:
		if t, ok := toDate(v); ok {
			return t, ""
		}
		return nil, fmt.Sprintf("%v is not a date (YYYY-MM-DD)", v)
	case TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, ""
		}
		return nil, fmt.Sprintf("%v is not true or false", v)
	}
	return nil, fmt.Sprintf("unknown type %q", typ)
}

// bounds checks a coerced value against a parameter's min, max and values.
func bounds(p *Param, v any) string {
	if p.Type == TypeEnum {
		s, _ := v.(string)
		for _, c := range p.Values {
			if c == s {
				return ""
			}
		}
		return fmt.Sprintf("%q is not one of %s", s, strings.Join(quoteAll(p.Values), ", "))
	}
	f, ok := toFloat(v)
	if !ok {
		return ""
	}
	if p.Min != nil && f < *p.Min {
		return fmt.Sprintf("%s is below the minimum %s", num(f), num(*p.Min))
	}
	if p.Max != nil && f > *p.Max {
		return fmt.Sprintf("%s is above the maximum %s", num(f), num(*p.Max))
	}
	return ""
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

var typeHint = map[string]string{
	TypeString: "write text", TypeEnum: "write one of the declared values", TypeEmail: "write an address such as exit@example.com",
	TypeInteger: "write a whole number", TypeDays: "write a whole number of days, e.g. 30",
	TypeMoney: "write an amount in euros as a number, e.g. 0 or 1250.00", TypeDate: "write the date as YYYY-MM-DD",
	TypeBoolean: "write true or false",
}

// splitFrontMatter returns the YAML between the opening and closing ---
// lines and the offset where the body starts, or ok=false.
func splitFrontMatter(data []byte) (fm []byte, bodyStart int, ok bool) {
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, 0, false
	}
	i := 4
	for i <= len(data) {
		end := bytes.IndexByte(data[i:], '\n')
		line := data[i:]
		next := len(data)
		if end >= 0 {
			line, next = data[i:i+end], i+end+1
		}
		if l := strings.TrimRight(string(line), " \t"); l == "---" || l == "..." {
			return data[4:i], next, true
		}
		if end < 0 {
			break
		}
		i = next
	}
	return nil, 0, false
}

// normalize makes line endings \n and drops a byte-order mark, so offsets,
// positions and fingerprints do not depend on the editor used.
func normalize(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
}

var clauseFields = map[string]bool{"id": true, "title": true, "version": true, "effective": true, "status": true,
	"lang": true, "order": true, "definitions": true, "covers": true, "summary": true, "params": true, "translation_note": true, "published": true}

// parseClause reads one clause file. It returns nil when the front matter
// cannot be read at all; the findings say why.
func parseClause(file string, data []byte, dirLang string) (*Clause, []Finding) {
	data = normalize(data)
	ld := &loader{file: file, lineOff: 1}
	fm, bodyStart, ok := splitFrontMatter(data)
	if !ok {
		ld.errorf(CodeFrontMatter, nil, "start the file with a line ---, the YAML fields (id, title, version, effective, status, lang, order), a line ---, then the clause text",
			"no front matter")
		return nil, ld.findings
	}
	top := ld.fields(fm, "the front matter", "write one 'key: value' per line")
	if top == nil {
		return nil, ld.findings
	}
	c := &Clause{File: file, pos: map[string]position{}}
	seen := map[string]bool{}
	mapping(top, func(k, v *yaml.Node) {
		key := k.Value
		c.pos[key] = position{k.Line + 1, k.Column}
		if seen[key] {
			ld.errorf(CodeFrontMatter, k, "remove one of them", "field %s appears twice", key)
		}
		seen[key] = true
		switch key {
		case "id":
			c.ID, _ = ld.str(v, key)
			if c.ID != "" && !reID.MatchString(c.ID) {
				ld.errorf(CodeFrontMatter, v, "use 2-5 capital letters, a dash and 1-3 digits, e.g. EM-9", "id %q is not a clause id", c.ID)
			}
		case "title":
			c.Title, _ = ld.str(v, key)
		case "version":
			c.Version, _ = ld.str(v, key)
			if c.Version != "" && !reSemver.MatchString(c.Version) {
				ld.errorf(CodeFrontMatter, v, "use a semantic version MAJOR.MINOR.PATCH, e.g. 1.1.0", "version %q is not a semantic version", c.Version)
			}
		case "effective":
			c.Effective = ld.date(v, key)
		case "status":
			c.Status, _ = ld.str(v, key)
			if c.Status != "" && c.Status != StatusDraft && c.Status != StatusPublished && c.Status != StatusSuperseded {
				ld.errorf(CodeFrontMatter, v, "use draft, published or superseded", "status %q is not a status", c.Status)
			}
		case "lang":
			c.Lang, _ = ld.str(v, key)
			if dirLang != "" && c.Lang != "" && c.Lang != dirLang {
				ld.errorf(CodeFrontMatter, v, fmt.Sprintf("move the file to clauses/%s/ or set lang: %s", c.Lang, dirLang), "lang %s does not match the folder clauses/%s", c.Lang, dirLang)
			}
		case "order":
			if err := v.Decode(&c.Order); err != nil || v.ShortTag() != "!!int" || c.Order < 1 {
				ld.errorf(CodeWrongType, v, "write the clause's position in the module: 1, 2, 3 ...", "order must be a positive whole number, not %q", v.Value)
			}
		case "definitions":
			c.Definitions = ld.boolean(v, key)
		case "translation_note":
			c.TranslationNote = ld.boolean(v, key)
		case "published":
			c.Published = ld.date(v, key)
		case "summary":
			c.Summary, _ = ld.str(v, key)
			c.Summary = strings.TrimSpace(c.Summary)
		case "covers":
			c.Covers = ld.strings(v, key)
		case "params":
			c.Params = ld.params(v)
		default:
			ld.errorf(CodeUnknownField, k, "the fields are id, title, version, effective, published, status, lang, order, definitions, translation_note, covers, summary and params; check the spelling",
				"unknown field %q", key)
		}
	})
	for _, req := range []string{"id", "title", "version", "effective", "status", "lang", "order"} {
		if !seen[req] {
			ld.errorf(CodeFrontMatter, top, fmt.Sprintf("add a line '%s: ...' to the front matter", req), "the front matter has no %s", req)
		}
	}
	if c.ID != "" && c.Version != "" {
		if want := c.ID + "-v" + c.Version + ".md"; filepath.Base(file) != want {
			ld.add(SeverityWarning, CodeFrontMatter, top, "rename the file to "+want+" so each version has its own file",
				"file name %s does not match id %s and version %s", filepath.Base(file), c.ID, c.Version)
		}
	}
	c.tpl = parseTemplate(data, bodyStart)
	return c, ld.findings
}

var paramFields = map[string]bool{"type": true, "default": true, "min": true, "max": true, "values": true, "required": true, "description": true}

func (ld *loader) params(n *yaml.Node) []Param {
	if n.Kind != yaml.MappingNode {
		ld.errorf(CodeFrontMatter, n, "write each parameter as 'name:' followed by indented type, default and description", "params must map parameter names to their specs")
		return nil
	}
	var out []Param
	mapping(n, func(k, v *yaml.Node) {
		p := Param{Name: k.Value, Line: k.Line + ld.lineOff, Col: k.Column}
		if !syntax.ValidName(p.Name) {
			ld.errorf(CodeFrontMatter, k, "use letters, digits and underscores, e.g. retrieval_period_days", "parameter name %q is not valid", p.Name)
		}
		for _, q := range out {
			if q.Name == p.Name {
				ld.errorf(CodeDuplicate, k, "remove or rename one of them", "parameter %s is declared twice", p.Name)
			}
		}
		if v.Kind != yaml.MappingNode {
			ld.errorf(CodeFrontMatter, v, "give at least 'type:' and 'description:'", "parameter %s must have a spec", p.Name)
			out = append(out, p)
			return
		}
		var def, minN, maxN *yaml.Node
		mapping(v, func(k2, v2 *yaml.Node) {
			switch k2.Value {
			case "type":
				p.Type, _ = ld.str(v2, "type")
				if _, ok := typeHint[p.Type]; !ok {
					ld.errorf(CodeFrontMatter, v2, "use string, integer, days, date, money, enum, boolean or email", "parameter %s has unknown type %q", p.Name, p.Type)
				}
			case "default":
				def = v2
			case "min":
				minN = v2
			case "max":
				maxN = v2
			case "values":
				p.Values = ld.strings(v2, "values")
			case "required":
				p.Required = ld.boolean(v2, "required")
			case "description":
				p.Description, _ = ld.str(v2, "description")
				p.Description = strings.TrimSpace(p.Description)
			default:
				ld.errorf(CodeUnknownField, k2, "a parameter has type, default, description, min, max, values and required", "parameter %s has unknown field %q", p.Name, k2.Value)
			}
		})
		if p.Type == "" {
			ld.errorf(CodeFrontMatter, k, "add 'type:' (string, integer, days, date, money, enum, boolean or email)", "parameter %s has no type", p.Name)
		}
		if p.Description == "" {
			ld.add(SeverityWarning, CodeFrontMatter, k, "add 'description:': the library view shows it to readers", "parameter %s has no description", p.Name)
		}
		for _, b := range []struct {
			n   *yaml.Node
			dst **float64
			key string
		}{{minN, &p.Min, "min"}, {maxN, &p.Max, "max"}} {
			if b.n == nil {
				continue
			}
			f, ok := toFloat(scalar(b.n))
			if !ok {
				ld.errorf(CodeWrongType, b.n, "write a number", "%s of %s must be a number", b.key, p.Name)
				continue
			}
			if p.Type != TypeInteger && p.Type != TypeDays && p.Type != TypeMoney {
				ld.errorf(CodeWrongType, b.n, "remove it, or change the type to integer, days or money", "%s only applies to integer, days and money parameters", b.key)
			}
			*b.dst = &f
		}
		if p.Type == TypeEnum && len(p.Values) == 0 {
			ld.errorf(CodeFrontMatter, v, "list the choices, e.g. values: [shared, dedicated]", "enum parameter %s has no values", p.Name)
		}
		if def != nil && def.ShortTag() != "!!null" {
			val, msg := coerce(p.Type, scalar(def))
			if def.Kind != yaml.ScalarNode {
				msg = "a default must be a single value"
			}
			switch {
			case msg != "" && typeHint[p.Type] != "":
				ld.errorf(CodeWrongType, def, typeHint[p.Type], "default of %s (%s): %s", p.Name, p.Type, msg)
			case msg == "":
				p.Default = val
				if b := bounds(&p, val); b != "" {
					ld.errorf(CodeOutOfBounds, def, "change the default or the bounds", "default of %s: %s", p.Name, b)
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
	defer func() { l.Findings = append(l.Findings, ld.findings...) }()
	root := ld.document(data, "the obligations catalogue")
	if root == nil {
		return nil
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.SequenceNode {
		ld.errorf(CodeFrontMatter, nil, "write a list: one '- ref: ...' entry per obligation", "the obligations catalogue must be a list")
		return nil
	}
	seen := map[string]bool{}
	for _, it := range root.Content[0].Content {
		o := Obligation{Line: it.Line, Col: it.Column, Duty: map[string]string{}}
		if it.Kind != yaml.MappingNode {
			ld.errorf(CodeFrontMatter, it, "each entry has ref, regulation, article, owed_by_provider and duty", "an obligation must be a set of fields")
			continue
		}
		mapping(it, func(k, v *yaml.Node) {
			switch k.Value {
			case "ref":
				o.Ref, _ = ld.str(v, "ref")
			case "regulation":
				o.Regulation, _ = ld.str(v, "regulation")
			case "article":
				o.Article, _ = ld.str(v, "article")
			case "owed_by_provider":
				o.OwedByProvider = ld.boolean(v, "owed_by_provider")
			case "figure":
				o.Figure, _ = ld.str(v, "figure")
			case "duty":
				o.Duty = ld.byLang(v, "duty")
			default:
				ld.errorf(CodeUnknownField, k, "an obligation has ref, regulation, article, owed_by_provider, figure and duty", "unknown field %q", k.Value)
			}
		})
		if o.Ref == "" {
			ld.errorf(CodeFrontMatter, it, "add 'ref:', e.g. data-act/25/2/g", "an obligation has no ref")
			continue
		}
		if seen[o.Ref] {
			ld.errorf(CodeDuplicate, it, "remove one of the entries", "obligation %s is listed twice", o.Ref)
			continue
		}
		seen[o.Ref] = true
		l.Obligations = append(l.Obligations, o)
	}
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
	defer func() { l.Findings = append(l.Findings, ld.findings...) }()
	root := ld.document(data, "site.yaml")
	if root == nil || len(root.Content) == 0 {
		return nil // an empty site.yaml keeps every default
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		ld.errorf(CodeFrontMatter, top, "write provider, title, intro, signing_keys and changelog as 'key: value' lines", "site.yaml must be a set of fields")
		return nil
	}
	s := &l.Site
	mapping(top, func(k, v *yaml.Node) {
		switch k.Value {
		case "provider":
			s.Provider = ld.party(v, "provider")
		case "title":
			s.Title = ld.byLang(v, "title")
		case "intro":
			s.Intro = ld.byLang(v, "intro")
		case "signing_keys":
			for _, it := range v.Content {
				var sk SigningKey
				var pubNode *yaml.Node
				mapping(it, func(k2, v2 *yaml.Node) {
					switch k2.Value {
					case "fingerprint":
						sk.Fingerprint, _ = ld.str(v2, "fingerprint")
					case "comment":
						sk.Comment, _ = ld.str(v2, "comment")
					case "valid_from":
						sk.ValidFrom = ld.date(v2, "valid_from")
					case "public_key":
						sk.PublicKey, _ = ld.str(v2, "public_key")
						pubNode = v2
					default:
						ld.errorf(CodeUnknownField, k2, "a signing key has fingerprint, comment, valid_from and public_key", "unknown field %q", k2.Value)
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
				mapping(it, func(k2, v2 *yaml.Node) {
					if k2.Value == "date" {
						ch.Date = ld.date(v2, "date")
					} else {
						ch.Text[k2.Value], _ = ld.str(v2, "changelog."+k2.Value)
					}
				})
				s.Changelog = append(s.Changelog, ch)
			}
		default:
			ld.errorf(CodeUnknownField, k, "site.yaml has provider, title, intro, signing_keys and changelog", "unknown field %q", k.Value)
		}
	})
	return nil
}

func (ld *loader) party(v *yaml.Node, key string) Party {
	var p Party
	if v.Kind != yaml.MappingNode {
		ld.errorf(CodeWrongType, v, "write name, address and contact on indented lines", "%s must be a set of fields", key)
		return p
	}
	mapping(v, func(k, v2 *yaml.Node) {
		s, _ := ld.str(v2, key+"."+k.Value)
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
			ld.errorf(CodeUnknownField, k, "a party has name, address, contact, website and signing_key", "unknown field %s.%s", key, k.Value)
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
func (c *Clause) Param(name string) *Param {
	for i := range c.Params {
		if c.Params[i].Name == name {
			return &c.Params[i]
		}
	}
	return nil
}
