package clause

import (
	"fmt"
	"strings"

	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/syntax"
)

func (c *Clause) finding(sev, code string, line, col int, hint, format string, args ...any) Finding {
	return Finding{File: c.File, Line: line, Col: col, Severity: sev, Rule: code, Message: fmt.Sprintf(format, args...), Hint: hint}
}

func (c *Clause) at(key string) (int, int) {
	if p, ok := c.pos[key]; ok {
		return p.line, p.col
	}
	return 1, 1
}

// validate runs the checks that need the whole library: template tags
// against params and clause ids, duplicates, translations.
func (l *Library) validate() {
	ids := map[string]bool{}
	for _, c := range l.Clauses {
		ids[c.ID] = true
	}
	refs := map[string]bool{}
	for _, o := range l.Obligations {
		refs[o.Ref] = true
	}
	for _, c := range l.Clauses {
		l.Findings = append(l.Findings, c.validateBody(l, ids)...)
		if l.obligationsFile != "" {
			line, col := c.at("covers")
			for _, r := range c.Covers {
				if !refs[r] {
					l.Findings = append(l.Findings, c.finding(SeverityError, CodeBrokenReference, line, col,
						"use a ref listed in obligations.yaml (e.g. data-act/25/2/g), or add the obligation there",
						"covers %q, which obligations.yaml does not list", r))
				}
			}
		}
	}
	l.checkDuplicates()
	l.checkTranslations()
}

func (c *Clause) validateBody(l *Library, ids map[string]bool) []Finding {
	var out []Finding
	if c.tpl == nil {
		return nil
	}
	for _, e := range c.tpl.Errors() {
		line, col := c.tpl.Pos(e.Off)
		out = append(out, c.finding(SeverityError, CodeTemplateSyntax, line, col, e.Hint, "%s", e.Msg))
	}
	used := map[string]bool{}
	c.tpl.Tags(func(t *syntax.Tag) {
		line, col := c.tpl.Pos(t.Off)
		switch t.Op {
		case syntax.Bad:
			out = append(out, c.finding(SeverityError, CodeTemplateSyntax, line, col, syntax.Usage, "%s", t.Msg))
		case syntax.XRef:
			target := l.resolve(t.Name, c.Lang)
			switch {
			case !ids[t.Name]:
				out = append(out, c.finding(SeverityError, CodeBrokenReference, line, col,
					"refer to an existing clause: "+strings.Join(l.IDs(), ", "), "[[%s]] refers to no clause", t.Name))
			case target == nil:
				out = append(out, c.finding(SeverityError, CodeBrokenReference, line, col,
					"publish the clause it refers to, or refer to a published one", "[[%s]] refers to a clause with no published version", t.Name))
			case target.Lang != c.Lang:
				out = append(out, c.finding(SeverityWarning, CodeBrokenReference, line, col,
					"publish a "+c.Lang+" translation of "+t.Name, "[[%s]] has no published %s version; it links to the %s one", t.Name, c.Lang, target.Lang))
			}
		case syntax.Var, syntax.If:
			used[t.Name] = true
			p := c.Param(t.Name)
			if p == nil {
				out = append(out, c.finding(SeverityError, CodeUndeclaredVariable, line, col,
					param.DidYouMean(t.Name, c.Params)+fmt.Sprintf("declare it under params: in the front matter (type, default, description), or fix the spelling; declared: %s", c.paramNames()),
					"%s is not a declared parameter", t.Name))
				return
			}
			out = append(out, c.checkTagType(t, p, line, col)...)
		}
	})
	for _, p := range c.Params {
		if !used[p.Name] {
			out = append(out, c.finding(SeverityWarning, CodeUnusedParam, p.Line, p.Col,
				"use it in the text as {{"+p.Name+"}}, or remove it from params", "parameter %s is declared but never used", p.Name))
		}
	}
	return out
}

func (c *Clause) paramNames() string {
	if len(c.Params) == 0 {
		return "none"
	}
	names := make([]string, len(c.Params))
	for i, p := range c.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func (c *Clause) checkTagType(t *syntax.Tag, p *param.Param, line, col int) []Finding {
	var out []Finding
	bad := func(code, hint, format string, args ...any) {
		out = append(out, c.finding(SeverityError, code, line, col, hint, format, args...))
	}
	switch t.Op {
	case syntax.If:
		switch {
		case t.HasCmp && p.Type != param.TypeEnum && p.Type != param.TypeString:
			bad(CodeWrongType, "compare enum parameters only; for a boolean write {{#if "+p.Name+"}}", "{{#if %s = ...}} compares a %s parameter", p.Name, p.Type)
		case t.HasCmp && p.Type == param.TypeEnum && p.CheckBounds(t.Value) != "":
			bad(CodeOutOfBounds, "compare with one of the declared values: "+p.Choices(), "{{#if %s = %q}}: %s", p.Name, t.Value, p.CheckBounds(t.Value))
		case !t.HasCmp && p.Type != param.TypeBoolean:
			bad(CodeWrongType, fmt.Sprintf("{{#if name}} needs a boolean; for an enum write {{#if %s = \"value\"}}", p.Name), "{{#if %s}} tests a %s parameter", p.Name, p.Type)
		}
	case syntax.Var:
		if t.Format == "" {
			break
		}
		switch p.Type {
		case param.TypeDate:
			if _, err := param.FormatDate(c.Effective, c.Lang, t.Format); err != nil {
				bad(CodeTemplateSyntax, `use the tokens D, DD, MMMM, MMM, MM and YYYY, e.g. "D MMMM YYYY"`, "%v", err)
			}
		case param.TypeMoney:
			if err := param.CheckMoneyFormat(t.Format); err != nil {
				bad(CodeTemplateSyntax, `e.g. "EUR 0,0.00" (en) or "EUR 0.0,00" (nl)`, "%v", err)
			}
		default:
			bad(CodeWrongType, "remove the 'as' format: only date and money parameters take one", "{{%s as ...}} formats a %s parameter", p.Name, p.Type)
		}
	}
	return out
}

func (l *Library) checkDuplicates() {
	seen := map[string]*Clause{}
	for _, c := range l.Clauses {
		key := c.ID + " " + c.Version + " " + c.Lang
		if first, ok := seen[key]; ok {
			line, col := c.at("id")
			l.Findings = append(l.Findings, c.finding(SeverityError, CodeDuplicate, line, col,
				"give one of them a new version number, or delete it",
				"%s version %s (%s) is also defined in %s", c.ID, c.Version, c.Lang, first.File))
			continue
		}
		seen[key] = c
	}
	for _, lang := range l.Languages() {
		orders := map[int]*Clause{}
		for _, c := range l.Current(lang) {
			if c.Order == 0 {
				continue
			}
			if other, ok := orders[c.Order]; ok {
				line, col := c.at("order")
				l.Findings = append(l.Findings, c.finding(SeverityError, CodeDuplicate, line, col,
					"give each clause its own position in the module",
					"order %d is also used by %s (%s)", c.Order, other.ID, other.File))
				continue
			}
			orders[c.Order] = c
		}
	}
}

// checkTranslations compares each translation with the original, the
// English version when there is one, and warns about published clauses
// missing in a language.
func (l *Library) checkTranslations() {
	groups := map[string][]*Clause{}
	var keys []string
	for _, c := range l.Clauses {
		k := c.ID + " " + c.Version
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	langs := l.Languages()
	for _, k := range keys {
		g := groups[k]
		orig := g[0]
		for _, c := range g {
			if c.Lang == "en" {
				orig = c
			}
		}
		for _, c := range g {
			if c != orig && c.Lang != orig.Lang {
				l.Findings = append(l.Findings, c.compareTranslation(orig)...)
			}
		}
		if orig.Status != StatusPublished {
			continue
		}
		for _, lang := range langs {
			found := false
			for _, c := range g {
				found = found || c.Lang == lang
			}
			if !found {
				line, col := orig.at("id")
				l.Findings = append(l.Findings, orig.finding(SeverityWarning, CodeMissingTranslation, line, col,
					fmt.Sprintf("add clauses/%s/%s-v%s.md with the same id, version and params", lang, orig.ID, orig.Version),
					"%s version %s has no %s translation", orig.ID, orig.Version, lang))
			}
		}
	}
}

func (c *Clause) compareTranslation(orig *Clause) []Finding {
	var out []Finding
	hint := fmt.Sprintf("a translation keeps the params of %s: same names, types, defaults and bounds; only descriptions are translated", orig.File)
	mismatch := func(line, col int, format string, args ...any) {
		out = append(out, c.finding(SeverityError, CodeTranslationMismatch, line, col, hint, format, args...))
	}
	if orig.Lang == "en" && !c.TranslationNote {
		line, col := c.at("id")
		out = append(out, c.finding(SeverityWarning, CodeTranslationMismatch, line, col,
			"add 'translation_note: true' so the site and modules print that the English text prevails",
			"translation of %s has no translation_note", orig.File))
	}
	if c.Order != orig.Order {
		line, col := c.at("order")
		mismatch(line, col, "order %d differs from %d in the %s original", c.Order, orig.Order, orig.Lang)
	}
	if strings.Join(c.Covers, ",") != strings.Join(orig.Covers, ",") {
		line, col := c.at("covers")
		mismatch(line, col, "covers [%s] differs from [%s] in the %s original", strings.Join(c.Covers, ", "), strings.Join(orig.Covers, ", "), orig.Lang)
	}
	if c.Status != orig.Status {
		line, col := c.at("status")
		out = append(out, c.finding(SeverityWarning, CodeTranslationMismatch, line, col, "publish or supersede both languages together",
			"status %s differs from %s in the %s original", c.Status, orig.Status, orig.Lang))
	}
	for _, op := range orig.Params {
		p := c.Param(op.Name)
		if p == nil {
			line, col := c.at("params")
			mismatch(line, col, "parameter %s of the %s original is missing", op.Name, orig.Lang)
			continue
		}
		if d := param.Diff(&op, p); d != "" {
			mismatch(p.Line, p.Col, "parameter %s: %s", p.Name, d)
		}
	}
	for _, p := range c.Params {
		if orig.Param(p.Name) == nil {
			mismatch(p.Line, p.Col, "parameter %s is not in the %s original", p.Name, orig.Lang)
		}
	}
	return out
}
