package clause

import (
	"strings"
	"testing"
	"time"
)

// clauseFrom parses one clause file held in memory.
func clauseFrom(t testing.TB, lang, params, body string) (*Clause, *Library) {
	t.Helper()
	src := "---\nid: EM-5\ntitle: Test\nversion: 1.0.0\neffective: 2026-01-12\nstatus: published\nlang: " + lang + "\norder: 5\n"
	if params != "" {
		src += "params:\n" + params
	}
	src += "---\n" + body
	c, fs := parseClause("EM-5-v1.0.0.md", []byte(src), lang)
	if c == nil {
		t.Fatalf("parse: %s", dump(fs))
	}
	l := &Library{Clauses: []*Clause{c}}
	l.Findings = fs
	l.validate()
	if errs := errorsIn(l.Findings); len(errs) != 0 {
		t.Fatalf("unexpected errors:\n%s", dump(errs))
	}
	return c, l
}

func TestValuesAreFormattedPerLanguage(t *testing.T) {
	params := `  d: {type: days, default: 30, description: d}
  one: {type: days, default: 1, description: o}
  m: {type: money, default: 1234.5, description: m}
  dt: {type: date, default: 2026-03-01, description: dt}
  b: {type: boolean, default: true, description: b}
  n: {type: integer, default: 12, description: n}
`
	body := `{{d}} | {{one}} | {{m}} | {{m as "EUR 0,0"}} | {{m as "EUR 0.0,00"}} | {{dt}} | {{dt as "DD-MM-YYYY"}} | {{dt as "D MMM YYYY"}} | {{b}} | {{n}}` + "\n"
	tests := []struct{ lang, want string }{
		{"en", "30 days | 1 day | EUR 1,234.50 | EUR 1,235 | EUR 1.234,50 | 1 March 2026 | 01-03-2026 | 1 Mar 2026 | yes | 12"},
		{"nl", "30 dagen | 1 dag | EUR 1.234,50 | EUR 1,235 | EUR 1.234,50 | 1 maart 2026 | 01-03-2026 | 1 maa 2026 | ja | 12"},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			c, l := clauseFrom(t, tc.lang, params, body)
			r, err := c.Render(l, &Profile{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.SplitN(r.Text, "\n\n", 2)[1]; got != tc.want+"\n" {
				t.Fatalf("got  %q\nwant %q", got, tc.want+"\n")
			}
		})
	}
}

func TestLibraryViewMarksPlaceholdersWithDescriptionAndDefault(t *testing.T) {
	c, l := clauseFrom(t, "en", "  p: {type: days, default: 60, description: Days to retrieve <data>.}\n  q: {type: string, required: true, description: Name.}\n",
		"Retrieval lasts {{p}} for {{q}}.\n")
	r, err := c.Render(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "Retrieval lasts [p: default 60 days] for [q: to be agreed].") {
		t.Errorf("text: %q", r.Text)
	}
	want := `<span class="param" data-param="p" data-type="days" title="Days to retrieve &lt;data&gt;.">[p: default 60 days]</span>`
	if !strings.Contains(r.HTML, want) {
		t.Errorf("html lacks %s:\n%s", want, r.HTML)
	}
}

func TestConditionsChooseTheirBranch(t *testing.T) {
	params := "  f: {type: boolean, default: true, description: f}\n  plan: {type: enum, values: [a, b], default: a, description: p}\n"
	body := `Intro {{#if f}}yes{{else}}no{{/if}} and {{#if plan = "b"}}B{{else}}A{{/if}}.

{{#if f}}
Para one
wrapped.

Para two.
{{else}}
Para else.
{{/if}}

1. first
{{#if f}}
2. second
{{/if}}

- x
- {{#if plan = "b"}}
- only b
- {{/if}}
- y
`
	c, l := clauseFrom(t, "en", params, body)
	tests := []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"true and a", map[string]any{}, "# EM-5 Test v1.0.0\n\nIntro yes and A.\n\nPara one wrapped.\n\nPara two.\n\n1. first\n\n2. second\n\n- x\n- y\n"},
		{"false and b", map[string]any{"f": false, "plan": "b"}, "# EM-5 Test v1.0.0\n\nIntro no and B.\n\nPara else.\n\n1. first\n\n- x\n- only b\n- y\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Render(l, &Profile{Values: tc.values})
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", r.Text, tc.want)
			}
			if strings.Contains(r.HTML, "{{") {
				t.Errorf("html keeps a tag:\n%s", r.HTML)
			}
		})
	}
	lib, err := c.Render(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[If f:] yes [Otherwise:] no [End if]", "[If plan is \"b\":]", "\n[If f:]\n\nPara one wrapped.\n\nPara two.\n\n[Otherwise:]\n\nPara else.\n\n[End if]\n"} {
		if !strings.Contains(lib.Text, want) {
			t.Errorf("library view lacks %q:\n%s", want, lib.Text)
		}
	}
}

func TestCrossReferencesNameTheClauseInItsLanguage(t *testing.T) {
	dir := fixture(t)
	l := load(t, dir)
	for lang, want := range map[string]string{"en": "clause 1 (Definitions)", "nl": "artikel 1 (Definities)"} {
		r, err := l.Find("EM-2", "1.0.0", lang).RenderWith(l, nil, RenderOptions{XRefURL: func(id string) string { return "/" + id + "/" }})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, `<a class="xref" href="/EM-1/" data-clause="EM-1">`+want+`</a>`) {
			t.Errorf("%s: want %q in\n%s\n%s", lang, want, r.Text, r.HTML)
		}
	}
}

func TestFingerprintIgnoresLineEndingsAndWrappingButNotWords(t *testing.T) {
	render := func(body string) string {
		c, l := clauseFrom(t, "en", "", body)
		r, err := c.Render(l, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Fingerprint != Fingerprint(r.Text) || !strings.HasPrefix(r.Fingerprint, "sha256:") || len(r.Fingerprint) != 71 {
			t.Fatalf("bad fingerprint %q", r.Fingerprint)
		}
		return r.Fingerprint
	}
	base := render("The Provider keeps the data.\n\nSecond paragraph.\n")
	same := []string{
		"The Provider keeps\nthe data.\n\nSecond paragraph.\n",
		"The Provider keeps the data.  \r\n\r\n\r\nSecond paragraph.",
		"The Provider  keeps the data.\n\nSecond paragraph.\n\n\n",
	}
	for _, s := range same {
		if got := render(s); got != base {
			t.Errorf("%q: fingerprint %s, want %s", s, got, base)
		}
	}
	if render("The Provider keeps all the data.\n\nSecond paragraph.\n") == base {
		t.Error("a changed word must change the fingerprint")
	}
}

func TestFingerprintOfAKnownTextIsStable(t *testing.T) {
	// Pinned so that a change to the canonical form shows up in review:
	// contracts cite these fingerprints.
	c, l := clauseFrom(t, "en", "  p: {type: days, default: 60, description: d}\n", "1.1 Keep {{p}}.\n\n- a\n- **b**\n")
	r, err := c.Render(l, &Profile{Values: map[string]any{"p": 45}})
	if err != nil {
		t.Fatal(err)
	}
	wantText := "# EM-5 Test v1.0.0\n\n1.1 Keep 45 days.\n\n- a\n- **b**\n"
	if r.Text != wantText {
		t.Fatalf("text %q, want %q", r.Text, wantText)
	}
	// sha256sum of wantText, computed outside Go.
	if r.Fingerprint != "sha256:ccc832415a172f7abd674e038e91da9c1cb4d8e5893045aec2fc71aed656dae3" {
		t.Fatalf("fingerprint %s", r.Fingerprint)
	}
}

func TestRenderRejectsAValueOfTheWrongType(t *testing.T) {
	c, l := clauseFrom(t, "en", "  p: {type: days, default: 60, description: d}\n", "{{p}}\n")
	if _, err := c.Render(l, &Profile{File: "x.yaml", Values: map[string]any{"p": "soon"}}); err == nil {
		t.Fatal("want an error")
	}
}

func TestGlossaryReadsTheDefinitionsClause(t *testing.T) {
	l := load(t, fixture(t))
	g := l.Glossary("en")
	want := []Term{
		{Name: "Retrieval Period", Definition: "the period described in clause 2 (Exit).", ClauseID: "EM-1"},
		{Name: "Trustee", Definition: "a trustee in bankruptcy or administrator.", ClauseID: "EM-1"},
	}
	if len(g) != len(want) {
		t.Fatalf("got %+v", g)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("term %d = %+v, want %+v", i, g[i], want[i])
		}
	}
	if nl := l.Glossary("nl"); len(nl) != 2 || nl[0].Definition != "de periode beschreven in artikel 2 (Exit)." {
		t.Errorf("nl glossary %+v", nl)
	}
}

func TestLibraryQueries(t *testing.T) {
	dir := fixture(t,
		edit{file: "clauses/en/EM-2-v1.1.0.md", new: strings.Replace(strings.Replace(mustRead(t, "testdata/lib/"+em2en), "version: 1.0.0", "version: 1.1.0", 1), "Retrieval lasts", "Retrieval always lasts", 1)},
		edit{file: "clauses/en/EM-2-v2.0.0.md", new: strings.Replace(strings.Replace(mustRead(t, "testdata/lib/"+em2en), "version: 1.0.0", "version: 2.0.0", 1), "status: published", "status: draft", 1)},
		edit{file: em2en, old: "status: published", new: "status: superseded"},
	)
	l := load(t, dir)
	if got := l.Languages(); strings.Join(got, ",") != "en,nl" {
		t.Errorf("Languages = %v", got)
	}
	cur := l.Current("en")
	if len(cur) != 2 || cur[0].ID != "EM-1" || cur[1].Version != "1.1.0" {
		t.Errorf("Current = %v", cur)
	}
	vs := l.Versions("EM-2", "en")
	if len(vs) != 2 || vs[0].Version != "1.0.0" || vs[1].Version != "1.1.0" {
		t.Errorf("Versions = %v", vs)
	}
	if l.Find("EM-2", "2.0.0", "en") == nil || l.Find("EM-2", "3.0.0", "en") != nil {
		t.Error("Find")
	}
	for _, row := range l.Coverage("en") {
		if row.Obligation.Ref == "gdpr/28/3/g" && (len(row.Clauses) != 1 || row.Clauses[0].Version != "1.1.0") {
			t.Errorf("coverage row %+v", row)
		}
	}
	if l.Site.Title["nl"] != "Exitvoorwaarden" || len(l.Site.SigningKeys) != 1 || !l.Site.Changelog[0].Date.Equal(time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("site = %+v", l.Site)
	}
	c := l.Find("EM-2", "1.1.0", "en")
	if c.Effective.Format("2006-01-02") != "2027-02-01" || len(c.Params) != 6 || c.Params[0].Name != "notice_period_days" || *c.Params[0].Max != 365 {
		t.Errorf("clause = %+v", c)
	}
}

func TestConcurrentLoadAndRenderShareNoState(t *testing.T) {
	dir := fixture(t)
	done := make(chan string, 8)
	for range 8 {
		go func() {
			l, err := Load(dir)
			if err != nil {
				done <- err.Error()
				return
			}
			r, err := l.Find("EM-2", "1.0.0", "nl").Render(l, &Profile{Values: map[string]any{"trustee_access": false}})
			if err != nil {
				done <- err.Error()
				return
			}
			done <- r.Fingerprint
		}()
	}
	first := <-done
	for range 7 {
		if got := <-done; got != first {
			t.Fatalf("renderings differ: %s vs %s", got, first)
		}
	}
}
