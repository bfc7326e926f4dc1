package clause

import (
	"fmt"
	"strings"

	"github.com/exitkit/exitkit/site/clause/param"
)

// Validate returns the library's own findings and, for each profile, what
// is wrong with the profile itself: an unknown language or clause id, a
// value no clause declares, of the wrong type, out of bounds or missing.
// It runs no regulatory rule: the lint sub-package (site/clause/lint) calls
// Validate and adds its rules on top, and is what commands should call.
func Validate(l *Library, profiles []*Profile) []Finding {
	out := append([]Finding(nil), l.Findings...)
	for _, p := range profiles {
		_, fs := l.ValidateProfile(p)
		out = append(out, fs...)
	}
	out = dedupe(out)
	sortFindings(out)
	return out
}

func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := fmt.Sprintf("%s\x00%d\x00%d\x00%s\x00%s", f.File, f.Line, f.Col, f.Rule, f.Message)
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// Dedupe drops repeated findings (same place, rule and message) and sorts
// the rest by file, line and column, as Validate does.
func Dedupe(fs []Finding) []Finding {
	out := dedupe(fs)
	sortFindings(out)
	return out
}

func (p *Profile) finding(sev, code, key, hint, format string, args ...any) Finding {
	line, col := p.at(key)
	return Finding{File: p.File, Line: line, Col: col, Severity: sev, Rule: code, Message: fmt.Sprintf(format, args...), Hint: hint, Profile: p.File}
}

// ValidateProfile returns the clauses profile p selects (its clauses: list,
// or every current clause of its language) and the problems of the profile
// itself. The lint runs its rules on exactly this selection.
func (l *Library) ValidateProfile(p *Profile) (selected []*Clause, out []Finding) {
	out = append([]Finding(nil), p.findings...)
	cur := l.Current(p.Lang)
	if len(cur) == 0 && p.Lang != "" {
		out = append(out, p.finding(SeverityError, CodeBrokenReference, "lang", "use a language the library has: "+strings.Join(l.Languages(), ", "),
			"the library has no published clauses in %q", p.Lang))
		return nil, out
	}
	var problems []Finding
	selected, problems = l.Selection(p, p.Lang)
	out = append(out, problems...)
	out = append(out, l.CheckVersions(p, selected)...)
	// Values: declared, typed, in bounds.
	spec := map[string]*param.Param{}
	for _, c := range append(append([]*Clause(nil), selected...), cur...) {
		for i := range c.Params {
			if _, ok := spec[c.Params[i].Name]; !ok {
				spec[c.Params[i].Name] = &c.Params[i]
			}
		}
	}
	for _, name := range sortedKeys(p.Values) {
		key := "values." + name
		pr, ok := spec[name]
		if !ok {
			out = append(out, p.finding(SeverityError, CodeUndeclaredVariable, key, "fix the spelling or remove it; no published "+p.Lang+" clause declares it",
				"%s is not a parameter of any clause", name))
			continue
		}
		v, msg := param.Coerce(pr.Type, p.Values[name])
		if msg != "" {
			out = append(out, p.finding(SeverityError, CodeWrongType, key, param.Hint(pr.Type), "%s (%s): %s", name, pr.Type, msg))
			continue
		}
		if b := pr.CheckBounds(v); b != "" {
			out = append(out, p.finding(SeverityError, CodeOutOfBounds, key, "choose a value within the bounds the clause declares", "%s: %s", name, b))
		}
	}
	for _, c := range selected {
		for _, pr := range c.Params {
			if pr.Default == nil {
				if _, ok := p.Values[pr.Name]; !ok {
					out = append(out, p.finding(SeverityError, CodeMissingValue, "values", "add '"+pr.Name+": ...' under values: in the profile",
						"%s needs a value for %s (%s), which has no default", c.ID, pr.Name, pr.Description))
				}
			}
		}
	}
	return selected, out
}

// At returns the line and column where key ("values.x", "clauses",
// "regulated", ...) is set in the profile file, or 1:1 when it is not.
func (p *Profile) At(key string) (line, col int) { return p.at(key) }

// Has reports whether the profile file sets key ("clauses", "values", ...).
func (p *Profile) Has(key string) bool { _, ok := p.pos[key]; return ok }

// Value returns the profile's value for parameter pr, typed as pr's
// Default would be, and whether the profile sets a usable one; a value of
// the wrong type counts as not set (ValidateProfile reports it).
func (p *Profile) Value(pr *param.Param) (any, bool) {
	v, ok := p.Values[pr.Name]
	if !ok {
		return nil, false
	}
	cv, msg := param.Coerce(pr.Type, v)
	return cv, msg == ""
}

// ObligationsFile is the path of the loaded obligations catalogue, or ""
// when the library has none.
func (l *Library) ObligationsFile() string { return l.obligationsFile }

// CoversRef reports whether the clause lists ref in its covers.
func (c *Clause) CoversRef(ref string) bool { return c.covers(ref) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// At returns the line and column of front-matter field key ("effective",
// "covers", ...) in the clause file, or 1:1 when the field is absent.
func (c *Clause) At(key string) (line, col int) {
	if ps, ok := c.pos[key]; ok {
		return ps.line, ps.col
	}
	return 1, 1
}
