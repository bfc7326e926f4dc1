package render

import (
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/site/clause/param"
	"github.com/exitkit/exitkit/site/clause/syntax"
)

var testParams = []param.Param{
	{Name: "d", Type: param.TypeDays, Default: 60, Description: "Days to <retrieve>."},
	{Name: "f", Type: param.TypeBoolean, Default: true},
	{Name: "plan", Type: param.TypeEnum, Values: []string{"a", "b"}, Default: "a"},
	{Name: "who", Type: param.TypeString},
}

func env(library bool, values map[string]any) *Env {
	return &Env{
		Heading: "EM-5 Test v1.0.0", Lang: "en", Params: testParams, Library: library, Values: values,
		XRef: func(id string) (int, string, bool) {
			if id == "EM-1" {
				return 1, "Definitions", true
			}
			return 0, "", false
		},
	}
}

func TestRenderGivesTheCanonicalTextOfEachView(t *testing.T) {
	body := "Keep {{d}} for {{who}}; see [[EM-1]] and [[EM-9]].\n\n" +
		"{{#if f}}\nKept\nwrapped.\n{{else}}\nGone.\n{{/if}}\n\n" +
		"- {{#if plan = \"b\"}}only b{{/if}}\n- y\n"
	tests := []struct {
		name string
		env  *Env
		want string
	}{
		{"the library view shows placeholders and labels both branches", env(true, nil),
			"# EM-5 Test v1.0.0\n\nKeep [d: default 60 days] for [who: to be agreed]; see clause 1 (Definitions) and [[EM-9]].\n\n" +
				"[If f:]\n\nKept wrapped.\n\n[Otherwise:]\n\nGone.\n\n[End if]\n\n- [If plan is \"b\":] only b [End if]\n- y\n"},
		{"the customer view prints values and keeps the chosen branch", env(false, map[string]any{"d": 30, "f": false, "plan": "b", "who": "ACME"}),
			"# EM-5 Test v1.0.0\n\nKeep 30 days for ACME; see clause 1 (Definitions) and [[EM-9]].\n\nGone.\n\n- only b\n- y\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, html, err := Parse([]byte(body), 0).Render(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if text != tc.want {
				t.Errorf("got:\n%q\nwant:\n%q", text, tc.want)
			}
			if strings.Contains(html, "{{") || !strings.Contains(html, `<a class="xref" href="#EM-1" data-clause="EM-1">clause 1 (Definitions)</a>`) {
				t.Errorf("html:\n%s", html)
			}
		})
	}
}

func TestTheLibraryHTMLMarksEachPlaceholderWithItsDescription(t *testing.T) {
	e := env(true, nil)
	e.XRefURL = func(id string) string { return "/" + id + "/" }
	_, html, err := Parse([]byte("{{d}} [[EM-1]]\n"), 0).Render(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<span class="param" data-param="d" data-type="days" title="Days to &lt;retrieve&gt;.">[d: default 60 days]</span>`,
		`href="/EM-1/"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %s:\n%s", want, html)
		}
	}
}

func TestPosCountsLinesAndRunesOfTheWholeFile(t *testing.T) {
	file := []byte("---\nid: x\n---\nÉté {{d}}\n")
	tpl := Parse(file, len("---\nid: x\n---\n"))
	var got [][2]int
	tpl.Tags(func(tag *syntax.Tag) { l, c := tpl.Pos(tag.Off); got = append(got, [2]int{l, c}) })
	if len(got) != 1 || got[0] != [2]int{4, 5} {
		t.Errorf("tag at %v, want line 4 col 5", got)
	}
	if errs := Parse([]byte("{{#if f}}open\n"), 0).Errors(); len(errs) == 0 {
		t.Error("an unclosed {{#if}} gives no syntax error")
	}
}

func TestDefinitionsReadTermsInBoldQuotes(t *testing.T) {
	body := "- **\"Data\"** means the data kept for {{d}}.\n- **\"Exit\"**: the end.\n- **Bold** is no term.\n"
	got := Parse([]byte(body), 0).Definitions(env(false, nil))
	want := []Definition{{"Data", "the data kept for [d: default 60 days]."}, {"Exit", "the end."}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzRender feeds arbitrary bodies to Parse and both views: nothing may
// panic, and the text must be in canonical form.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"{{d}} {{#if f}}a{{else}}b{{/if}}\n", "- {{#if plan = \"b\"}}\n- x\n- {{/if}}\n", "> [[EM-1]]\n", "{{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		tpl := Parse([]byte(body), 0)
		for _, e := range []*Env{env(true, nil), env(false, map[string]any{"f": true})} {
			text, _, err := tpl.Render(e)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(text, "\n") || strings.HasSuffix(text, "\n\n") || strings.Contains(text, " \n") {
				t.Fatalf("text not canonical: %q", text)
			}
		}
		_ = tpl.Definitions(env(true, nil))
	})
}
