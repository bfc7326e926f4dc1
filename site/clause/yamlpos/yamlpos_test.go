package yamlpos

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestProblemsArePlacedAtTheirLineAndColumn(t *testing.T) {
	tests := []struct {
		name, src string
		lineOff   int
		want      Problem // Line, Col and Code of the first problem
	}{
		{"a field of the wrong type", "a: x\nflag: maybe\n", 0, Problem{Line: 2, Col: 7, Code: CodeWrongType}},
		{"front matter after ---", "a: x\nflag: maybe\n", 1, Problem{Line: 3, Col: 7, Code: CodeWrongType}},
		{"a YAML syntax error", "a: x\nb: c: d\n", 0, Problem{Line: 2, Col: 1, Code: CodeFrontMatter}},
		{"a list where fields belong", "- a\n- b\n", 0, Problem{Line: 1, Col: 1, Code: CodeFrontMatter}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reader{LineOff: tc.lineOff}
			if top := r.Fields([]byte(tc.src), "the test", "write fields"); top != nil {
				Mapping(top, func(k, v *yaml.Node) {
					if k.Value == "flag" {
						r.Bool(v, "flag")
					}
				})
			}
			if len(r.Problems) == 0 {
				t.Fatal("no problem")
			}
			got := r.Problems[0]
			if got.Line != tc.want.Line || got.Col != tc.want.Col || got.Code != tc.want.Code || got.Severity != SeverityError || got.Hint == "" {
				t.Errorf("got %+v, want line %d col %d %s", got, tc.want.Line, tc.want.Col, tc.want.Code)
			}
		})
	}
}

func TestValuesReadAsTheirTypes(t *testing.T) {
	r := &Reader{}
	top := r.Fields([]byte("s: text\nn: 3\nf: 1.5\nb: true\nd: 2026-01-12\nl: [a, b]\nz:\n"), "the test", "")
	got := map[string]any{}
	Mapping(top, func(k, v *yaml.Node) { got[k.Value] = Scalar(v) })
	if got["s"] != "text" || got["n"] != 3 || got["f"] != 1.5 || got["b"] != true || got["z"] != nil {
		t.Errorf("scalars: %v", got)
	}
	if d, ok := got["d"].(interface{ IsZero() bool }); !ok || d.IsZero() {
		t.Errorf("date: %v", got["d"])
	}
	Mapping(top, func(k, v *yaml.Node) {
		if k.Value == "l" {
			if l := r.Strings(v, "l"); strings.Join(l, ",") != "a,b" {
				t.Errorf("list: %v", l)
			}
		}
	})
	if len(r.Problems) != 0 {
		t.Errorf("problems: %v", r.Problems)
	}
}

func TestFrontMatterIsSplitWhateverTheLineEndings(t *testing.T) {
	for _, src := range []string{"---\nid: x\n---\nBody\n", "\xef\xbb\xbf---\r\nid: x\r\n---\r\nBody\r\n", "---\nid: x\n...\nBody\n"} {
		data := Normalize([]byte(src))
		fm, start, ok := SplitFrontMatter(data)
		if !ok || string(fm) != "id: x\n" || string(data[start:]) != "Body\n" {
			t.Errorf("%q: %q %q %v", src, fm, data[start:], ok)
		}
	}
	if _, _, ok := SplitFrontMatter([]byte("id: x\n")); ok {
		t.Error("a file without --- has front matter")
	}
}

// FuzzFields feeds arbitrary files to the Reader: problems, never a panic,
// and every problem inside the file.
func FuzzFields(f *testing.F) {
	for _, s := range []string{"a: x\n", "- a\n", "a: [\n", "a: {b: c}\nd: 2026-13-40\n", "\t- :\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r := &Reader{}
		top := r.Fields([]byte(src), "the file", "")
		if top != nil {
			Mapping(top, func(k, v *yaml.Node) {
				r.Str(v, k.Value)
				r.Bool(v, k.Value)
				r.Date(v, k.Value)
				r.Strings(v, k.Value)
				r.ByLang(v, k.Value)
				_ = Scalar(v)
			})
		}
		lines := strings.Count(string(Normalize([]byte(src))), "\n") + 2
		for _, p := range r.Problems {
			if p.Line < 1 || p.Col < 1 || p.Line > lines {
				t.Fatalf("problem outside the file: %+v", p)
			}
		}
	})
}
