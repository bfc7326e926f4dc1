// Package yamlpos reads the legal team's YAML (front matter, profiles,
// obligations.yaml, site.yaml) keeping the position of every node, so that
// each problem is reported at its line and column and reading goes on: one
// run shows every mistake in a file.
//
// Make a [Reader] per file, call [Reader.Fields] (or [Reader.Document]) on
// its text and read the values with [Mapping], [Reader.Str], [Reader.Bool],
// [Reader.Date] and [Reader.Strings]; what is wrong ends up in
// Reader.Problems, which package clause turns into findings of that file.
package yamlpos

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a file, at a 1-based line and column.
type Problem struct {
	Line, Col                     int
	Severity, Code, Message, Hint string
}

// Severities and codes of problems in YAML files; they are those of
// package clause's findings.
const (
	SeverityError    = "error"
	SeverityWarning  = "warning"
	CodeFrontMatter  = "front-matter"  // the file is no YAML or no set of fields, or lacks one
	CodeWrongType    = "wrong-type"    // a value of the wrong kind
	CodeUnknownField = "unknown-field" // a field the file does not have
	CodeDuplicate    = "duplicate"     // an entry listed twice
)

var reYAMLErr = regexp.MustCompile(`line (\d+)`)

// Reader collects problems while reading one file.
type Reader struct {
	LineOff  int // added to YAML line numbers: 1 for front matter after "---"
	Problems []Problem
}

// Add records a problem at node n (line 1 when n is nil).
func (ld *Reader) Add(sev, code string, n *yaml.Node, hint, format string, args ...any) {
	f := Problem{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint}
	f.Line, f.Col = 1, 1
	if n != nil && n.Line > 0 {
		f.Line, f.Col = n.Line+ld.LineOff, max(n.Column, 1)
	}
	ld.Problems = append(ld.Problems, f)
}

// Errorf records an error at node n.
func (ld *Reader) Errorf(code string, n *yaml.Node, hint, format string, args ...any) {
	ld.Add(SeverityError, code, n, hint, format, args...)
}

// yamlError turns a yaml.v3 syntax error into a problem at its line.
func (ld *Reader) yamlError(err error, what string) {
	f := Problem{Line: 1, Col: 1, Severity: SeverityError, Code: CodeFrontMatter,
		Message: fmt.Sprintf("%s is not valid YAML: %s", what, strings.TrimPrefix(err.Error(), "yaml: ")),
		Hint:    "check indentation (spaces, not tabs), colons after keys, and quotes around values containing ': ' or '#'"}
	if m := reYAMLErr.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		f.Line = n + ld.LineOff
	}
	ld.Problems = append(ld.Problems, f)
}

// Document parses data as YAML; a syntax error becomes a problem and nil.
func (ld *Reader) Document(data []byte, what string) *yaml.Node {
	var root yaml.Node
	if err := yaml.Unmarshal(Normalize(data), &root); err != nil {
		ld.yamlError(err, what)
		return nil
	}
	return &root
}

// Fields parses data as one YAML mapping, as front matter and profiles
// are; when it is not one, a problem with hint and nil.
func (ld *Reader) Fields(data []byte, what, hint string) *yaml.Node {
	root := ld.Document(data, what)
	if root == nil {
		return nil
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		n := root
		if len(root.Content) > 0 {
			n = root.Content[0]
		}
		ld.Errorf(CodeFrontMatter, n, hint, "%s must be a set of fields", what)
		return nil
	}
	return root.Content[0]
}

// ByLang reads a mapping from language to text, such as an obligation's
// duty or the site's title.
func (ld *Reader) ByLang(v *yaml.Node, key string) map[string]string {
	m := map[string]string{}
	if v.Kind != yaml.MappingNode {
		ld.Errorf(CodeWrongType, v, "write one line per language, e.g. en: ...", "%s must map languages to text", key)
		return m
	}
	Mapping(v, func(k, v2 *yaml.Node) { m[k.Value], _ = ld.Str(v2, key+"."+k.Value) })
	return m
}

// Mapping iterates the key/value pairs of a mapping node.
func Mapping(n *yaml.Node, fn func(k, v *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

// Str reads a text value; a problem and false when v is not one.
func (ld *Reader) Str(v *yaml.Node, key string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		ld.Errorf(CodeWrongType, v, "write a single value on the same line as the key", "%s must be a text value", key)
		return "", false
	}
	return v.Value, true
}

// Bool reads true or false; a problem when v is neither.
func (ld *Reader) Bool(v *yaml.Node, key string) bool {
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		ld.Errorf(CodeWrongType, v, "write true or false", "%s must be true or false, not %q", key, v.Value)
	}
	return b
}

// Date reads a YYYY-MM-DD date; a problem and the zero time when v is not one.
func (ld *Reader) Date(v *yaml.Node, key string) time.Time {
	t, err := time.Parse("2006-01-02", v.Value)
	if v.Kind != yaml.ScalarNode || err != nil {
		ld.Errorf(CodeWrongType, v, "write the date as YYYY-MM-DD, e.g. 2026-01-12", "%s must be a date, not %q", key, v.Value)
	}
	return t
}

// Strings reads a list of text values; a problem and nil when v is not a list.
func (ld *Reader) Strings(v *yaml.Node, key string) []string {
	if v.Kind != yaml.SequenceNode {
		ld.Errorf(CodeWrongType, v, "write a list such as [a, b] or one '- item' per line", "%s must be a list", key)
		return nil
	}
	var out []string
	for _, it := range v.Content {
		if s, ok := ld.Str(it, key+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

// Scalar converts a YAML scalar to a Go value: int, float64, bool, string,
// time.Time for a YYYY-MM-DD date, or nil.
func Scalar(n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		return nil
	}
	switch n.ShortTag() {
	case "!!int":
		var i int
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!null":
		return nil
	case "!!timestamp":
		if t, err := time.Parse("2006-01-02", n.Value); err == nil {
			return t
		}
	}
	return n.Value
}

// SplitFrontMatter returns the YAML between the opening and closing ---
// lines and the offset where the body starts, or ok=false.
func SplitFrontMatter(data []byte) (fm []byte, bodyStart int, ok bool) {
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, 0, false
	}
	i := 4
	for i <= len(data) {
		end := bytes.IndexByte(data[i:], '\n')
		line := data[i:]
		next := len(data)
		if end >= 0 {
			line, next = data[i:i+end], i+end+1
		}
		if l := strings.TrimRight(string(line), " \t"); l == "---" || l == "..." {
			return data[4:i], next, true
		}
		if end < 0 {
			break
		}
		i = next
	}
	return nil, 0, false
}

// Normalize makes line endings \n and drops a byte-order mark, so offsets,
// positions and fingerprints do not depend on the editor used.
func Normalize(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
}
