package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
)

const clauseFixture = "../../site/clause/lint/testdata/lib"

// runExitsite executes exitsite in-process and returns its exit code and output.
func runExitsite(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&errb)
	code = cli.Run(root, args, &errb)
	return code, out.String(), errb.String()
}

// copyClauseFixture copies the fixture library so a test can break one file.
func copyClauseFixture(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestCheckExitCodes(t *testing.T) {
	broken := copyClauseFixture(t, clauseFixture)
	if err := os.WriteFile(filepath.Join(broken, "profiles", "bank.yaml"), []byte("lang: en\nvalues:\n  retrieval_period_days: 14\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	warnOnly := copyClauseFixture(t, clauseFixture)
	if err := os.Remove(filepath.Join(warnOnly, "clauses", "nl", "EM-1-v1.0.0.md")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		out  string // expected in stdout or stderr
	}{
		{"a clean library exits 0", []string{"check", "--content", clauseFixture}, 0, "0 errors"},
		{"warnings alone exit 0", []string{"check", "--content", warnOnly}, 0, "missing-translation"},
		{"a lint error exits 1", []string{"check", "--content", broken}, 1, "DA-RETRIEVAL-MIN"},
		{"a named profile is checked", []string{"check", "--content", clauseFixture, "--profile", filepath.Join(broken, "profiles", "bank.yaml")}, 1, "bank.yaml:3:26: error:"},
		{"a missing content folder exits 2", []string{"check", "--content", filepath.Join(t.TempDir(), "none")}, 2, "no such file"},
		{"a missing profile file exits 2", []string{"check", "--content", clauseFixture, "--profile", "nope.yaml"}, 2, "nope.yaml"},
		{"an unknown format exits 2", []string{"check", "--content", clauseFixture, "--format", "xml"}, 2, "use text or json"},
		{"an unknown flag exits 2", []string{"check", "--strict"}, 2, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runExitsite(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errs)
			}
			if !strings.Contains(out+errs, tc.out) {
				t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", tc.out, out, errs)
			}
		})
	}
}

func TestCheckPrintsHintsUnderFindings(t *testing.T) {
	broken := copyClauseFixture(t, clauseFixture)
	os.WriteFile(filepath.Join(broken, "profiles", "bank.yaml"), []byte("lang: en\nvalues:\n  notice_period_days: 90\n"), 0o644)
	_, out, _ := runExitsite(t, "check", "--content", broken)
	if !strings.Contains(out, "(DA-NOTICE-MAX)\n\thint: set notice_period_days to at most 59") {
		t.Fatalf("no hint line:\n%s", out)
	}
}

func TestCheckJSONIsAnArrayOfFindings(t *testing.T) {
	broken := copyClauseFixture(t, clauseFixture)
	os.WriteFile(filepath.Join(broken, "profiles", "bank.yaml"), []byte("lang: en\nvalues:\n  notice_period_days: 90\n"), 0o644)
	code, out, _ := runExitsite(t, "check", "--content", broken, "--format", "json")
	var fs []struct {
		File, Severity, Rule, Message, Hint, Article string
		Line, Col                                    int
	}
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var errs []int
	for i, f := range fs {
		if f.Severity == "error" {
			errs = append(errs, i)
		}
	}
	if code != 1 || len(errs) != 1 || fs[errs[0]].Rule != "DA-NOTICE-MAX" || fs[errs[0]].Line != 3 || fs[errs[0]].Article == "" {
		t.Fatalf("exit %d, findings %+v", code, fs)
	}
	clean := lockedAndPinned(t)
	_, out, _ = runExitsite(t, "check", "--content", clean, "--format", "json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("a clean library prints [], got %q", out)
	}
}

// lockedAndPinned is a copy of the fixture library with its lock written
// (its profile is pinned already): nothing left to report.
func lockedAndPinned(t *testing.T) string {
	t.Helper()
	dir := copyClauseFixture(t, clauseFixture)
	if code, out, errs := runExitsite(t, "check", "--content", dir, "--write-lock"); code != 0 || !strings.Contains(errs, "locked 6 new published versions") {
		t.Fatalf("check --write-lock: exit %d\n%s\n%s", code, out, errs)
	}
	return dir
}

func TestCheckOnShippedContentExitsZero(t *testing.T) {
	if files, _ := filepath.Glob("../../content/clauses/*/*.md"); len(files) == 0 {
		t.Skip("content/clauses holds no clauses yet")
	}
	if code, out, errs := runExitsite(t, "check", "--content", "../../content"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}
