package obligation

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

func parse(t *testing.T, src string) ([]Obligation, []yamlpos.Problem) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatal(err)
	}
	r := &yamlpos.Reader{}
	return Parse(r, &root), r.Problems
}

func TestParseReadsEachObligationInFileOrder(t *testing.T) {
	got, problems := parse(t, `- ref: data-act/25/2/g
  regulation: Data Act
  article: Art. 25(2)(g)
  owed_by_provider: true
  figure: 30 days
  duty: {en: Keep the data., nl: Bewaar de data.}
- ref: dora/28/8
  regulation: DORA
  article: Art. 28(8)
  duty: {en: Have an exit plan.}
`)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(got) != 2 || got[0].Ref != "data-act/25/2/g" || !got[0].OwedByProvider || got[0].Figure != "30 days" || got[1].Line != 7 || got[1].OwedByProvider {
		t.Fatalf("got %+v", got)
	}
	if got[0].DutyText("nl") != "Bewaar de data." || got[1].DutyText("nl") != "Have an exit plan." {
		t.Errorf("duty text: %q, %q (a missing translation falls back to English)", got[0].DutyText("nl"), got[1].DutyText("nl"))
	}
}

func TestParseReportsEachProblemAtItsEntry(t *testing.T) {
	tests := []struct {
		name, src, code string
		line, kept      int
	}{
		{"a catalogue that is no list", "ref: x\n", yamlpos.CodeFrontMatter, 1, 0},
		{"an entry that is no set of fields", "- ref: a\n- just text\n", yamlpos.CodeFrontMatter, 2, 1},
		{"an entry without a ref", "- ref: a\n- article: Art. 1\n", yamlpos.CodeFrontMatter, 2, 1},
		{"a ref listed twice", "- ref: a\n- ref: a\n", yamlpos.CodeDuplicate, 2, 1},
		{"an unknown field, the entry kept", "- ref: a\n  owed: true\n", yamlpos.CodeUnknownField, 2, 1},
		{"a flag that is no boolean", "- ref: a\n  owed_by_provider: often\n", yamlpos.CodeWrongType, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := parse(t, tc.src)
			if len(problems) != 1 || problems[0].Code != tc.code || problems[0].Line != tc.line || len(got) != tc.kept {
				t.Fatalf("kept %d, problems %+v", len(got), problems)
			}
			if !strings.Contains(problems[0].Hint, " ") {
				t.Errorf("no hint: %+v", problems[0])
			}
		})
	}
}
