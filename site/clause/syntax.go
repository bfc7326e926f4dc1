package clause

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The clause syntax is a goldmark extension: an inline parser turns
// {{...}} and [[ID]] into tag nodes that keep their byte offsets, and an
// AST transformer pairs {{#if}}, {{else}} and {{/if}} into conditional
// nodes, inline within one paragraph or around whole blocks and list items.

type tagKind int

const (
	tagVar tagKind = iota
	tagIf
	tagElse
	tagEnd
	tagXRef
	tagBad
)

// tagNode is one {{...}} or [[...]] in the body.
type tagNode struct {
	ast.BaseInline
	kind   tagKind
	name   string // parameter, or clause id for tagXRef
	value  string // enum value compared in {{#if name = "value"}}
	hasCmp bool
	format string // {{name as "format"}}
	msg    string // for tagBad: what is wrong
	raw    []byte // the tag as written
	off    int    // byte offset of the tag in the file
}

var kindTag = ast.NewNodeKind("ClauseTag")

func (n *tagNode) Kind() ast.NodeKind { return kindTag }
func (n *tagNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Raw": string(n.raw)}, nil)
}

// condInline is a conditional inside one paragraph: its children are two
// branchInline nodes, then and else.
type condInline struct {
	ast.BaseInline
	open *tagNode
}

// condBlock is a conditional around blocks (paragraphs, list items): its
// children are two branchBlock nodes.
type condBlock struct {
	ast.BaseBlock
	open *tagNode
}

type branchInline struct {
	ast.BaseInline
	then bool
}

type branchBlock struct {
	ast.BaseBlock
	then bool
}

var (
	kindCondInline   = ast.NewNodeKind("ClauseCondInline")
	kindCondBlock    = ast.NewNodeKind("ClauseCondBlock")
	kindBranchInline = ast.NewNodeKind("ClauseBranchInline")
	kindBranchBlock  = ast.NewNodeKind("ClauseBranchBlock")
)

func (n *condInline) Kind() ast.NodeKind              { return kindCondInline }
func (n *condBlock) Kind() ast.NodeKind               { return kindCondBlock }
func (n *branchInline) Kind() ast.NodeKind            { return kindBranchInline }
func (n *branchBlock) Kind() ast.NodeKind             { return kindBranchBlock }
func (n *condInline) Dump(source []byte, level int)   { ast.DumpHelper(n, source, level, nil, nil) }
func (n *condBlock) Dump(source []byte, level int)    { ast.DumpHelper(n, source, level, nil, nil) }
func (n *branchInline) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }
func (n *branchBlock) Dump(source []byte, level int)  { ast.DumpHelper(n, source, level, nil, nil) }
func (n *branchBlock) IsRaw() bool                    { return false }
func (n *condBlock) IsRaw() bool                      { return false }

// markerBlock is a line holding nothing but {{#if ...}}, {{else}} or
// {{/if}}. Parsing it as a block of its own, which may interrupt a
// paragraph, lets authors put markers on their own lines without blank
// lines around them, and still wrap whole paragraphs and list items.
type markerBlock struct {
	ast.BaseBlock
	tag *tagNode
}

var kindMarkerBlock = ast.NewNodeKind("ClauseMarkerBlock")

func (n *markerBlock) Kind() ast.NodeKind            { return kindMarkerBlock }
func (n *markerBlock) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

var reMarkerLine = regexp.MustCompile(`^[ \t]*(\{\{\s*(?:#if\s[^{}]*|else|/if)\s*\}\})[ \t]*\n?$`)

type markerParser struct{}

func (markerParser) Trigger() []byte { return []byte{'{'} }

func (markerParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	m := reMarkerLine.FindSubmatchIndex(line)
	if m == nil {
		return nil, parser.NoChildren
	}
	tag := parseTag(line[m[2]:m[3]], seg.Start+m[2])
	reader.Advance(seg.Len() - 1)
	return &markerBlock{tag: tag}, parser.NoChildren
}

func (markerParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return parser.Close
}
func (markerParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {}
func (markerParser) CanInterruptParagraph() bool                                { return true }
func (markerParser) CanAcceptIndentedLine() bool                                { return false }

var (
	reName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reVar    = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:\s+as\s+"([^"]*)")?$`)
	reIf     = regexp.MustCompile(`^#if\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s*==?\s*"([^"]*)")?$`)
	reXRef   = regexp.MustCompile(`^[A-Z]{2,5}-[0-9]{1,3}$`)
	tagUsage = `write {{name}}, {{name as "format"}}, {{#if name}}, {{#if name = "value"}}, {{else}} or {{/if}}`
)

type tagParser struct{}

func (tagParser) Trigger() []byte { return []byte{'{', '['} }

func (tagParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if len(line) < 2 {
		return nil
	}
	if line[0] == '[' {
		if line[1] != '[' {
			return nil
		}
		end := bytes.Index(line, []byte("]]"))
		if end < 0 {
			return nil
		}
		id := strings.TrimSpace(string(line[2:end]))
		if !reXRef.MatchString(id) {
			return nil // an ordinary link label, e.g. [[1]](url)
		}
		block.Advance(end + 2)
		return &tagNode{kind: tagXRef, name: id, raw: line[:end+2], off: seg.Start}
	}
	if line[1] != '{' {
		return nil
	}
	end := bytes.Index(line, []byte("}}"))
	if end < 0 {
		n := bytes.IndexAny(line, "\r\n")
		if n < 0 {
			n = len(line)
		}
		block.Advance(n)
		return &tagNode{kind: tagBad, raw: line[:n], off: seg.Start,
			msg: fmt.Sprintf("%q is not closed with }} on the same line", line[:n])}
	}
	block.Advance(end + 2)
	return parseTag(line[:end+2], seg.Start)
}

// parseTag reads the inside of one {{...}}.
func parseTag(raw []byte, off int) *tagNode {
	t := &tagNode{raw: raw, off: off}
	in := strings.TrimSpace(string(raw[2 : len(raw)-2]))
	switch {
	case in == "else":
		t.kind = tagElse
	case in == "/if":
		t.kind = tagEnd
	case strings.HasPrefix(in, "#if"):
		m := reIf.FindStringSubmatch(in)
		if m == nil {
			t.kind, t.msg = tagBad, fmt.Sprintf("cannot read %s: a condition is {{#if name}} or {{#if name = \"value\"}}", raw)
			break
		}
		t.kind, t.name, t.value = tagIf, m[1], m[2]
		t.hasCmp = strings.Contains(in, "=")
	default:
		m := reVar.FindStringSubmatch(in)
		if m == nil {
			t.kind, t.msg = tagBad, fmt.Sprintf("cannot read %s", raw)
			break
		}
		t.kind, t.name, t.format = tagVar, m[1], m[2]
		if strings.Contains(in, " as ") && m[2] == "" {
			t.kind, t.msg = tagBad, fmt.Sprintf("%s has an empty format", raw)
		}
	}
	return t
}

// syntaxError is a problem in the body found while parsing.
type syntaxError struct {
	off       int
	msg, hint string
}

// condTransformer pairs if/else/end tags. Errors go to the slice the
// parse context holds under errsKey.
type condTransformer struct {
	errs *[]syntaxError
}

func (condTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	errs, _ := pc.Get(errsKey).(*[]syntaxError)
	if errs == nil {
		errs = new([]syntaxError)
	}
	t := condTransformer{errs: errs}
	// Inline level first: pair tags inside each paragraph, unless the
	// paragraph holds a lone marker, which belongs to the block level.
	source := reader.Source()
	var inlineHosts []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && n.Type() == ast.TypeBlock && n.FirstChild() != nil && n.FirstChild().Type() == ast.TypeInline {
			inlineHosts = append(inlineHosts, n)
		}
		return ast.WalkContinue, nil
	})
	for _, h := range inlineHosts {
		if loneMarker(h, source) == nil {
			t.pairInline(h)
		}
	}
	t.pairBlocks(doc, source)
}

// loneMarker returns the if/else/end tag when it is the only content of
// block n (a marker line, a paragraph, or a list item holding just that).
func loneMarker(n ast.Node, source []byte) *tagNode {
	if n.Kind() == ast.KindListItem {
		if n.FirstChild() == nil || n.FirstChild() != n.LastChild() {
			return nil
		}
		n = n.FirstChild()
	}
	if m, ok := n.(*markerBlock); ok {
		return m.tag
	}
	if n.Kind() != ast.KindParagraph && n.Kind() != ast.KindTextBlock {
		return nil
	}
	var found *tagNode
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *tagNode:
			if found != nil || (c.kind != tagIf && c.kind != tagElse && c.kind != tagEnd) {
				return nil
			}
			found = c
		case *ast.Text:
			if len(bytes.TrimSpace(c.Segment.Value(source))) != 0 {
				return nil
			}
		default:
			return nil
		}
	}
	return found
}

func (t condTransformer) errorf(off int, hint, format string, args ...any) {
	*t.errs = append(*t.errs, syntaxError{off: off, msg: fmt.Sprintf(format, args...), hint: hint})
}

const hintIf = "every {{#if ...}} needs a {{/if}} in the same paragraph, or both on lines of their own around whole paragraphs or list items (see content/README.md)"

// pairInline wraps the inline children between paired tags of host.
func (t condTransformer) pairInline(host ast.Node) {
	type open struct {
		tag *tagNode
		els *tagNode
	}
	var stack []open
	for c := host.FirstChild(); c != nil; {
		next := c.NextSibling()
		tg, ok := c.(*tagNode)
		if !ok {
			c = next
			continue
		}
		switch tg.kind {
		case tagIf:
			stack = append(stack, open{tag: tg})
		case tagElse:
			if len(stack) == 0 || stack[len(stack)-1].els != nil {
				t.errorf(tg.off, hintIf, "{{else}} without a matching {{#if}} in this paragraph")
			} else {
				stack[len(stack)-1].els = tg
			}
		case tagEnd:
			if len(stack) == 0 {
				t.errorf(tg.off, hintIf, "{{/if}} without a matching {{#if}} in this paragraph")
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cond := &condInline{open: o.tag}
			then, els := &branchInline{then: true}, &branchInline{}
			cond.AppendChild(cond, then)
			cond.AppendChild(cond, els)
			dst := ast.Node(then)
			for n := o.tag.NextSibling(); n != tg; {
				nn := n.NextSibling()
				if n == o.els {
					dst = els
					host.RemoveChild(host, n)
				} else {
					dst.AppendChild(dst, n) // AppendChild detaches n from host
				}
				n = nn
			}
			host.ReplaceChild(host, o.tag, cond)
			host.RemoveChild(host, tg)
		}
		c = next
	}
	for _, o := range stack {
		t.errorf(o.tag.off, hintIf, "{{#if %s}} is not closed with {{/if}} in this paragraph", o.tag.name)
	}
}

// pairBlocks pairs lone-marker blocks among the children of each container.
func (t condTransformer) pairBlocks(n ast.Node, source []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if c.Type() == ast.TypeBlock && !(c.FirstChild() != nil && c.FirstChild().Type() == ast.TypeInline) && loneMarker(c, source) == nil {
			t.pairBlocks(c, source)
		}
	}
	type open struct {
		tag      *tagNode
		tagBlock ast.Node
		els      ast.Node
	}
	var stack []open
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		m := loneMarker(c, source)
		if m == nil {
			c = next
			continue
		}
		switch m.kind {
		case tagIf:
			stack = append(stack, open{tag: m, tagBlock: c})
		case tagElse:
			if len(stack) == 0 || stack[len(stack)-1].els != nil {
				t.errorf(m.off, hintIf, "{{else}} without a matching {{#if}}")
			} else {
				stack[len(stack)-1].els = c
			}
		case tagEnd:
			if len(stack) == 0 {
				t.errorf(m.off, hintIf, "{{/if}} without a matching {{#if}}")
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cond := &condBlock{open: o.tag}
			then, els := &branchBlock{then: true}, &branchBlock{}
			cond.AppendChild(cond, then)
			cond.AppendChild(cond, els)
			dst := ast.Node(then)
			for b := o.tagBlock.NextSibling(); b != c; {
				nb := b.NextSibling()
				if b == o.els {
					dst = els
					n.RemoveChild(n, b)
				} else {
					dst.AppendChild(dst, b)
				}
				b = nb
			}
			n.ReplaceChild(n, o.tagBlock, cond)
			n.RemoveChild(n, c)
		}
		c = next
	}
	for _, o := range stack {
		t.errorf(o.tag.off, hintIf, "{{#if %s}} is not closed with {{/if}}", o.tag.name)
	}
}

// errsKey holds the *[]syntaxError of one parse in the parser context,
// so that one parser, built once, serves every clause and goroutine.
var errsKey = parser.NewContextKey()

// clauseParser is goldmark's CommonMark parser with the clause extension.
// It holds no per-document state and goldmark parsers are safe for
// concurrent use, so it is built once.
var clauseParser = sync.OnceValue(func() parser.Parser {
	p := goldmark.New().Parser()
	p.AddOptions(
		parser.WithBlockParsers(util.Prioritized(markerParser{}, 50)),
		parser.WithInlineParsers(util.Prioritized(tagParser{}, 90)),
		parser.WithASTTransformers(util.Prioritized(condTransformer{}, 100)),
	)
	return p
})

// parseBody parses src and returns the document and the syntax errors the
// transformer found.
func parseBody(src []byte) (ast.Node, []syntaxError) {
	var errs []syntaxError
	ctx := parser.NewContext()
	ctx.Set(errsKey, &errs)
	doc := clauseParser().Parse(text.NewReader(src), parser.WithContext(ctx))
	return doc, errs
}
