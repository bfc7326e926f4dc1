package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletionOffersFlagValuesAndClauseIDsAndVersions(t *testing.T) {
	content := t.TempDir()
	for _, name := range []string{"en/EM-2-v1.0.0.md", "en/EM-10-v1.0.0.md", "en/EM-10-v1.10.0.md", "en/EM-10-v1.2.0.md", "en/README.txt", "nl/EM-10-v1.0.0.md"} {
		p := filepath.Join(content, "clauses", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"diff's first argument is a clause id, in natural order", []string{"diff", "--content", content, ""}, []string{"EM-2", "EM-10"}},
		{"a typed prefix narrows the ids", []string{"diff", "--content", content, "EM-1"}, []string{"EM-10"}},
		{"the next arguments are that clause's versions", []string{"diff", "--content", content, "EM-10", ""}, []string{"1.0.0", "1.2.0", "1.10.0"}},
		{"versions are of the --lang asked for", []string{"diff", "--content", content, "--lang", "nl", "EM-10", "1.0.0", ""}, []string{"1.0.0"}},
		{"nothing after the third argument", []string{"diff", "--content", content, "EM-10", "1.0.0", "1.2.0", ""}, nil},
		{"a missing content folder offers nothing", []string{"diff", "--content", filepath.Join(content, "none"), ""}, nil},
		{"module --format offers the documents", []string{"module", "--format", ""}, []string{"html", "pdf", "docx"}},
		{"module --lang offers the languages", []string{"module", "--lang", ""}, []string{"en", "nl"}},
		{"check --format offers text and json", []string{"check", "--format", ""}, []string{"text", "json"}},
		{"diff --color offers when", []string{"diff", "--color", ""}, []string{"auto", "always", "never"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runExitsite(t, append([]string{"__complete"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if v, _, _ := strings.Cut(line, "\t"); v != "" && !strings.HasPrefix(v, ":") {
					got = append(got, v)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("completions %q, want %q", got, tt.want)
			}
			if !strings.Contains(out, ":4") {
				t.Errorf("completion still offers files:\n%s", out)
			}
		})
	}
}
