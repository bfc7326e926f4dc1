// Package render turns a parsed clause body into its canonical text, the
// Markdown a clause's fingerprint is taken over, and into HTML.
//
// Call [Parse] on a clause file (package clause does, when it loads one),
// then [Template.Render] with an [Env]: the parameters, their values and
// how to name a cross-referenced clause. Env.Library chooses the library
// view, where each parameter is a placeholder and each condition shows
// both branches, over the customer view with its values. Package clause's
// Clause.Render is what the site and the module call; this package knows
// nothing of libraries, profiles or versions.
//
// # Template syntax
//
// A clause body is CommonMark with these additions, parsed by a goldmark
// extension so that every tag keeps its position in the file:
//
//	{{name}}                         the value of parameter name
//	{{name as "D MMMM YYYY"}}        a date or money value with a format
//	{{#if flag}}...{{else}}...{{/if}} a boolean condition
//	{{#if plan = "dedicated"}}...{{/if}} an enum comparison
//	[[EM-3]]                         "clause 3 (Exit Triggers)", a link
//
// A condition either opens and closes inside one paragraph, or its tags
// stand on lines of their own and wrap whole paragraphs and list items.
//
// # Canonical text and fingerprint
//
// A clause's fingerprint (clause.Rendered.Fingerprint) is "sha256:"
// followed by the lower-case hex SHA-256 of the canonical text that
// [Template.Render] returns, which is Markdown built as follows:
//
//   - the first line is "# <id> <title> v<version>", e.g.
//     "# EM-10 Data Retrieval Period v1.1.0";
//   - then each block of the body, every block preceded by one empty line:
//     a paragraph on a single line (soft line breaks become one space, runs
//     of spaces become one), headings as "#"s, lists as "- " or "N." items
//     numbered from the list's start, block quotes with "> ", code in
//     ``` fences;
//   - inline markup as written, except emphasis, which is always * or **;
//   - tags replaced: values formatted in the clause's language (customer
//     view) or placeholders "[name: default 60 days]" (library view);
//     conditions reduced to the chosen branch (customer view) or shown with
//     the labels "[If name:]", "[Otherwise:]" and "[End if]" (library view);
//     cross-references as "clause N (Title)";
//   - UTF-8, lines end in "\n" only, no trailing spaces or tabs, and the
//     text ends with exactly one "\n".
//
// The front matter, including summary and effective date, is not part of
// the text. The same template and values give the same text, and so the
// same fingerprint, on every machine and in every run: nothing depends on
// the file's line endings, its line wrapping or the time of rendering.
package render

import (
	"sort"

	"github.com/yuin/goldmark/ast"

	"github.com/exitkit/exitkit/site/clause/syntax"
)

// Template is a parsed clause body.
type Template struct {
	src   []byte // the whole file, front matter blanked, so offsets are file offsets
	doc   ast.Node
	errs  []syntax.Error
	lines []int // offset of the start of each line
}

// Pos returns the line and column (in runes, from 1) of byte offset off
// of the clause file.
func (t *Template) Pos(off int) (line, col int) {
	i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off }) - 1
	if i < 0 {
		return 1, 1
	}
	start := t.lines[i]
	end := min(off, len(t.src))
	return i + 1, len([]rune(string(t.src[start:end]))) + 1
}

// Parse parses the body of a clause file whose body starts at byte
// bodyStart, after the front matter. It never fails: what cannot be read
// is in Errors, and offsets stay those of the file.
func Parse(file []byte, bodyStart int) *Template {
	src := make([]byte, len(file))
	copy(src, file)
	for i := 0; i < bodyStart && i < len(src); i++ {
		if src[i] != '\n' {
			src[i] = ' '
		}
	}
	t := &Template{src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	t.doc, t.errs = syntax.Parse(src)
	return t
}

// Errors are the template syntax errors found while parsing.
func (t *Template) Errors() []syntax.Error { return t.errs }

// Tags calls fn for every tag of the body, including the opening tags of
// paired conditionals.
func (t *Template) Tags(fn func(t *syntax.Tag)) {
	_ = ast.Walk(t.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *syntax.Tag:
			fn(n)
		case *syntax.CondInline:
			fn(n.Open)
		case *syntax.CondBlock:
			fn(n.Open)
		case *syntax.MarkerBlock:
			fn(n.Tag)
		}
		return ast.WalkContinue, nil
	})
}
