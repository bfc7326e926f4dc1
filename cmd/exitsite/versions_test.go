package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var em2Version = regexp.MustCompile(`data-clause-id="EM-2"[^>]*data-clause-version="([^"]+)"`)

// moduleEM2 issues the module of profile and returns the EM-2 version it holds.
func moduleEM2(t *testing.T, content, profile string, extra ...string) string {
	t.Helper()
	args := append([]string{"module", "--content", content, "--profile", profile}, extra...)
	code, out, errs := runExitsite(t, args...)
	if code != 0 {
		t.Fatalf("module %v: exit %d\n%s", extra, code, errs)
	}
	m := em2Version.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("module %v holds no EM-2", extra)
	}
	return m[1]
}

// twoVersions is a copy of the fixture library where EM-2 has a second
// version, 2.0.0, taking effect on 2027-06-01, and the profile pins nothing.
func twoVersions(t *testing.T) string {
	t.Helper()
	dir := copyClauseFixture(t, clauseFixture)
	for _, lang := range []string{"en", "nl"} {
		old := filepath.Join(dir, "clauses", lang, "EM-2-v1.0.0.md")
		data, err := os.ReadFile(old)
		if err != nil {
			t.Fatal(err)
		}
		v2 := strings.Replace(strings.Replace(string(data), "version: 1.0.0", "version: 2.0.0", 1), "effective: 2027-02-01", "effective: 2027-06-01", 1)
		if v2 == string(data) {
			t.Fatalf("%s: no version or effective line to change", old)
		}
		os.WriteFile(filepath.Join(dir, "clauses", lang, "EM-2-v2.0.0.md"), []byte(v2+"\n2.9 Version 2.\n"), 0o644)
	}
	prof := filepath.Join(dir, "profiles", "bank.yaml")
	data, _ := os.ReadFile(prof)
	os.WriteFile(prof, unpinned(t, data), 0o644)
	return dir
}

// TestModuleTakesTheVersionsInForceAndKeepsItsPins is the newcomer's case
// (EM-13 2.0.0 took effect after the module's date): a module holds the
// versions in force on its effective date; once pinned, the profile keeps
// them whatever the date.
func TestModuleTakesTheVersionsInForceAndKeepsItsPins(t *testing.T) {
	lib := twoVersions(t)
	data, err := os.ReadFile(filepath.Join(lib, "profiles", "bank.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	late, early := filepath.Join(dir, "late.yaml"), filepath.Join(dir, "early.yaml")
	os.WriteFile(early, data, 0o644)
	os.WriteFile(late, []byte(strings.Replace(string(data), "effective: 2027-02-01", "effective: 2027-07-01", 1)), 0o644)

	if v := moduleEM2(t, lib, early); v != "1.0.0" {
		t.Errorf("a module effective 2027-02-01 holds EM-2 %s, want 1.0.0 (in force then)", v)
	}
	if v := moduleEM2(t, lib, late); v != "2.0.0" {
		t.Errorf("a module effective 2027-07-01 holds EM-2 %s, want 2.0.0", v)
	}
	if v := moduleEM2(t, lib, late, "--as-of", "2027-02-01"); v != "1.0.0" {
		t.Errorf("--as-of 2027-02-01 gives EM-2 %s, want 1.0.0", v)
	}
	// A module dated before --as-of may not cite a version not yet in force on its date.
	if code, _, errs := runExitsite(t, "module", "--content", lib, "--profile", early, "--as-of", "2027-07-01"); code != 1 || !strings.Contains(errs, "(EFFECTIVE-IN-FORCE)") {
		t.Errorf("module effective 2027-02-01 --as-of 2027-07-01: exit %d\n%s", code, errs)
	}

	if code, out, _ := runExitsite(t, "check", "--content", lib, "--profile", late, "--as-of", "2027-02-01"); code != 0 || !strings.Contains(out, "takes the versions in force on 2027-02-01") {
		t.Errorf("check --as-of: exit %d\n%s", code, out)
	}

	// Pin what the customer agreed on 2027-02-01.
	code, _, errs := runExitsite(t, "module", "--content", lib, "--profile", late, "--as-of", "2027-02-01", "--pin", "--out", filepath.Join(dir, "m.html"))
	if code != 0 || !strings.Contains(errs, "pinned ") {
		t.Fatalf("module --pin: exit %d\n%s", code, errs)
	}
	pinned, _ := os.ReadFile(late)
	firstLine, _, _ := strings.Cut(string(data), "\n")
	if !strings.Contains(string(pinned), "  EM-2: 1.0.0\n") || !strings.HasPrefix(string(pinned), firstLine+"\n") {
		t.Fatalf("pinned profile:\n%s", pinned)
	}
	if v := moduleEM2(t, lib, late); v != "1.0.0" {
		t.Errorf("the pinned profile gives EM-2 %s, want its pin 1.0.0", v)
	}
	if v := moduleEM2(t, lib, late, "--as-of", "2027-08-01"); v != "1.0.0" {
		t.Errorf("--as-of changed a pin: EM-2 %s", v)
	}
	code, out, _ := runExitsite(t, "check", "--content", lib, "--profile", late)
	if code != 0 || !strings.Contains(out, "EM-2 is pinned at 1.0.0; version 2.0.0 (effective 2027-06-01) exists (newer-version)") ||
		!strings.Contains(out, "exitsite diff EM-2 1.0.0 2.0.0 --lang en") || strings.Contains(out, "(unpinned)") {
		t.Errorf("check of the pinned profile: exit %d\n%s", code, out)
	}
}

func TestBuildAsOfMarksTheVersionInForceCurrentAndALaterOneUpcoming(t *testing.T) {
	tests := []struct {
		asOf              string
		current, upcoming string
	}{
		{"2026-12-01", "1.0.0", "2.0.0"},
		{"2027-01-12", "2.0.0", ""},
	}
	for _, tc := range tests {
		t.Run(tc.asOf, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "public")
			if code, _, errs := runExitsite(t, "build", "--content", shippedContent, "--out", out, "--as-of", tc.asOf); code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			data, _ := os.ReadFile(filepath.Join(out, "clauses.json"))
			var doc struct {
				AsOf    string `json:"as_of"`
				Clauses []struct {
					ID, Version, Lang, Effective, State string
					Current, Upcoming                   bool
				}
			}
			if err := json.Unmarshal(data, &doc); err != nil || doc.AsOf != tc.asOf {
				t.Fatalf("clauses.json: %v, as_of %q", err, doc.AsOf)
			}
			cur, up := "", ""
			for _, c := range doc.Clauses {
				if c.ID == "EM-13" && c.Lang == "en" {
					if c.Current {
						cur += c.Version
					}
					if c.Upcoming {
						up += c.Version
					}
				}
			}
			if cur != tc.current || up != tc.upcoming {
				t.Errorf("EM-13 current %q upcoming %q, want %q %q", cur, up, tc.current, tc.upcoming)
			}
		})
	}
	if code, _, errs := runExitsite(t, "build", "--content", shippedContent, "--out", t.TempDir(), "--as-of", "12/01/2026"); code != 2 || !strings.Contains(errs, "YYYY-MM-DD") {
		t.Errorf("a bad --as-of: exit %d\n%s", code, errs)
	}
}

// unpinned returns a profile without its clauses: block and the comment
// before it, as a profile is before 'module --pin' first runs.
func unpinned(t *testing.T, profile []byte) []byte {
	t.Helper()
	var out []string
	skip := false
	for _, line := range strings.SplitAfter(string(profile), "\n") {
		switch {
		case strings.HasPrefix(line, "# Clause versions agreed"), strings.HasPrefix(line, "# Written by 'exitsite module --pin'"):
			continue
		case strings.HasPrefix(line, "clauses:"):
			skip = true
			continue
		case skip && strings.HasPrefix(line, "  "):
			continue
		}
		skip = false
		out = append(out, line)
	}
	if got := strings.Join(out, ""); !strings.Contains(got, "clauses:") && got != string(profile) {
		return []byte(got)
	}
	t.Fatal("the shipped profile has no clauses: block to remove; update unpinned")
	return nil
}
