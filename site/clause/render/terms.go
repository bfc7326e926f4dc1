package render

import (
	"strings"

	"github.com/yuin/goldmark/ast"

	"github.com/exitkit/exitkit/site/clause/syntax"
)

// Definition is one term a definitions clause defines.
type Definition struct {
	Term, Text string
}

// Definitions returns the terms the body defines, in their order. A
// definition is a list item (or paragraph) that starts with the term in
// bold quotes: **"Term"** means ... or **"Term"**: ...; Text is the rest as
// plain text, without "means", values shown as in the library view.
func (t *Template) Definitions(env *Env) []Definition {
	var out []Definition
	env2 := *env
	env2.Library = true
	e := newEnv(t, &env2)
	_ = ast.Walk(t.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || (n.Kind() != ast.KindParagraph && n.Kind() != ast.KindTextBlock) {
			return ast.WalkContinue, nil
		}
		em, ok := n.FirstChild().(*ast.Emphasis)
		if !ok || em.Level != 2 {
			return ast.WalkSkipChildren, nil
		}
		name := strings.TrimSpace(e.plain(em))
		unq := strings.Trim(name, "\"“”„'‘’")
		if unq == name || unq == "" {
			return ast.WalkSkipChildren, nil
		}
		var rest strings.Builder
		for s := em.NextSibling(); s != nil; s = s.NextSibling() {
			rest.WriteString(e.plainNode(s))
		}
		def := strings.TrimSpace(rest.String())
		for _, lead := range []string{":", "means", "betekent", "is", "has the meaning"} {
			if strings.HasPrefix(def, lead+" ") || def == lead || (lead == ":" && strings.HasPrefix(def, ":")) {
				def = strings.TrimSpace(strings.TrimPrefix(def, lead))
				break
			}
		}
		out = append(out, Definition{Term: unq, Text: def})
		return ast.WalkSkipChildren, nil
	})
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
		s := string(n.Segment.Value(e.t.src))
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
