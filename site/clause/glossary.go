package clause

import (
	"strings"
	"time"

	"github.com/yuin/goldmark/ast"

	"github.com/exitkit/exitkit/site/clause/syntax"
)

// Glossary returns the defined terms of the current definitions clauses in
// lang, in their order. A definition is a list item (or paragraph) that
// starts with the term in bold quotes: **"Term"** means ... or
// **"Term"**: ...; Definition is the rest as plain text, without "means".
func (l *Library) Glossary(lang string) []Term { return l.glossaryOf(l.Current(lang)) }

// GlossaryOn is Glossary for the definitions in force on date.
func (l *Library) GlossaryOn(lang string, date time.Time) []Term {
	return l.glossaryOf(l.InForce(lang, date))
}

func (l *Library) glossaryOf(clauses []*Clause) []Term {
	var out []Term
	for _, c := range clauses {
		if !c.Definitions || c.tpl == nil {
			continue
		}
		env := &renderEnv{lib: l, c: c, lang: c.Lang, library: true}
		_ = ast.Walk(c.tpl.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering || (n.Kind() != ast.KindParagraph && n.Kind() != ast.KindTextBlock) {
				return ast.WalkContinue, nil
			}
			em, ok := n.FirstChild().(*ast.Emphasis)
			if !ok || em.Level != 2 {
				return ast.WalkSkipChildren, nil
			}
			name := strings.TrimSpace(env.plain(em))
			unq := strings.Trim(name, "\"“”„'‘’")
			if unq == name || unq == "" {
				return ast.WalkSkipChildren, nil
			}
			var rest strings.Builder
			for s := em.NextSibling(); s != nil; s = s.NextSibling() {
				rest.WriteString(env.plainNode(s))
			}
			def := strings.TrimSpace(rest.String())
			for _, lead := range []string{":", "means", "betekent", "is", "has the meaning"} {
				if strings.HasPrefix(def, lead+" ") || def == lead || (lead == ":" && strings.HasPrefix(def, ":")) {
					def = strings.TrimSpace(strings.TrimPrefix(def, lead))
					break
				}
			}
			out = append(out, Term{Name: unq, Definition: def, ClauseID: c.ID})
			return ast.WalkSkipChildren, nil
		})
	}
	return out
}

// plain returns the text of n's children without Markdown markup, values
// shown as in the library view.
func (e *renderEnv) plain(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		b.WriteString(e.plainNode(c))
	}
	return b.String()
}

func (e *renderEnv) plainNode(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Text:
		s := string(n.Segment.Value(e.c.tpl.src))
		if n.SoftLineBreak() || n.HardLineBreak() {
			s += " "
		}
		return s
	case *ast.String:
		return string(n.Value)
	case *syntax.Tag:
		switch n.Op {
		case syntax.Var:
			return e.varText(n)
		case syntax.XRef:
			return e.xrefText(n)
		}
		return string(n.Raw)
	case *syntax.CondInline:
		return e.plain(n.FirstChild())
	}
	return e.plain(n)
}
