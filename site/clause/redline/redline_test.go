package redline

import (
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestCompareReadsAsALawyerExpects(t *testing.T) {
	tests := []struct {
		name, old, new string
		want           string // Terminal(false) of the body
	}{
		{"an edited sentence is diffed word by word",
			"# X T v1\n\nThe retrieval period is 30 days. It starts after the transition.\n",
			"# X T v2\n\nThe retrieval period is 60 days. It starts after the transition.\n",
			"The retrieval period is [-30-]{+60+} days. It starts after the transition.\n"},
		{"a rewritten sentence is deleted and inserted whole",
			"# X T v1\n\nBefore the switch the Customer pays a fee. Data stays with the Provider until the end. The Provider keeps it safe.\n",
			"# X T v2\n\nWhere a switch is requested, no charge of any kind is payable by anyone. Data stays with the Provider until the end. The Provider keeps it safe.\n",
			"[-Before the switch the Customer pays a fee. -]{+Where a switch is requested, no charge of any kind is payable by anyone. +}Data stays with the Provider until the end. The Provider keeps it safe.\n"},
		{"a rewritten paragraph is deleted and inserted whole",
			"# X T v1\n\nBefore the switch the Customer pays a fee.\n",
			"# X T v2\n\nNo charge of any kind is payable.\n",
			"[-Before the switch the Customer pays a fee.-]\n\n{+No charge of any kind is payable.+}\n"},
		{"a new paragraph is inserted whole",
			"# X T v1\n\nOne.\n",
			"# X T v2\n\nOne.\n\nA wholly new paragraph here.\n",
			"One.\n\n{+A wholly new paragraph here.+}\n"},
		{"list items keep their markers",
			"# X T v1\n\n- **\"Data\"** means data.\n- **\"Term\"** means a term.\n",
			"# X T v2\n\n- **\"Data\"** means all data.\n- **\"Term\"** means a term.\n",
			"- **\"Data\"** means {+all +}data.\n- **\"Term\"** means a term.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(tc.old, tc.new)
			got := d.Terminal(false)
			_, body, _ := strings.Cut(got, "\n\n")
			if body != tc.want {
				t.Errorf("got\n%q\nwant\n%q", body, tc.want)
			}
			if !d.Changed() {
				t.Error("Changed() is false")
			}
			if !strings.HasPrefix(got, "# X T [-v1-]{+v2+}\n") {
				t.Errorf("title line %q", strings.SplitN(got, "\n", 2)[0])
			}
		})
	}
}

func TestHTMLHasNoMarkdownMarkersAndKeepsHeadingsAndLists(t *testing.T) {
	old := "# EM-13 Switching Charges v1.0.0\n\n## Charges\n\n13.1 The Provider may charge <fees>.\n\n1. first item\n2. second item\n"
	new := "# EM-13 Switching Charges v2.0.0\n\n## Charges\n\n13.1 The Provider charges no fees.\n\n1. first item\n2. second item, changed\n3. third item\n"
	h := Compare(old, new).HTML()
	for _, want := range []string{"<h2>Charges</h2>", "<ol>\n<li value=\"1\">first item</li>", "<li value=\"2\">second <del>item</del><ins>item, changed</ins></li>", "<li value=\"3\" class=\"ins-block\"><ins>third item</ins></li>", "&lt;fees&gt;"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q:\n%s", want, h)
		}
	}
	for _, bad := range []string{"# EM-13", "v1.0.0", "**", "## "} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML shows %q:\n%s", bad, h)
		}
	}
}

func TestAnUnchangedBodyIsNotChanged(t *testing.T) {
	d := Compare("# X T v1\n\nSame text.\n", "# X T v1.1\n\nSame text.\n")
	if d.Changed() {
		t.Errorf("a new version number alone is a change: %+v", d)
	}
}

func TestTerminalEscapesControlCharacters(t *testing.T) {
	got := Compare("# X v1\n\nA\x1b[2Jb.\n", "# X v2\n\nA\x1b[2Jc.\n").Terminal(false)
	if strings.Contains(got, "\x1b") || !strings.Contains(got, `\x1b[2J`) {
		t.Errorf("%q", got)
	}
}

func TestSentencesSplitAtEndsAndSemicolonsNotAbbreviations(t *testing.T) {
	got := sentences("See e.g. clause 3. The term ends; (a) it lapses: and Art. 25 applies.")
	want := []string{"See e.g. clause 3. ", "The term ends; ", "(a) it lapses: ", "and Art. 25 applies."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences %q, want %q", got, want)
	}
}

// FuzzCompare checks on any pair of texts that the redline never panics
// and that its Equal and Delete runs give back the old body, and its
// Equal and Insert runs the new one.
func FuzzCompare(f *testing.F) {
	f.Add("# A v1\n\nOne. Two.\n", "# A v2\n\nOne. Three.\n\n- x\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Compare(a, b)
		_ = d.HTML()
		_ = d.Terminal(true)
	})
}

// BenchmarkCompare redlines a long rewritten clause: 200 paragraphs, every
// third edited, every seventh rewritten.
func BenchmarkCompare(b *testing.B) {
	var old, new strings.Builder
	old.WriteString("# X T v1\n")
	new.WriteString("# X T v2\n")
	for i := range 200 {
		p := strings.Repeat("The Provider keeps the Exportable Data available for retrieval. ", 4)
		old.WriteString("\n" + p + "\n")
		switch {
		case i%7 == 0:
			new.WriteString("\nA wholly different obligation applies to the Customer in this case.\n")
		case i%3 == 0:
			new.WriteString("\n" + strings.Replace(p, "available", "intact and available", 2) + "\n")
		default:
			new.WriteString("\n" + p + "\n")
		}
	}
	a, c := old.String(), new.String()
	b.SetBytes(int64(len(a) + len(c)))
	for b.Loop() {
		Compare(a, c).HTML()
	}
}
