package clause

import (
	"path/filepath"
	"strings"
	"testing"
)

const bankBase = `provider: {name: Test Cloud B.V.}
customer: {name: Test Bank N.V.}
lang: en
effective: 2027-02-01
regulated: true
values:
  notice_period_days: 60
`

func TestEachLintRuleIsReported(t *testing.T) {
	tests := []struct {
		name     string
		edits    []edit
		rule     string
		severity string
		file     string // relative to the fixture
		line     int
	}{
		{"a profile notice period over two months", []edit{{file: bank, old: "notice_period_days: 60", new: "notice_period_days: 90"}},
			RuleNoticeMax, SeverityError, bank, 7},
		{"a default notice period over two months", []edit{{file: em2en, old: "default: 30\n    max: 365", new: "default: 61\n    max: 365"}},
			RuleNoticeMax, SeverityError, em2en, 11},
		{"a transitional period over 30 days without justification", []edit{{file: bank, old: "values:\n", new: "values:\n  transition_period_days: 60\n"}},
			RuleTransitionMax, SeverityError, bank, 7},
		{"a justified transitional period over 7 months", []edit{{file: bank, old: "values:\n", new: "justifications:\n  transition_period_days: legacy mainframe\nvalues:\n  transition_period_days: 214\n"}},
			RuleTransitionMax, SeverityError, bank, 9},
		{"a justified transitional period within 7 months is a note", []edit{{file: bank, old: "values:\n", new: "justifications:\n  transition_period_days: legacy mainframe\nvalues:\n  transition_period_days: 120\n"}},
			RuleTransitionMax, SeverityInfo, bank, 9},
		{"a retrieval period under 30 days", []edit{{file: bank, old: "retrieval_period_days: 90", new: "retrieval_period_days: 20"}},
			RuleRetrievalMin, SeverityError, bank, 8},
		{"a switching charge from 2027-01-12", []edit{{file: bank, old: "switching_charge_eur: 0", new: "switching_charge_eur: 500"}},
			RuleSwitchCharges, SeverityError, bank, 9},
		{"a reduced switching charge before 2027-01-12 is a warning", []edit{
			{file: em2en, old: "effective: 2027-02-01", new: "effective: 2026-01-01"},
			{file: em2en, old: "default: 0", new: "default: 250"},
			{file: em2nl, old: "effective: 2027-02-01", new: "effective: 2026-01-01"},
			{file: em2nl, old: "default: 0", new: "default: 250"},
			{file: bank, old: "effective: 2027-02-01", new: "effective: 2026-06-01"},
			{file: bank, old: "  switching_charge_eur: 0\n", new: ""}},
			RuleSwitchCharges, SeverityWarning, em2en, 24},
		{"an owed obligation no clause covers", []edit{
			{file: em2en, old: "data-act/25/2/g, ", new: ""},
			{file: em2nl, old: "data-act/25/2/g, ", new: ""}},
			RuleCoverage, SeverityError, oblFile, 2},
		{"a profile whose selection drops a covered obligation", []edit{{file: bank, old: "regulated: true\n", new: "regulated: false\nclauses: [EM-1]\n"}},
			RuleCoverage, SeverityError, bank, 6},
		{"trustee access switched off", []edit{{file: bank, old: "trustee_access: true", new: "trustee_access: false"}},
			RuleTrusteeAccess, SeverityError, bank, 10},
		{"no clause covering trustee access", []edit{
			{file: em2en, old: " case/atb-2022,", new: ""},
			{file: em2nl, old: " case/atb-2022,", new: ""}},
			RuleTrusteeAccess, SeverityError, oblFile, 17},
		{"a regulated profile without exit-plan clauses", []edit{
			{file: em2en, old: ", dora/28/8, dora/30/3/f", new: ""},
			{file: em2nl, old: ", dora/28/8, dora/30/3/f", new: ""}},
			RuleDORAExitPlan, SeverityError, bank, 5},
		{"no clause covering return or deletion of personal data", []edit{
			{file: em2en, old: " gdpr/28/3/g,", new: ""},
			{file: em2nl, old: " gdpr/28/3/g,", new: ""}},
			RuleGDPRReturnDelete, SeverityError, oblFile, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t, tc.edits...)
			all := checkDir(t, dir)
			for _, f := range withRule(all, tc.rule) {
				if f.Severity == tc.severity && f.File == filepath.Join(dir, tc.file) && f.Line == tc.line {
					if f.Article == "" {
						t.Errorf("lint finding cites no article: %s", f)
					}
					if tc.severity != SeverityInfo && f.Hint == "" {
						t.Errorf("lint finding has no hint: %s", f)
					}
					return
				}
			}
			t.Fatalf("want %s %s at %s:%d, got:\n%s", tc.severity, tc.rule, tc.file, tc.line, dump(all))
		})
	}
}

func TestLintRulesPassOnCompliantValues(t *testing.T) {
	dir := fixture(t, edit{file: bank, old: "notice_period_days: 60", new: "notice_period_days: 60\n  transition_period_days: 30\n  retrieval_period_days: 30"})
	if fs := errorsIn(checkDir(t, dir)); len(fs) != 0 {
		t.Fatalf("boundary values are compliant, got:\n%s", dump(fs))
	}
}

func TestWaiverWithReasonReplacesFindingsWithANote(t *testing.T) {
	strip := []edit{
		{file: em2en, old: ", dora/28/8, dora/30/3/f", new: ""},
		{file: em2nl, old: ", dora/28/8, dora/30/3/f", new: ""},
	}
	waived := append(strip, edit{file: bank, old: "values:\n", new: "not_applicable:\n  - rule: DORA-EXIT-PLAN\n    reason: the services support no critical or important function\nvalues:\n"})
	fs := withRule(checkDir(t, fixture(t, waived...)), RuleDORAExitPlan)
	if len(fs) != 1 || fs[0].Severity != SeverityInfo || !strings.Contains(fs[0].Message, "no critical or important function") {
		t.Fatalf("want one info note quoting the reason, got:\n%s", dump(fs))
	}
	if fs[0].Line != 7 {
		t.Errorf("the note should point at the waiver (line 7), got %d", fs[0].Line)
	}
}

func TestDORARuleOnlyAppliesToRegulatedProfiles(t *testing.T) {
	dir := fixture(t,
		edit{file: em2en, old: ", dora/28/8, dora/30/3/f", new: ""},
		edit{file: em2nl, old: ", dora/28/8, dora/30/3/f", new: ""},
		edit{file: bank, old: "regulated: true", new: "regulated: false"})
	if fs := withRule(checkDir(t, dir), RuleDORAExitPlan); len(fs) != 0 {
		t.Fatalf("an unregulated profile needs no DORA exit plan, got:\n%s", dump(fs))
	}
}

func TestCheckWithoutProfilesLintsTheDefaults(t *testing.T) {
	dir := fixture(t, edit{file: em2en, old: "default: 60", new: "default: 14"}, edit{file: em2nl, old: "default: 60", new: "default: 14"})
	fs := withRule(Check(load(t, dir), nil), RuleRetrievalMin)
	if len(fs) != 2 {
		t.Fatalf("want the default flagged in en and nl, got:\n%s", dump(fs))
	}
}

func TestRulesAreStableAndCiteArticles(t *testing.T) {
	want := []string{"DA-NOTICE-MAX", "DA-TRANSITION-MAX", "DA-RETRIEVAL-MIN", "DA-SWITCH-CHARGES", "COVERAGE", "TRUSTEE-ACCESS", "DORA-EXIT-PLAN", "GDPR-RETURN-DELETE"}
	got := Rules()
	if len(got) != len(want) {
		t.Fatalf("got %d rules, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.ID != want[i] || r.Article == "" {
			t.Errorf("rule %d = %+v, want id %s with an article", i, r, want[i])
		}
	}
}
