package clause

import (
	"strings"
	"testing"
)

func side(d Diff, skip DiffKind) string {
	var b strings.Builder
	for _, op := range d {
		if op.Kind != skip {
			b.WriteString(op.Text)
		}
	}
	return b.String()
}

func TestRedlineReconstructsBothTexts(t *testing.T) {
	tests := []struct{ old, new string }{
		{"", ""},
		{"a b c\n", "a b c\n"},
		{"# T v1\n\nThe period is 30 days.\n", "# T v2\n\nThe period is at least 60 days.\n"},
		{"one\n\ntwo\n\nthree\n", "zero\n\none\n\nthree\n\nfour\n"},
		{"x y z\n", ""},
		{"", "new text\n"},
		{"Ünïcode wörds here\n", "Ünïcode wörter here\n"},
	}
	for _, tc := range tests {
		d := Redline(&Rendered{Text: tc.old}, &Rendered{Text: tc.new})
		if got := side(d, Insert); got != tc.old {
			t.Errorf("old side %q, want %q", got, tc.old)
		}
		if got := side(d, Delete); got != tc.new {
			t.Errorf("new side %q, want %q", got, tc.new)
		}
		if d.Changed() != (tc.old != tc.new) {
			t.Errorf("Changed() = %v for %q -> %q", d.Changed(), tc.old, tc.new)
		}
	}
}

func TestRedlineMarksChangedWordsOnly(t *testing.T) {
	d := Redline(&Rendered{Text: "The retrieval period is 30 days.\n"}, &Rendered{Text: "The retrieval period is 60 days.\n"})
	want := Diff{{Equal, "The retrieval period is "}, {Delete, "30"}, {Insert, "60"}, {Equal, " days.\n"}}
	if len(d) != len(want) {
		t.Fatalf("got %+v", d)
	}
	for i := range want {
		if d[i] != want[i] {
			t.Fatalf("op %d = %+v, want %+v", i, d[i], want[i])
		}
	}
	if got := d.Terminal(false); got != "The retrieval period is [-30-]{+60+} days.\n" {
		t.Errorf("plain terminal %q", got)
	}
	if got := d.Terminal(true); got != "The retrieval period is \x1b[31;9m30\x1b[0m\x1b[32;4m60\x1b[0m days.\n" {
		t.Errorf("colour terminal %q", got)
	}
	if got := d.HTML(); got != "<div class=\"redline\">\n<p>The retrieval period is <del>30</del><ins>60</ins> days.<br>\n</p>\n</div>\n" {
		t.Errorf("html %q", got)
	}
}

func TestRedlineHTMLEscapesAndSplitsParagraphs(t *testing.T) {
	d := Redline(&Rendered{Text: "a <b>\n\nc\n"}, &Rendered{Text: "a <b>\n\nc & d\n"})
	h := d.HTML()
	if !strings.Contains(h, "a &lt;b&gt;") || !strings.Contains(h, "</p>\n<p>") || !strings.Contains(h, "<ins> &amp; d</ins>") {
		t.Fatalf("html %q", h)
	}
}

func TestRedlineBetweenClauseVersions(t *testing.T) {
	dir := fixture(t, edit{file: "clauses/en/EM-2-v1.1.0.md", new: strings.NewReplacer("version: 1.0.0", "version: 1.1.0", "Retrieval lasts", "Retrieval always lasts").Replace(mustRead(t, "testdata/lib/"+em2en))})
	l := load(t, dir)
	a, err := l.Find("EM-2", "1.0.0", "en").Render(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Find("EM-2", "1.1.0", "en").Render(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := Redline(a, b).Terminal(false)
	for _, want := range []string{"# EM-2 Exit [-v1.0.0-]{+v1.1.0+}", "Retrieval {+always +}lasts"} {
		if !strings.Contains(got, want) {
			t.Errorf("redline lacks %q:\n%s", want, got)
		}
	}
}
