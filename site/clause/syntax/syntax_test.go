package syntax

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark/ast"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// tags lists the tags of a parsed body in document order.
func tags(doc ast.Node) []*Tag {
	var out []*Tag
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *Tag:
			out = append(out, n)
		case *CondInline:
			out = append(out, n.Open)
		case *CondBlock:
			out = append(out, n.Open)
		}
		return ast.WalkContinue, nil
	})
	return out
}

func TestParseReadsTagsWithTheirOffsets(t *testing.T) {
	src := "Lasts {{days}} from {{start as \"D MMMM YYYY\"}}; see [[EM-3]].\n\n{{#if plan = \"dedicated\"}}Own hosts.{{/if}}\n"
	doc, errs := Parse([]byte(src))
	if len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	got := tags(doc)
	want := []struct {
		op     TagOp
		name   string
		format string
	}{{Var, "days", ""}, {Var, "start", "D MMMM YYYY"}, {XRef, "EM-3", ""}, {If, "plan", ""}}
	if len(got) != len(want) {
		t.Fatalf("%d tags, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Op != w.op || g.Name != w.name || g.Format != w.format || !strings.HasPrefix(src[g.Off:], string(g.Raw)) {
			t.Errorf("tag %d: %+v at %d, want %+v", i, g, g.Off, w)
		}
	}
	if got[3].Value != "dedicated" || !got[3].HasCmp {
		t.Errorf("the condition compares %q (%v)", got[3].Value, got[3].HasCmp)
	}
}

func TestParseReportsUnpairedConditions(t *testing.T) {
	for _, src := range []string{"{{#if a}} never closed.\n", "Stray {{/if}}.\n", "{{#if a}}\n\nText.\n"} {
		if _, errs := Parse([]byte(src)); len(errs) != 1 || errs[0].Hint == "" {
			t.Errorf("%q: errors %+v, want one with a hint", src, errs)
		}
	}
	if !ValidName("retrieval_period_days") || ValidName("9lives") {
		t.Error("ValidName")
	}
}

// FuzzParse: any body parses without a panic, and every tag's offset
// points at its text.
func FuzzParse(f *testing.F) {
	f.Add("{{#if a}}\n- x {{b}}\n{{else}}\n- y [[EM-1]]\n{{/if}}\n")
	f.Fuzz(func(t *testing.T, src string) {
		doc, _ := Parse([]byte(src))
		for _, tg := range tags(doc) {
			if tg.Off < 0 || tg.Off > len(src) || !strings.HasPrefix(src[tg.Off:], string(tg.Raw)) {
				t.Fatalf("tag %q at %d", tg.Raw, tg.Off)
			}
		}
	})
}
