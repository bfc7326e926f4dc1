package render

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"

	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/syntax"
)

// words holds the few words the renderings print around values, by
// language; package param has the words of the values themselves.
var words = map[string]map[string]string{
	"en": {"clause": "clause", "default": "default", "unset": "to be agreed", "if": "If", "is": "is", "else": "Otherwise", "end": "End if"},
	"nl": {"clause": "artikel", "default": "standaard", "unset": "overeen te komen", "if": "Indien", "is": "is", "else": "Anders", "end": "Einde indien"},
}

func word(lang, key string) string {
	if w, ok := words[lang]; ok {
		return w[key]
	}
	return words["en"][key]
}

// Env is what a rendering needs besides the template.
type Env struct {
	// Heading follows "# " on the first line of the text, e.g.
	// "EM-10 Data Retrieval Period v1.1.0".
	Heading string
	Lang    string // of the clause: its words and the format of its values
	Params  []param.Param
	// Library selects the library view: each parameter a placeholder with
	// its default, each condition labelled with both branches. Otherwise
	// Values holds the customer's typed values by parameter name.
	Library bool
	Values  map[string]any
	// XRef names the clause a cross-reference [[id]] points to; ok false
	// leaves the tag as written. Nil resolves nothing.
	XRef func(id string) (order int, title string, ok bool)
	// XRefURL returns the link target of a cross-reference to clause id in
	// the HTML; nil links to "#<id>".
	XRefURL func(id string) string
}

// renderEnv is one rendering of t in env.
type renderEnv struct {
	t       *Template
	lang    string
	library bool
	values  map[string]any
	env     *Env
}

func newEnv(t *Template, env *Env) *renderEnv {
	return &renderEnv{t: t, lang: env.Lang, library: env.Library, values: env.Values, env: env}
}

// Render returns the canonical text (see the package documentation) and
// the HTML fragment of the body in env; library placeholders are
// <span class="param" ...> in the HTML.
func (t *Template) Render(env *Env) (text, html string, err error) {
	e := newEnv(t, env)
	md := e.markdown()
	var buf bytes.Buffer
	r := renderer.NewRenderer(renderer.WithNodeRenderers(
		util.Prioritized(goldhtml.NewRenderer(), 1000),
		util.Prioritized(&htmlExt{env: e}, 100),
	))
	if err := r.Render(&buf, t.src, t.doc); err != nil {
		return "", "", err
	}
	return md, buf.String(), nil
}

// param returns the parameter called name, or nil.
func (e *renderEnv) param(name string) *param.Param {
	for i := range e.env.Params {
		if e.env.Params[i].Name == name {
			return &e.env.Params[i]
		}
	}
	return nil
}

// xref names the clause [[id]] points to.
func (e *renderEnv) xref(id string) (order int, title string, ok bool) {
	if e.env.XRef == nil {
		return 0, "", false
	}
	return e.env.XRef(id)
}

// condTrue evaluates {{#if name}} or {{#if name = "value"}}.
func (e *renderEnv) condTrue(t *syntax.Tag) bool {
	v := e.values[t.Name]
	if t.HasCmp {
		s, _ := v.(string)
		return s == t.Value
	}
	b, _ := v.(bool)
	return b
}

func (e *renderEnv) label(t *syntax.Tag, which string) string {
	switch which {
	case "if":
		if t.HasCmp {
			return fmt.Sprintf("[%s %s %s %q:]", word(e.lang, "if"), t.Name, word(e.lang, "is"), t.Value)
		}
		return fmt.Sprintf("[%s %s:]", word(e.lang, "if"), t.Name)
	case "else":
		return "[" + word(e.lang, "else") + ":]"
	}
	return "[" + word(e.lang, "end") + "]"
}

// varText is the text of {{name}}: the formatted value, or in the library
// view the placeholder "[name: default 60 days]".
func (e *renderEnv) varText(t *syntax.Tag) string {
	p := e.param(t.Name)
	if p == nil {
		return string(t.Raw)
	}
	if e.library {
		if p.Default == nil {
			return fmt.Sprintf("[%s: %s]", p.Name, word(e.lang, "unset"))
		}
		s, err := param.Format(p.Type, p.Default, e.lang, t.Format)
		if err != nil {
			s = fmt.Sprint(p.Default)
		}
		return fmt.Sprintf("[%s: %s %s]", p.Name, word(e.lang, "default"), s)
	}
	s, err := param.Format(p.Type, e.values[t.Name], e.lang, t.Format)
	if err != nil {
		return string(t.Raw)
	}
	return s
}

func (e *renderEnv) xrefText(t *syntax.Tag) string {
	order, title, ok := e.xref(t.Name)
	if !ok {
		return string(t.Raw)
	}
	return fmt.Sprintf("%s %d (%s)", word(e.lang, "clause"), order, title)
}

// ---- canonical Markdown ----

// collapseSpaces replaces each run of spaces with one space.
func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := false
	for i := 0; i < len(s); i++ {
		sp := s[i] == ' '
		if !(sp && prev) {
			b.WriteByte(s[i])
		}
		prev = sp
	}
	return b.String()
}

func (e *renderEnv) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", e.env.Heading)
	for _, blk := range e.blocks(e.t.doc) {
		b.WriteString("\n")
		b.WriteString(blk)
		b.WriteString("\n")
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

func (e *renderEnv) blocks(parent ast.Node) []string {
	var out []string
	for c := parent.FirstChild(); c != nil; c = c.NextSibling() {
		out = append(out, e.block(c)...)
	}
	return out
}

func (e *renderEnv) block(n ast.Node) []string {
	src := e.t.src
	switch n := n.(type) {
	case *syntax.CondBlock:
		then, els := n.FirstChild(), n.LastChild()
		if !e.library {
			if e.condTrue(n.Open) {
				return e.blocks(then)
			}
			return e.blocks(els)
		}
		out := []string{e.label(n.Open, "if")}
		out = append(out, e.blocks(then)...)
		if els.HasChildren() {
			out = append(out, e.label(n.Open, "else"))
			out = append(out, e.blocks(els)...)
		}
		return append(out, e.label(n.Open, "end"))
	case *syntax.MarkerBlock:
		return []string{string(n.Tag.Raw)}
	case *ast.Paragraph, *ast.TextBlock:
		s := strings.TrimSpace(collapseSpaces(e.inline(n)))
		if s == "" {
			return nil
		}
		return []string{s}
	case *ast.Heading:
		return []string{strings.Repeat("#", n.Level) + " " + strings.TrimSpace(collapseSpaces(e.inline(n)))}
	case *ast.List:
		if s := e.list(n); s != "" {
			return []string{s}
		}
		return nil
	case *ast.ThematicBreak:
		return []string{"---"}
	case *ast.Blockquote:
		inner := strings.Join(e.blocks(n), "\n\n")
		lines := strings.Split(inner, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight("> "+l, " ")
		}
		return []string{strings.Join(lines, "\n")}
	case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.HTMLBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(src))
		}
		body := strings.TrimRight(b.String(), "\n")
		if n.Kind() == ast.KindHTMLBlock {
			return []string{body}
		}
		return []string{"```\n" + body + "\n```"}
	default:
		return e.blocks(n)
	}
}

// listItem is one rendered entry of a list: an item, or in the library
// view a condition label.
type listItem struct {
	label string
	node  ast.Node
}

func (e *renderEnv) listItems(n ast.Node) []listItem {
	var out []listItem
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *syntax.CondBlock:
			then, els := c.FirstChild(), c.LastChild()
			switch {
			case !e.library && e.condTrue(c.Open):
				out = append(out, e.listItems(then)...)
			case !e.library:
				out = append(out, e.listItems(els)...)
			default:
				out = append(out, listItem{label: e.label(c.Open, "if")})
				out = append(out, e.listItems(then)...)
				if els.HasChildren() {
					out = append(out, listItem{label: e.label(c.Open, "else")})
					out = append(out, e.listItems(els)...)
				}
				out = append(out, listItem{label: e.label(c.Open, "end")})
			}
		case *syntax.MarkerBlock:
			out = append(out, listItem{label: string(c.Tag.Raw)})
		default:
			out = append(out, listItem{node: c})
		}
	}
	return out
}

func (e *renderEnv) list(n *ast.List) string {
	items := e.listItems(n)
	sep := "\n"
	if !n.IsTight {
		sep = "\n\n"
	}
	var parts []string
	num := n.Start
	for _, it := range items {
		if it.node == nil {
			parts = append(parts, it.label)
			continue
		}
		marker := "-"
		if n.IsOrdered() {
			marker = strconv.Itoa(num) + string(n.Marker)
			num++
		}
		indent := strings.Repeat(" ", len(marker)+1)
		body := strings.Join(e.blocks(it.node), sep)
		lines := strings.Split(body, "\n")
		for i := 1; i < len(lines); i++ {
			if lines[i] != "" {
				lines[i] = indent + lines[i]
			}
		}
		parts = append(parts, strings.TrimRight(marker+" "+strings.Join(lines, "\n"), " "))
	}
	return strings.Join(parts, sep)
}

func (e *renderEnv) inline(n ast.Node) string {
	var b strings.Builder
	e.inlineTo(&b, n)
	return b.String()
}

func (e *renderEnv) inlineTo(b *strings.Builder, parent ast.Node) {
	src := e.t.src
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Text:
			b.Write(n.Segment.Value(src))
			switch {
			case n.HardLineBreak():
				b.WriteString("\\\n")
			case n.SoftLineBreak():
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.Emphasis:
			m := strings.Repeat("*", n.Level)
			b.WriteString(m)
			e.inlineTo(b, n)
			b.WriteString(m)
		case *ast.CodeSpan:
			b.WriteByte('`')
			e.inlineTo(b, n)
			b.WriteByte('`')
		case *ast.Link:
			b.WriteByte('[')
			e.inlineTo(b, n)
			b.WriteString("](")
			b.Write(n.Destination)
			if len(n.Title) > 0 {
				b.WriteString(` "` + string(n.Title) + `"`)
			}
			b.WriteByte(')')
		case *ast.Image:
			b.WriteString("![")
			e.inlineTo(b, n)
			b.WriteString("](")
			b.Write(n.Destination)
			b.WriteByte(')')
		case *ast.AutoLink:
			b.WriteString("<" + string(n.URL(src)) + ">")
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				b.Write(seg.Value(src))
			}
		case *syntax.Tag:
			switch n.Op {
			case syntax.Var:
				b.WriteString(e.varText(n))
			case syntax.XRef:
				b.WriteString(e.xrefText(n))
			default:
				b.Write(n.Raw)
			}
		case *syntax.CondInline:
			then, els := n.FirstChild(), n.LastChild()
			switch {
			case !e.library && e.condTrue(n.Open):
				e.inlineTo(b, then)
			case !e.library:
				e.inlineTo(b, els)
			default:
				b.WriteString(e.label(n.Open, "if") + " ")
				e.inlineTo(b, then)
				if els.HasChildren() {
					b.WriteString(" " + e.label(n.Open, "else") + " ")
					e.inlineTo(b, els)
				}
				b.WriteString(" " + e.label(n.Open, "end"))
			}
		default:
			e.inlineTo(b, n)
		}
	}
}

// ---- HTML ----

// htmlExt renders the clause nodes inside goldmark's HTML renderer.
type htmlExt struct{ env *renderEnv }

func (h *htmlExt) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(syntax.KindTag, h.tag)
	reg.Register(syntax.KindCondInline, h.condInline)
	reg.Register(syntax.KindBranchInline, h.branch)
	reg.Register(syntax.KindCondBlock, h.condBlock)
	reg.Register(syntax.KindBranchBlock, h.branch)
	reg.Register(syntax.KindMarkerBlock, h.marker)
}

func esc(s string) string { return string(util.EscapeHTML([]byte(s))) }

func (h *htmlExt) tag(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	e, t := h.env, node.(*syntax.Tag)
	switch t.Op {
	case syntax.Var:
		p := e.param(t.Name)
		switch {
		case p == nil:
			_, _ = w.WriteString(esc(string(t.Raw)))
		case e.library:
			fmt.Fprintf(w, `<span class="param" data-param="%s" data-type="%s" title="%s">%s</span>`,
				esc(p.Name), esc(p.Type), esc(p.Description), esc(e.varText(t)))
		default:
			fmt.Fprintf(w, `<span class="value" data-param="%s">%s</span>`, esc(p.Name), esc(e.varText(t)))
		}
	case syntax.XRef:
		if _, _, ok := e.xref(t.Name); !ok {
			_, _ = w.WriteString(esc(string(t.Raw)))
			break
		}
		href := "#" + t.Name
		if e.env.XRefURL != nil {
			href = e.env.XRefURL(t.Name)
		}
		fmt.Fprintf(w, `<a class="xref" href="%s" data-clause="%s">%s</a>`, esc(href), esc(t.Name), esc(e.xrefText(t)))
	default:
		_, _ = w.WriteString(esc(string(t.Raw)))
	}
	return ast.WalkContinue, nil
}

func (h *htmlExt) chosen(open *syntax.Tag, branchThen bool) bool {
	return h.env.library || h.env.condTrue(open) == branchThen
}

func (h *htmlExt) condInline(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*syntax.CondInline)
	if !h.env.library {
		return ast.WalkContinue, nil
	}
	if entering {
		fmt.Fprintf(w, `<span class="cond" data-param="%s"><span class="cond-label">%s</span> `, esc(n.Open.Name), esc(h.env.label(n.Open, "if")))
	} else {
		fmt.Fprintf(w, ` <span class="cond-label">%s</span></span>`, esc(h.env.label(n.Open, "end")))
	}
	return ast.WalkContinue, nil
}

func (h *htmlExt) branch(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	var then bool
	var open *syntax.Tag
	inList := false
	switch n := node.(type) {
	case *syntax.BranchInline:
		then, open = n.Then, n.Parent().(*syntax.CondInline).Open
	case *syntax.BranchBlock:
		then, open = n.Then, n.Parent().(*syntax.CondBlock).Open
		inList = listParent(n.Parent())
	}
	if !h.chosen(open, then) {
		return ast.WalkSkipChildren, nil
	}
	if h.env.library && entering && !then && node.HasChildren() {
		label := esc(h.env.label(open, "else"))
		switch {
		case node.Type() == ast.TypeInline:
			fmt.Fprintf(w, ` <span class="cond-label">%s</span> `, label)
		case inList:
			fmt.Fprintf(w, "<li class=\"cond-label\">%s</li>\n", label)
		default:
			fmt.Fprintf(w, "<p class=\"cond-label\">%s</p>\n", label)
		}
	}
	return ast.WalkContinue, nil
}

func listParent(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.(type) {
		case *ast.List:
			return true
		case *syntax.CondBlock, *syntax.BranchBlock:
			continue
		}
		return false
	}
	return false
}

func (h *htmlExt) condBlock(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*syntax.CondBlock)
	if !h.env.library {
		return ast.WalkContinue, nil
	}
	which := "if"
	if !entering {
		which = "end"
	}
	label := esc(h.env.label(n.Open, which))
	switch {
	case listParent(n):
		fmt.Fprintf(w, "<li class=\"cond-label\">%s</li>\n", label)
	case entering:
		fmt.Fprintf(w, "<div class=\"cond\" data-param=\"%s\">\n<p class=\"cond-label\">%s</p>\n", esc(n.Open.Name), label)
	default:
		fmt.Fprintf(w, "<p class=\"cond-label\">%s</p>\n</div>\n", label)
	}
	return ast.WalkContinue, nil
}

func (h *htmlExt) marker(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		fmt.Fprintf(w, "<p>%s</p>\n", esc(string(node.(*syntax.MarkerBlock).Tag.Raw)))
	}
	return ast.WalkContinue, nil
}
