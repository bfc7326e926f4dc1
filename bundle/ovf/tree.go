package ovf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxDescriptorSize bounds what Parse and Rewrite read. Real descriptors
// are kilobytes; the largest in the wild (appliances with hundreds of
// properties) stay under a megabyte.
const MaxDescriptorSize = 32 << 20

// maxDepth bounds element nesting so that a hostile descriptor cannot
// make the walk recurse without end. OVF needs about ten levels.
const maxDepth = 128

// ErrTooLarge is returned for input longer than MaxDescriptorSize.
var ErrTooLarge = fmt.Errorf("ovf: descriptor is larger than %d MiB: not an OVF descriptor, or a disk given in its place", MaxDescriptorSize>>20)

// Error is a problem in a descriptor: what is wrong and where.
type Error struct {
	Line    int    // 1-based line of the element, 0 when unknown
	Element string // path of the element, e.g. "Envelope/References/File"
	Msg     string
	Err     error // underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ovf: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Element != "" {
		b.WriteString(e.Element)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// node is one element of the descriptor, namespaces reduced to local
// names: exporters disagree on prefixes and even on namespace URIs
// (OVF 1.0 vs 2.0, CIM schema versions), and no two elements OVF defines
// share a local name where it matters.
type node struct {
	name     string // local name
	path     string
	line     int
	attrs    []xml.Attr
	children []*node
	text     strings.Builder
}

// attr returns the attribute with the local name, in any namespace.
func (n *node) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) attrOr(local, def string) string {
	if v, ok := n.attr(local); ok {
		return v
	}
	return def
}

func (n *node) child(local string) *node {
	for _, c := range n.children {
		if c.name == local {
			return c
		}
	}
	return nil
}

// childText is the trimmed text of the first child with the local name.
func (n *node) childText(local string) string {
	if c := n.child(local); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

func (n *node) errorf(format string, args ...any) *Error {
	return &Error{Line: n.line, Element: n.path, Msg: fmt.Sprintf(format, args...)}
}

// readAll reads at most MaxDescriptorSize bytes and fails beyond.
func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDescriptorSize+1))
	if err != nil {
		return nil, fmt.Errorf("ovf: read descriptor: %w", err)
	}
	if len(data) > MaxDescriptorSize {
		return nil, ErrTooLarge
	}
	return data, nil
}

// newDecoder returns a strict decoder that accepts the encodings OVF
// descriptors are written in. It reads data unchanged so that byte
// offsets stay those of the input (Rewrite depends on that).
func newDecoder(data []byte) (*xml.Decoder, error) {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return nil, &Error{Msg: "descriptor is UTF-16 encoded; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)"}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "us-ascii", "ascii", "utf8":
			return input, nil
		}
		return nil, fmt.Errorf("descriptor declares encoding %q; convert it to UTF-8 first (iconv -f %s -t UTF-8)", label, label)
	}
	return d, nil
}

// parseTree builds the element tree of data.
func parseTree(data []byte) (*node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Msg: "descriptor is empty"}
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")) // a UTF-8 byte order mark
	d, err := newDecoder(data)
	if err != nil {
		return nil, err
	}
	var root *node
	var stack []*node
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, &Error{Line: line, Msg: fmt.Sprintf("elements nest deeper than %d levels: not an OVF descriptor", maxDepth)}
			}
			n := &node{name: sectionName(t), line: line, attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, &Error{Line: line, Msg: "more than one root element"}
				}
				root = n
				n.path = n.name
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
				n.path = parent.path + "/" + n.name
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, &Error{Msg: "no XML element found: not an OVF descriptor"}
	}
	return root, nil
}

// sectionName is the element's local name, or for the OVF 0.9 style
// <Section xsi:type="ovf:DiskSection_Type"> the name of the type.
func sectionName(t xml.StartElement) string {
	if t.Name.Local != "Section" && t.Name.Local != "Content" {
		return t.Name.Local
	}
	for _, a := range t.Attr {
		if a.Name.Local == "type" && a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" {
			v := a.Value
			if i := strings.LastIndexByte(v, ':'); i >= 0 {
				v = v[i+1:]
			}
			if v = strings.TrimSuffix(v, "_Type"); v != "" {
				return v
			}
		}
	}
	return t.Name.Local
}

func xmlError(d *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{Line: se.Line, Msg: "not well-formed XML", Err: errors.New(se.Msg)}
	}
	line, _ := d.InputPos()
	return &Error{Line: line, Msg: "cannot read XML", Err: err}
}
