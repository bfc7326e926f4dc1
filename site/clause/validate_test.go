package clause

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFixtureLibraryIsClean(t *testing.T) {
	// Pinned, the fixture has nothing to report. (The versions lock is
	// package lock's, which Load does not apply.)
	dir := fixture(t, edit{file: bank, old: "values:", new: "clauses: {EM-1: 1.0.0, EM-2: 1.0.0}\nvalues:"})
	fs := checkDir(t, dir)
	if len(fs) != 0 {
		t.Fatalf("the fixture library should have no findings, got:\n%s", dump(fs))
	}
}

func TestEachValidationCodeIsReported(t *testing.T) {
	tests := []struct {
		name     string
		edits    []edit
		code     string
		severity string
		file     string
		line     int // 0: any
		col      int
	}{
		{"a file without front matter", []edit{{file: em1en, new: "Just text.\n"}},
			CodeFrontMatter, SeverityError, em1en, 1, 1},
		{"an unterminated front matter", []edit{{file: em1en, old: "definitions: true\n---\n", new: "definitions: true\n"}},
			CodeFrontMatter, SeverityError, em1en, 1, 1},
		{"invalid YAML in the front matter", []edit{{file: em1en, old: "title: Definitions", new: "title: [Definitions"}},
			CodeFrontMatter, SeverityError, em1en, 0, 0},
		{"a status that does not exist", []edit{{file: em1en, old: "status: published", new: "status: final"}},
			CodeFrontMatter, SeverityError, em1en, 6, 9},
		{"a missing title", []edit{{file: em1en, old: "title: Definitions\n", new: ""}},
			CodeFrontMatter, SeverityError, em1en, 0, 0},
		{"an unknown front matter field", []edit{{file: em1en, old: "order: 1\n", new: "order: 1\nauthor: Legal\n"}},
			CodeUnknownField, SeverityError, em1en, 9, 1},
		{"an unknown parameter field", []edit{{file: em2en, old: "    description: Notice period.", new: "    descripton: Notice period."}},
			CodeUnknownField, SeverityError, em2en, 15, 5},
		{"an undeclared variable", []edit{{file: em2en, old: "{{notice_period_days}}", new: "{{notice_days}}"}},
			CodeUndeclaredVariable, SeverityError, em2en, 38, 15},
		{"an undeclared condition", []edit{{file: em2en, old: "{{#if trustee_access}}", new: "{{#if trustee}}"}},
			CodeUndeclaredVariable, SeverityError, em2en, 42, 1},
		{"a default of the wrong type", []edit{{file: em2en, old: "default: 30\n    max: 365", new: "default: thirty\n    max: 365"}},
			CodeWrongType, SeverityError, em2en, 13, 14},
		{"a condition on a non-boolean", []edit{{file: em2en, old: "{{#if trustee_access}}", new: "{{#if plan}}"}},
			CodeWrongType, SeverityError, em2en, 42, 1},
		{"a format on a days parameter", []edit{{file: em2en, old: "{{transition_period_days}}", new: `{{transition_period_days as "D MMMM"}}`}},
			CodeWrongType, SeverityError, em2en, 38, 0},
		{"a default above its maximum", []edit{{file: em2en, old: "default: 30\n    max: 365", new: "default: 400\n    max: 365"}},
			CodeOutOfBounds, SeverityError, em2en, 13, 14},
		{"an enum comparison with an undeclared value", []edit{{file: em2en, old: `plan = "dedicated"`, new: `plan = "gold"`}},
			CodeOutOfBounds, SeverityError, em2en, 49, 5},
		{"a reference to a clause that does not exist", []edit{{file: em2en, old: "[[EM-1]]", new: "[[EM-99]]"}},
			CodeBrokenReference, SeverityError, em2en, 40, 0},
		{"a covers ref the catalogue does not list", []edit{{file: em2en, old: "covers: [data-act/25/2/g,", new: "covers: [data-act/99,"}},
			CodeBrokenReference, SeverityError, em2en, 9, 1},
		{"a second file with the same id, version and language", []edit{{file: "clauses/en/EM-1-copy.md", new: mustRead(t, "testdata/lib/"+em1en)}},
			CodeDuplicate, SeverityError, "", 2, 1},
		{"two current clauses with the same order", []edit{{file: em2en, old: "order: 2", new: "order: 1"}},
			CodeDuplicate, SeverityError, em2en, 8, 1},
		{"a translation with a different default", []edit{{file: em2nl, old: "default: 60", new: "default: 90"}},
			CodeTranslationMismatch, SeverityError, em2nl, 0, 0},
		{"a translation missing a parameter", []edit{{file: em2nl, old: "  plan:\n    type: enum\n    values: [shared, dedicated]\n    default: shared\n    description: Hostingplan.\n", new: ""},
			{file: em2nl, old: `{{#if plan = "dedicated"}}Eigen hardware.{{else}}Gedeelde hardware.{{/if}}`, new: "Hardware."}},
			CodeTranslationMismatch, SeverityError, em2nl, 0, 0},
		{"a translation without its note", []edit{{file: em1nl, old: "translation_note: true\n", new: ""}},
			CodeTranslationMismatch, SeverityWarning, em1nl, 2, 1},
		{"a parameter never used", []edit{{file: em2en, old: `{{#if plan = "dedicated"}}Dedicated hardware.{{else}}Shared hardware.{{/if}}`, new: "Hardware."}},
			CodeUnusedParam, SeverityWarning, em2en, 32, 3},
		{"a published clause without translation", []edit{{file: em1nl, remove: true}},
			CodeMissingTranslation, SeverityWarning, em1en, 2, 1},
		{"an if without its end", []edit{{file: em2en, old: "{{/if}}\n", new: "\n"}},
			CodeTemplateSyntax, SeverityError, em2en, 42, 1},
		{"an else without an if", []edit{{file: em2en, old: "2.1 Notice", new: "{{else}} 2.1 Notice"}},
			CodeTemplateSyntax, SeverityError, em2en, 38, 1},
		{"a tag that is not closed", []edit{{file: em2en, old: "{{notice_period_days}}", new: "{{notice_period_days"}},
			CodeTemplateSyntax, SeverityError, em2en, 38, 15},
		{"a bad money format", []edit{{file: em2en, old: "{{switching_charge_eur}}", new: `{{switching_charge_eur as "EUR"}}`}},
			CodeTemplateSyntax, SeverityError, em2en, 40, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t, tc.edits...)
			fs := withRule(checkDir(t, dir), tc.code)
			for _, f := range fs {
				if f.Severity != tc.severity {
					continue
				}
				if tc.file != "" && f.File != filepath.Join(dir, tc.file) {
					continue
				}
				if tc.line != 0 && f.Line != tc.line || tc.col != 0 && f.Col != tc.col {
					continue
				}
				if f.Hint == "" {
					t.Errorf("finding has no hint: %s", f)
				}
				return
			}
			t.Fatalf("want a %s %s in %s at %d:%d, got:\n%s", tc.severity, tc.code, tc.file, tc.line, tc.col, dump(checkDir(t, dir)))
		})
	}
}

func TestProfileValidation(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		code    string
		line    int
	}{
		{"a value of the wrong type", "lang: en\nvalues:\n  notice_period_days: soon\n", CodeWrongType, 3},
		{"a value above the maximum", "lang: en\nvalues:\n  notice_period_days: 400\n", CodeOutOfBounds, 3},
		{"an enum value not offered", "lang: en\nvalues:\n  plan: gold\n", CodeOutOfBounds, 3},
		{"a value for no parameter", "lang: en\nvalues:\n  notice_days: 30\n", CodeUndeclaredVariable, 3},
		{"an unknown field", "lang: en\ncustomr: {name: X}\n", CodeUnknownField, 2},
		{"a clause id that does not exist", "lang: en\nclauses: [EM-1, EM-7]\n", CodeBrokenReference, 2},
		{"a missing lang", "values: {}\n", CodeFrontMatter, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t, edit{file: bank, new: tc.profile})
			fs := withRule(checkDir(t, dir), tc.code)
			for _, f := range fs {
				if f.File == filepath.Join(dir, bank) && f.Line == tc.line && f.Severity == SeverityError {
					return
				}
			}
			t.Fatalf("want %s at line %d, got:\n%s", tc.code, tc.line, dump(checkDir(t, dir)))
		})
	}
}

func TestMissingRequiredValueIsAnError(t *testing.T) {
	dir := fixture(t,
		edit{file: em2en, old: "params:\n", new: "params:\n  customer_name:\n    type: string\n    required: true\n    description: Customer.\n"},
		edit{file: em2en, old: "2.1 Notice", new: "{{customer_name}}: 2.1 Notice"},
		edit{file: em2nl, old: "params:\n", new: "params:\n  customer_name:\n    type: string\n    required: true\n    description: Klant.\n"},
		edit{file: em2nl, old: "2.1 De", new: "{{customer_name}}: 2.1 De"},
	)
	fs := withRule(checkDir(t, dir), CodeMissingValue)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "customer_name") {
		t.Fatalf("want one missing-value for customer_name, got:\n%s", dump(fs))
	}
	l := load(t, dir)
	if _, err := l.Find("EM-2", "1.0.0", "en").Render(l, &Profile{File: "p.yaml"}); err == nil {
		t.Fatal("rendering without a required value should fail")
	}
}

func TestProfileWithBrokenYAMLReturnsAFindingWithItsLine(t *testing.T) {
	dir := fixture(t, edit{file: bank, new: "lang: en\nvalues:\n  a: [1\n"})
	_, err := LoadProfile(filepath.Join(dir, bank))
	f, ok := err.(*Finding)
	if !ok {
		t.Fatalf("want a *Finding, got %v", err)
	}
	if f.Rule != CodeFrontMatter || f.Line < 2 {
		t.Fatalf("want a front-matter finding at line 2 or later, got %s", f)
	}
}

func TestLoadFailsOnlyWhenTheFolderIsUnreadable(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("want an error for a missing folder")
	}
	dir := fixture(t, edit{file: em1en, new: "---\nid: [\n---\n"})
	if _, err := Load(dir); err != nil {
		t.Fatalf("a broken file is a finding, not an error: %v", err)
	}
}

func TestFindingStringHasLocationSeverityRuleAndHint(t *testing.T) {
	f := Finding{File: "a.md", Line: 3, Col: 7, Severity: SeverityError, Rule: CodeUndeclaredVariable, Message: "x is not declared", Hint: "declare it"}
	want := "a.md:3:7: error: x is not declared (undeclared-variable)\n\thint: declare it"
	if got := f.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	data, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
