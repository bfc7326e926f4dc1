package param

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

func parse(t *testing.T, src string) ([]Param, []yamlpos.Problem) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatal(err)
	}
	r := &yamlpos.Reader{LineOff: 1}
	return Parse(r, root.Content[0]), r.Problems
}

func TestParseReadsTypedDefaultsAndBounds(t *testing.T) {
	ps, problems := parse(t, "d: {type: days, default: 60, min: 30, max: 90, description: Days.}\nplan: {type: enum, values: [a, b], default: b, description: Plan.}\n")
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(ps) != 2 || ps[0].Default != 60 || *ps[0].Min != 30 || *ps[0].Max != 90 || ps[0].Line != 2 || ps[1].Default != "b" {
		t.Fatalf("got %+v", ps)
	}
}

func TestParseReportsEachMistakeInASpec(t *testing.T) {
	tests := []struct {
		name, src, code string
	}{
		{"an unknown type", "p: {type: week, description: P.}\n", yamlpos.CodeFrontMatter},
		{"a default of the wrong type", "p: {type: days, default: soon, description: P.}\n", yamlpos.CodeWrongType},
		{"a default out of bounds", "p: {type: days, default: 10, min: 30, description: P.}\n", CodeOutOfBounds},
		{"a bound on a text", "p: {type: string, max: 3, description: P.}\n", yamlpos.CodeWrongType},
		{"an enum without values", "p: {type: enum, description: P.}\n", yamlpos.CodeFrontMatter},
		{"an unknown field", "p: {type: string, desc: P.}\n", yamlpos.CodeUnknownField},
		{"a parameter declared twice", "p: {type: string, description: P.}\np: {type: string, description: P.}\n", yamlpos.CodeDuplicate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := parse(t, tc.src)
			found := false
			for _, p := range problems {
				found = found || (p.Code == tc.code && p.Severity == yamlpos.SeverityError && p.Line >= 2)
			}
			if !found {
				t.Errorf("no %s error in %+v", tc.code, problems)
			}
		})
	}
}
