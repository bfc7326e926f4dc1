package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffPrintsTheRedline(t *testing.T) {
	dir := copyClauseFixture(t, clauseFixture)
	src, _ := os.ReadFile(filepath.Join(dir, "clauses", "en", "EM-2-v1.0.0.md"))
	next := strings.NewReplacer("version: 1.0.0", "version: 1.1.0", "Retrieval lasts", "Retrieval always lasts").Replace(string(src))
	os.WriteFile(filepath.Join(dir, "clauses", "en", "EM-2-v1.1.0.md"), []byte(next), 0o644)

	code, out, errs := runExitsite(t, "diff", "EM-2", "1.0.0", "v1.1.0", "--content", dir, "--color", "never")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"# EM-2 Exit [-v1.0.0-]{+v1.1.0+}", "Retrieval {+always +}lasts"} {
		if !strings.Contains(out, want) {
			t.Errorf("redline lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runExitsite(t, "diff", "EM-2", "1.0.0", "1.1.0", "--content", dir, "--color", "always")
	if !strings.Contains(out, "\x1b[32;4malways") {
		t.Errorf("no colour with --color always:\n%q", out)
	}
}

func TestDiffUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a version that does not exist", []string{"diff", "EM-2", "1.0.0", "9.9.9", "--content", clauseFixture}, "versions: 1.0.0 (published, effective 2027-02-01)"},
		{"a clause that does not exist", []string{"diff", "EM-99", "1", "2", "--content", clauseFixture}, "no clause EM-99; the library has EM-1, EM-2"},
		{"too few arguments", []string{"diff", "EM-2", "1.0.0"}, "diff takes ID FROM TO"},
		{"a bad colour mode", []string{"diff", "EM-2", "1.0.0", "1.0.0", "--content", clauseFixture, "--color", "sometimes"}, "auto, always or never"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runExitsite(t, tc.args...)
			if code != 2 || !strings.Contains(out+errs, tc.want) {
				t.Fatalf("exit %d, want 2 with %q\n%s%s", code, tc.want, out, errs)
			}
		})
	}
}
