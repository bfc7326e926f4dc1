package ovf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Rewrite returns descriptor with the ovf:href and ovf:size attributes of
// its References/File elements changed, and every other byte (comments,
// whitespace, namespace prefixes, attribute order, line endings) kept as
// it was. A signed OVF's manifest therefore changes only where a file was
// renamed or resized, and the result reads exactly like the exporter's.
//
// files maps a File's current href (as Parse reports it, entities
// decoded) to its new href and size. A size below zero leaves the size
// attribute as it is; a File without ovf:size gets one after its href.
// Every key must match a File, so that a misspelt href is an error rather
// than a silently unchanged descriptor.
func Rewrite(descriptor []byte, files map[string]FileRef) ([]byte, error) {
	if len(descriptor) > MaxDescriptorSize {
		return nil, ErrTooLarge
	}
	bom := 0
	if bytes.HasPrefix(descriptor, []byte("\xEF\xBB\xBF")) {
		bom = 3
	}
	d, err := newDecoder(descriptor[bom:])
	if err != nil {
		return nil, err
	}
	var edits []edit
	used := map[string]bool{}
	var stack []string
	for {
		start := bom + int(d.InputOffset())
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
			stack = append(stack, t.Name.Local)
			if len(stack) != 3 || stack[1] != "References" || t.Name.Local != "File" {
				continue
			}
			end := bom + int(d.InputOffset())
			href := ""
			for _, a := range t.Attr {
				if a.Name.Local == "href" {
					href = a.Value
				}
			}
			ref, ok := files[href]
			if !ok {
				continue
			}
			used[href] = true
			e, err := fileEdits(descriptor, start, end, ref)
			if err != nil {
				return nil, &Error{Line: line, Element: strings.Join(stack, "/"), Msg: fmt.Sprintf("File %q", href), Err: err}
			}
			edits = append(edits, e...)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	var missing []string
	for href := range files {
		if !used[href] {
			missing = append(missing, strconv.Quote(href))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &Error{Msg: fmt.Sprintf("no References/File has href %s; nothing to rewrite for it", strings.Join(missing, ", "))}
	}
	return applyEdits(descriptor, edits), nil
}

// edit replaces descriptor[from:to] with text.
type edit struct {
	from, to int
	text     []byte
}

func applyEdits(src []byte, edits []edit) []byte {
	slices.SortStableFunc(edits, func(a, b edit) int { return a.from - b.from })
	var out bytes.Buffer
	out.Grow(len(src) + 64*len(edits))
	pos := 0
	for _, e := range edits {
		out.Write(src[pos:e.from])
		out.Write(e.text)
		pos = e.to
	}
	out.Write(src[pos:])
	return out.Bytes()
}

// rawAttr locates one attribute inside a start tag's bytes.
type rawAttr struct {
	name           string
	valFrom, valTo int // value, without quotes
	quote          byte
}

// scanStartTag lists the attributes of the well-formed start tag
// src[from:to], which the decoder has already checked.
func scanStartTag(src []byte, from, to int) ([]rawAttr, error) {
	bad := errors.New("cannot locate the attributes in the start tag")
	if from < 0 || to > len(src) || from >= to || src[from] != '<' {
		return nil, bad
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	i := from + 1
	for i < to && !isSpace(src[i]) && src[i] != '/' && src[i] != '>' {
		i++
	}
	var attrs []rawAttr
	for {
		for i < to && isSpace(src[i]) {
			i++
		}
		if i >= to {
			return nil, bad
		}
		if src[i] == '/' || src[i] == '>' {
			return attrs, nil
		}
		nameFrom := i
		for i < to && src[i] != '=' && !isSpace(src[i]) {
			i++
		}
		name := string(src[nameFrom:i])
		for i < to && isSpace(src[i]) {
			i++
		}
		if i >= to || src[i] != '=' {
			return nil, bad
		}
		i++
		for i < to && isSpace(src[i]) {
			i++
		}
		if i >= to || (src[i] != '"' && src[i] != '\'') {
			return nil, bad
		}
		q := src[i]
		i++
		valFrom := i
		for i < to && src[i] != q {
			i++
		}
		if i >= to {
			return nil, bad
		}
		attrs = append(attrs, rawAttr{name: name, valFrom: valFrom, valTo: i, quote: q})
		i++
	}
}

func localName(qname string) string {
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

func fileEdits(src []byte, from, to int, ref FileRef) ([]edit, error) {
	if strings.TrimSpace(ref.Href) == "" {
		return nil, errors.New("the new href is empty")
	}
	attrs, err := scanStartTag(src, from, to)
	if err != nil {
		return nil, err
	}
	var edits []edit
	var href *rawAttr
	hasSize := false
	for i := range attrs {
		a := &attrs[i]
		switch localName(a.name) {
		case "href":
			href = a
			edits = append(edits, edit{a.valFrom, a.valTo, escapeAttr(ref.Href)})
		case "size":
			hasSize = true
			if ref.Size >= 0 {
				edits = append(edits, edit{a.valFrom, a.valTo, []byte(strconv.FormatInt(ref.Size, 10))})
			}
		}
	}
	if href == nil {
		return nil, errors.New("no href attribute found in the start tag")
	}
	if !hasSize && ref.Size >= 0 {
		prefix := ""
		if i := strings.LastIndexByte(href.name, ':'); i >= 0 {
			prefix = href.name[:i+1]
		}
		text := fmt.Sprintf(" %ssize=%c%d%c", prefix, href.quote, ref.Size, href.quote)
		edits = append(edits, edit{href.valTo + 1, href.valTo + 1, []byte(text)})
	}
	return edits, nil
}

// escapeAttr escapes s for either quote character.
func escapeAttr(s string) []byte {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) // escapes &, <, >, both quotes, tab, CR, LF
	return b.Bytes()
}
