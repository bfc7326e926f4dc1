package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var em13Version = regexp.MustCompile(`data-clause-id="EM-13"[^>]*data-clause-version="([^"]+)"`)

// moduleEM13 issues the module of profile and returns the EM-13 version it holds.
func moduleEM13(t *testing.T, content, profile string, extra ...string) string {
	t.Helper()
	args := append([]string{"module", "--content", content, "--profile", profile}, extra...)
	code, out, errs := runExitsite(t, args...)
	if code != 0 {
		t.Fatalf("module %v: exit %d\n%s", extra, code, errs)
	}
	m := em13Version.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("module %v holds no EM-13", extra)
	}
	return m[1]
}

// TestModuleTakesTheVersionsInForceAndKeepsItsPins is the newcomer's case:
// EM-13 2.0.0 takes effect on 2027-01-12, so a module dated 2026-12-15
// holds 1.0.0; once pinned, the profile keeps it whatever the date.
func TestModuleTakesTheVersionsInForceAndKeepsItsPins(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(shippedContent, "profiles", "bank.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bank, early := filepath.Join(dir, "bank.yaml"), filepath.Join(dir, "early.yaml")
	os.WriteFile(bank, data, 0o644)
	os.WriteFile(early, []byte(strings.Replace(string(data), "effective: 2027-02-01", "effective: 2026-12-15", 1)), 0o644)

	if v := moduleEM13(t, shippedContent, early); v != "1.0.0" {
		t.Errorf("a module effective 2026-12-15 holds EM-13 %s, want 1.0.0 (in force then)", v)
	}
	if v := moduleEM13(t, shippedContent, bank); v != "2.0.0" {
		t.Errorf("a module effective 2027-02-01 holds EM-13 %s, want 2.0.0", v)
	}
	if v := moduleEM13(t, shippedContent, bank, "--as-of", "2026-12-15"); v != "1.0.0" {
		t.Errorf("--as-of 2026-12-15 gives EM-13 %s, want 1.0.0", v)
	}
	// A module dated after --as-of may not cite a version not yet in force on its date.
	if code, _, errs := runExitsite(t, "module", "--content", shippedContent, "--profile", early, "--as-of", "2027-02-01"); code != 1 || !strings.Contains(errs, "(not-in-force)") {
		t.Errorf("module effective 2026-12-15 --as-of 2027-02-01: exit %d\n%s", code, errs)
	}

	if code, out, _ := runExitsite(t, "check", "--content", shippedContent, "--profile", bank, "--as-of", "2026-12-15"); code != 0 || !strings.Contains(out, "takes the versions in force on 2026-12-15") {
		t.Errorf("check --as-of: exit %d\n%s", code, out)
	}

	// Pin what the customer agreed on 2026-12-15.
	code, _, errs := runExitsite(t, "module", "--content", shippedContent, "--profile", bank, "--as-of", "2026-12-15", "--pin", "--out", filepath.Join(dir, "m.html"))
	if code != 0 || !strings.Contains(errs, "pinned ") {
		t.Fatalf("module --pin: exit %d\n%s", code, errs)
	}
	pinned, _ := os.ReadFile(bank)
	if !strings.Contains(string(pinned), "  EM-13: 1.0.0\n") || !strings.HasPrefix(string(pinned), "# A regulated bank") {
		t.Fatalf("pinned profile:\n%s", pinned)
	}
	if v := moduleEM13(t, shippedContent, bank); v != "1.0.0" {
		t.Errorf("the pinned profile gives EM-13 %s, want its pin 1.0.0", v)
	}
	if v := moduleEM13(t, shippedContent, bank, "--as-of", "2027-03-01"); v != "1.0.0" {
		t.Errorf("--as-of changed a pin: EM-13 %s", v)
	}
	code, out, _ := runExitsite(t, "check", "--content", shippedContent, "--profile", bank)
	if code != 0 || !strings.Contains(out, "EM-13 is pinned at 1.0.0; version 2.0.0 (effective 2027-01-12) exists (newer-version)") ||
		!strings.Contains(out, "exitsite diff EM-13 1.0.0 2.0.0 --lang en") || strings.Contains(out, "(unpinned)") {
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
