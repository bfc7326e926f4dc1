package clause

import (
	"strings"
	"testing"
)

const fuzzHeader = `---
id: EM-5
title: Fuzz
version: 1.0.0
effective: 2026-01-12
status: published
lang: en
order: 5
params:
  f: {type: boolean, default: true, description: f}
  plan: {type: enum, values: [a, b], default: a, description: p}
  d: {type: days, default: 30, description: d}
  m: {type: money, default: 12.5, description: m}
  dt: {type: date, default: 2026-01-12, description: dt}
---
`

// FuzzTemplate feeds arbitrary clause bodies through the goldmark
// extension, validation and both renderings: nothing may panic, and every
// rendering must be in canonical form.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"{{d}} and {{m as \"EUR 0,0.00\"}} on {{dt as \"D MMMM YYYY\"}}\n",
		"{{#if f}}a{{else}}b{{/if}}\n",
		"{{#if f}}\npara\n\n- x\n{{else}}\ny\n{{/if}}\n",
		"- {{#if plan = \"b\"}}\n- item\n- {{/if}}\n",
		"1. a\n{{#if f}}\n2. b\n{{/if}}\n",
		"[[EM-5]] [[1]](x) [[ EM-5 ]] {{",
		"{{#if f}}{{#if f}}{{/if}}\n{{/if}}\n{{else}}",
		"> {{#if f}}\n> q\n> {{/if}}\n",
		"```\n{{d}}\n```\n",
		"**\"Term\"** means {{d}}.\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, _ := parseClause("EM-5-v1.0.0.md", []byte(fuzzHeader+body), "en")
		if c == nil {
			return // the body cannot break the header above, but a NUL-less YAML edge may
		}
		l := &Library{Clauses: []*Clause{c}}
		l.validate()
		for _, p := range []*Profile{nil, {}, {Values: map[string]any{"f": false, "plan": "b"}}} {
			r, err := c.Render(l, p)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if !strings.HasSuffix(r.Text, "\n") || strings.HasSuffix(r.Text, "\n\n") || strings.Contains(r.Text, " \n") || strings.Contains(r.Text, "\r") {
				t.Fatalf("text not canonical: %q", r.Text)
			}
			if r.Fingerprint != Fingerprint(r.Text) {
				t.Fatal("fingerprint mismatch")
			}
		}
		_ = l.Glossary("en")
		_ = Validate(l, nil)
	})
}

// FuzzFrontMatter feeds arbitrary files to the clause and profile parsers:
// they must report findings, never panic, and locate every finding inside
// the file.
func FuzzFrontMatter(f *testing.F) {
	for _, s := range []string{
		fuzzHeader + "text\n",
		"---\nid: [\n---\n",
		"---\nparams:\n  x: 3\n---\n",
		"---\nparams:\n  x: {type: money, default: abc, min: z}\n---\n",
		"---\n---\n",
		"no front matter",
		"---\r\nid: EM-1\r\n---\r\n",
		"lang: en\nvalues:\n  a: 1\nnot_applicable:\n  - rule: X\n",
		"values: [1, 2]\nclauses: {a: b}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 2
		_, fs := parseClause("x.md", []byte(src), "en")
		for _, fd := range fs {
			if fd.Line < 1 || fd.Line > lines+1 || fd.Col < 1 {
				t.Fatalf("finding outside the file (%d lines): %s", lines, fd)
			}
		}
		p, err := parseProfile("p.yaml", []byte(src))
		if err == nil && p == nil {
			t.Fatal("nil profile without error")
		}
	})
}
