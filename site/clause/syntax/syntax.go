// Package syntax is the clause template language, TemplateMark-style, as a
// goldmark extension: an inline parser turns {{...}} and [[ID]] into Tag
// nodes that keep their byte offsets in the file, and an AST transformer
// pairs {{#if}}, {{else}} and {{/if}} into conditional nodes, inline
// within one paragraph (CondInline) or around whole blocks and list items
// (CondBlock).
//
// Call Parse on a clause file (front matter blanked, so offsets are file
// offsets); package clause walks the tree to validate and render it.
package syntax

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

// TagOp says what a Tag is.
type TagOp int

const (
	Var  TagOp = iota // {{name}} or {{name as "format"}}
	If                // {{#if name}} or {{#if name = "value"}}
	Else              // {{else}}
	End               // {{/if}}
	XRef              // [[EM-3]]
	Bad               // a tag that cannot be read; Msg says why
)

// Tag is one {{...}} or [[...]] in the body.
type Tag struct {
	ast.BaseInline
	Op     TagOp
	Name   string // parameter, or clause id for XRef
	Value  string // enum value compared in {{#if name = "value"}}
	HasCmp bool
	Format string // {{name as "format"}}
	Msg    string // for Bad: what is wrong
	Raw    []byte // the tag as written
	Off    int    // byte offset of the tag in the file
}

// Node kinds of the extension, for registering renderers.
var KindTag = ast.NewNodeKind("ClauseTag")

func (n *Tag) Kind() ast.NodeKind { return KindTag }
func (n *Tag) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Raw": string(n.Raw)}, nil)
}

// CondInline is a conditional inside one paragraph: its children are two
// BranchInline nodes, then and else.
type CondInline struct {
	ast.BaseInline
	Open *Tag
}

// CondBlock is a conditional around blocks (paragraphs, list items): its
// children are two BranchBlock nodes.
type CondBlock struct {
	ast.BaseBlock
	Open *Tag
}

type BranchInline struct {
	ast.BaseInline
	Then bool
}

type BranchBlock struct {
	ast.BaseBlock
	Then bool
}

var (
	KindCondInline   = ast.NewNodeKind("ClauseCondInline")
	KindCondBlock    = ast.NewNodeKind("ClauseCondBlock")
	KindBranchInline = ast.NewNodeKind("ClauseBranchInline")
	KindBranchBlock  = ast.NewNodeKind("ClauseBranchBlock")
)

func (n *CondInline) Kind() ast.NodeKind              { return KindCondInline }
func (n *CondBlock) Kind() ast.NodeKind               { return KindCondBlock }
func (n *BranchInline) Kind() ast.NodeKind            { return KindBranchInline }
func (n *BranchBlock) Kind() ast.NodeKind             { return KindBranchBlock }
func (n *CondInline) Dump(source []byte, level int)   { ast.DumpHelper(n, source, level, nil, nil) }
func (n *CondBlock) Dump(source []byte, level int)    { ast.DumpHelper(n, source, level, nil, nil) }
func (n *BranchInline) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }
func (n *BranchBlock) Dump(source []byte, level int)  { ast.DumpHelper(n, source, level, nil, nil) }
func (n *BranchBlock) IsRaw() bool                    { return false }
func (n *CondBlock) IsRaw() bool                      { return false }

// MarkerBlock is a line holding nothing but {{#if ...}}, {{else}} or
// {{/if}}. Parsing it as a block of its own, which may interrupt a
// paragraph, lets authors put markers on their own lines without blank
// lines around them, and still wrap whole paragraphs and list items.
type MarkerBlock struct {
	ast.BaseBlock
	Tag *Tag
}

var KindMarkerBlock = ast.NewNodeKind("ClauseMarkerBlock")

func (n *MarkerBlock) Kind() ast.NodeKind            { return KindMarkerBlock }
func (n *MarkerBlock) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

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
	return &MarkerBlock{Tag: tag}, parser.NoChildren
}

func (markerParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return parser.Close
}
func (markerParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {}
func (markerParser) CanInterruptParagraph() bool                                { return true }
func (markerParser) CanAcceptIndentedLine() bool                                { return false }

var (
	reName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reVar  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:\s+as\s+"([^"]*)")?$`)
	reIf   = regexp.MustCompile(`^#if\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s*==?\s*"([^"]*)")?$`)
	reXRef = regexp.MustCompile(`^[A-Z]{2,5}-[0-9]{1,3}$`)
)

// Usage says how to write a tag, for hints.
const Usage = `write {{name}}, {{name as "format"}}, {{#if name}}, {{#if name = "value"}}, {{else}} or {{/if}}`

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
		return &Tag{Op: XRef, Name: id, Raw: line[:end+2], Off: seg.Start}
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
		return &Tag{Op: Bad, Raw: line[:n], Off: seg.Start,
			Msg: fmt.Sprintf("%q is not closed with }} on the same line", line[:n])}
	}
	block.Advance(end + 2)
	return parseTag(line[:end+2], seg.Start)
}

// parseTag reads the inside of one {{...}}.
func parseTag(raw []byte, off int) *Tag {
	t := &Tag{Raw: raw, Off: off}
	in := strings.TrimSpace(string(raw[2 : len(raw)-2]))
	switch {
	case in == "else":
		t.Op = Else
	case in == "/if":
		t.Op = End
	case strings.HasPrefix(in, "#if"):
		m := reIf.FindStringSubmatch(in)
		if m == nil {
			t.Op, t.Msg = Bad, fmt.Sprintf("cannot read %s: a condition is {{#if name}} or {{#if name = \"value\"}}", raw)
			break
		}
		t.Op, t.Name, t.Value = If, m[1], m[2]
		t.HasCmp = strings.Contains(in, "=")
	default:
		m := reVar.FindStringSubmatch(in)
		if m == nil {
			t.Op, t.Msg = Bad, fmt.Sprintf("cannot read %s", raw)
			break
		}
		t.Op, t.Name, t.Format = Var, m[1], m[2]
		if strings.Contains(in, " as ") && m[2] == "" {
			t.Op, t.Msg = Bad, fmt.Sprintf("%s has an empty format", raw)
		}
	}
	return t
}

// Error is a problem in the body found while parsing.
type Error struct {
	Off       int // byte offset in the file
	Msg, Hint string
}

// condTransformer pairs if/else/end tags. Errors go to the slice the
// parse context holds under errsKey.
type condTransformer struct {
	errs *[]Error
}

func (condTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	errs, _ := pc.Get(errsKey).(*[]Error)
	if errs == nil {
		errs = new([]Error)
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
func loneMarker(n ast.Node, source []byte) *Tag {
	if n.Kind() == ast.KindListItem {
		if n.FirstChild() == nil || n.FirstChild() != n.LastChild() {
			return nil
		}
		n = n.FirstChild()
	}
	if m, ok := n.(*MarkerBlock); ok {
		return m.Tag
	}
	if n.Kind() != ast.KindParagraph && n.Kind() != ast.KindTextBlock {
		return nil
	}
	var found *Tag
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *Tag:
			if found != nil || (c.Op != If && c.Op != Else && c.Op != End) {
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
	*t.errs = append(*t.errs, Error{Off: off, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

const hintIf = "every {{#if ...}} needs a {{/if}} in the same paragraph, or both on lines of their own around whole paragraphs or list items (see content/README.md)"

// pairInline wraps the inline children between paired tags of host.
func (t condTransformer) pairInline(host ast.Node) {
	type open struct {
		tag *Tag
		els *Tag
	}
	var stack []open
	for c := host.FirstChild(); c != nil; {
		next := c.NextSibling()
		tg, ok := c.(*Tag)
		if !ok {
			c = next
			continue
		}
		switch tg.Op {
		case If:
			stack = append(stack, open{tag: tg})
		case Else:
			if len(stack) == 0 || stack[len(stack)-1].els != nil {
				t.errorf(tg.Off, hintIf, "{{else}} without a matching {{#if}} in this paragraph")
			} else {
				stack[len(stack)-1].els = tg
			}
		case End:
			if len(stack) == 0 {
				t.errorf(tg.Off, hintIf, "{{/if}} without a matching {{#if}} in this paragraph")
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cond := &CondInline{Open: o.tag}
			then, els := &BranchInline{Then: true}, &BranchInline{}
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
		t.errorf(o.tag.Off, hintIf, "{{#if %s}} is not closed with {{/if}} in this paragraph", o.tag.Name)
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
		tag      *Tag
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
		switch m.Op {
		case If:
			stack = append(stack, open{tag: m, tagBlock: c})
		case Else:
			if len(stack) == 0 || stack[len(stack)-1].els != nil {
				t.errorf(m.Off, hintIf, "{{else}} without a matching {{#if}}")
			} else {
				stack[len(stack)-1].els = c
			}
		case End:
			if len(stack) == 0 {
				t.errorf(m.Off, hintIf, "{{/if}} without a matching {{#if}}")
				break
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cond := &CondBlock{Open: o.tag}
			then, els := &BranchBlock{Then: true}, &BranchBlock{}
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
		t.errorf(o.tag.Off, hintIf, "{{#if %s}} is not closed with {{/if}}", o.tag.Name)
	}
}

// errsKey holds the *[]Error of one parse in the parser context,
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

// Parse parses src and returns the document and the syntax errors the
// transformer found.
func Parse(src []byte) (ast.Node, []Error) {
	var errs []Error
	ctx := parser.NewContext()
	ctx.Set(errsKey, &errs)
	doc := clauseParser().Parse(text.NewReader(src), parser.WithContext(ctx))
	return doc, errs
}

// ValidName reports whether s can name a parameter: letters, digits and
// underscores, not starting with a digit.
func ValidName(s string) bool { return reName.MatchString(s) }
