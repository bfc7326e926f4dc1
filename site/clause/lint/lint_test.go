package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/site/clause"
)

func TestFixtureLibraryLintsClean(t *testing.T) {
	if fs := checkDir(t, fixture(t)); len(fs) != 0 {
		t.Fatalf("the fixture library should have no findings, got:\n%s", dump(fs))
	}
}

func TestEachLintRuleIsReported(t *testing.T) {
	tests := []struct {
		name     string
		edits    []edit
		rule     string
		severity string
		file     string // relative to the fixture
		line     int    // 0: any line
	}{
		{"a profile notice period of 60 days, which exceeds two months for a January notice", []edit{{file: bank, old: "notice_period_days: 59", new: "notice_period_days: 60"}},
			RuleNoticeMax, clause.SeverityError, bank, 7},
		{"a default notice period over two months", both("EM-2-v1.0.0.md", "default: 30\n    max: 365", "default: 61\n    max: 365"),
			RuleNoticeMax, clause.SeverityError, em2en, 11},
		{"a transitional period over 30 days without justification", []edit{{file: bank, old: "values:\n", new: "values:\n  transition_period_days: 60\n"}},
			RuleTransitionMax, clause.SeverityError, bank, 7},
		{"a transitional period justified by a provider's reason", []edit{{file: bank, old: "values:\n", new: "justifications:\n  transition_period_days: legacy mainframe\nvalues:\n  transition_period_days: 120\n"}},
			RuleTransitionMax, clause.SeverityError, bank, 9},
		{"a customer's longer period under Art. 25(5) is a note, whatever its length", []edit{{file: bank, old: "values:\n", new: "justifications:\n  transition_period_days: \"Art. 25(5): two release windows\"\nvalues:\n  transition_period_days: 400\n"}},
			RuleTransitionMax, clause.SeverityInfo, bank, 9},
		{"a clause that caps the transitional period blocks customer extensions", both("EM-2-v1.0.0.md", "    default: 30\n    description: ", "    default: 30\n    max: 213\n    description: "),
			RuleTransitionMax, clause.SeverityWarning, em2en, 0},
		{"an alternative period of 213 days, over 7 months from 1 January", both("EM-3-v1.0.0.md", "default: 212", "default: 213"),
			RuleTransitionAltMax, clause.SeverityError, em3en, 23},
		{"unfeasibility notified later than 14 working days", []edit{{file: bank, old: "values:\n", new: "values:\n  unfeasibility_notice_working_days: 20\n"}},
			RuleTransitionAltMax, clause.SeverityError, bank, 7},
		{"a retrieval period under 30 days", []edit{{file: bank, old: "retrieval_period_days: 90", new: "retrieval_period_days: 20"}},
			RuleRetrievalMin, clause.SeverityError, bank, 8},
		{"a switching charge from 2027-01-12", []edit{{file: bank, old: "switching_charge_eur: 0", new: "switching_charge_eur: 500"}},
			RuleSwitchCharges, clause.SeverityError, bank, 9},
		{"a reduced switching charge before 2027-01-12 is a warning", append(append(append(
			both("EM-2-v1.0.0.md", "effective: 2027-02-01", "effective: 2026-01-01"),
			both("EM-2-v1.0.0.md", "default: 0", "default: 250")...),
			both("EM-3-v1.0.0.md", "effective: 2027-02-01", "effective: 2026-01-01")...),
			edit{file: bank, old: "effective: 2027-02-01", new: "effective: 2026-06-01"},
			edit{file: bank, old: "  switching_charge_eur: 0\n", new: ""}),
			RuleSwitchCharges, clause.SeverityWarning, em2en, 24},
		{"egress for in-parallel use above cost", []edit{{file: bank, old: "values:\n", new: "values:\n  parallel_egress_at_cost: false\n"}},
			RuleParallelEgress, clause.SeverityError, bank, 7},
		{"an owed obligation no clause covers", both("EM-2-v1.0.0.md", "data-act/25/2/g, ", ""),
			RuleCoverage, clause.SeverityError, oblFile, 2},
		{"a profile whose selection drops a covered obligation", []edit{{file: bank, old: "regulated: true\n", new: "regulated: false\n"}, {file: bank, old: "clauses: {EM-1: 1.0.0, EM-2: 1.0.0, EM-3: 1.0.0}\n", new: "clauses: [EM-1, EM-3]\n"}},
			RuleCoverage, clause.SeverityError, bank, 13},
		{"a profile that drops the clause with the deemed switching request", []edit{{file: bank, old: "clauses: {EM-1: 1.0.0, EM-2: 1.0.0, EM-3: 1.0.0}\n", new: "clauses: [EM-1, EM-2]\n"}},
			RuleExitWithoutRequest, clause.SeverityError, bank, 13},
		{"a clause tagged with the deemed request whose text does not give it", []edit{{file: em3en, old: "deemed to have made a Switching Request", new: "free to leave"}, {file: em3nl, old: "geacht een Overstapverzoek te hebben gedaan", new: "vrij te vertrekken"}},
			RuleExitWithoutRequest, clause.SeverityError, oblFile, 0},
		{"an IaaS profile whose functional-equivalence text is not rendered", []edit{{file: em3en, old: "towards functional equivalence", new: "to help"}, {file: em3nl, old: "voor functionele gelijkwaardigheid", new: "om te helpen"}},
			RuleFuncEquiv, clause.SeverityError, bank, 5},
		{"a custom-built exemption that reaches beyond Art. 31(1)", []edit{{file: em3en, old: "disapply [[EM-3]] only", new: "disapply [[EM-2]] only"}, {file: em3nl, old: "verklaren: [[EM-3]], en niets", new: "verklaren: [[EM-2]], en niets"}},
			RuleExemptionScope, clause.SeverityError, em3en, 1},
		{"a custom-built exemption that names no clause", []edit{{file: em3en, old: "disapply [[EM-3]] only", new: "disapply any provision"}, {file: em3nl, old: "buiten toepassing verklaren: [[EM-3]], en niets anders", new: "iedere bepaling buiten toepassing verklaren"}},
			RuleExemptionScope, clause.SeverityError, em3en, 1},
		{"trustee access switched off", []edit{{file: bank, old: "trustee_access: true", new: "trustee_access: false"}},
			RuleTrusteeAccess, clause.SeverityError, bank, 10},
		{"no clause covering the trustee's statutory access", both("EM-2-v1.0.0.md", ", nl-fw/105b", ""),
			RuleTrusteeAccess, clause.SeverityError, oblFile, 17},
		{"no clause for a legally compelled cut-off", both("EM-3-v1.0.0.md", " exit/legal-compulsion,", ""),
			RuleLegalCutoff, clause.SeverityError, oblFile, 0},
		{"no clause covering erasure or return of personal data", both("EM-2-v1.0.0.md", " gdpr/28/3/g,", ""),
			RuleGDPRReturnDelete, clause.SeverityError, oblFile, 10},
		{"an acceptance window shorter than the drive verification window", []edit{{file: bank, old: "values:\n", new: "values:\n  acceptance_period_working_days: 5\n"}},
			RuleTiming, clause.SeverityError, bank, 7},
		{"a DORA transition period shorter than the Data Act one", []edit{{file: bank, old: "values:\n", new: "justifications:\n  transition_period_days: \"Customer: two windows\"\nvalues:\n  transition_period_days: 400\n"}},
			RuleTiming, clause.SeverityError, bank, 0},
		{"a survival list that leaves a selected clause out", []edit{{file: em3en, old: "3.2 The Provider takes all", new: "3.2 [[EM-1]] survives. The Provider takes all"},
			{file: em3nl, old: "3.2 De Aanbieder neemt alle", new: "3.2 [[EM-1]] blijft na beëindiging gelden. De Aanbieder neemt alle"},
			{file: em3en, old: " data-act/31/3]", new: " data-act/31/3, exit/survival]"}, {file: em3nl, old: " data-act/31/3]", new: " data-act/31/3, exit/survival]"},
			{file: oblFile, old: "- ref: data-act/30/1\n", new: "- ref: exit/survival\n  regulation: data-act\n  article: \"Art. 25(2)(h)\"\n  owed_by_provider: true\n  duty: {en: \"Survival.\", nl: \"Voortbestaan.\"}\n- ref: data-act/30/1\n"}},
			RuleSurvival, clause.SeverityError, em3en, 0},
		{"a profile that starts before a selected version takes effect", []edit{{file: bank, old: "effective: 2027-02-01", new: "effective: 2026-12-15"}},
			RuleEffectiveInForce, clause.SeverityError, bank, 0},
		{"a later version that takes effect before an earlier one", []edit{
			{file: "clauses/en/EM-1-v1.1.0.md", new: "---\nid: EM-1\ntitle: Definitions\nversion: 1.1.0\neffective: 2025-01-01\nstatus: published\nlang: en\norder: 1\ndefinitions: true\n---\n1.1 In this module:\n\n- **\"Retrieval Period\"** means the period described in [[EM-2]].\n"}},
			RuleEffectiveInForce, clause.SeverityError, "clauses/en/EM-1-v1.1.0.md", 5},
		{"a new version that takes effect less than 30 days after it was published", []edit{
			{file: "clauses/en/EM-1-v1.1.0.md", new: "---\nid: EM-1\ntitle: Definitions\nversion: 1.1.0\neffective: 2026-12-15\npublished: 2026-12-01\nstatus: published\nlang: en\norder: 1\ndefinitions: true\n---\n1.1 In this module:\n\n- **\"Retrieval Period\"** means the period described in [[EM-2]].\n- **\"Trustee\"**: a trustee in bankruptcy or administrator.\n"},
			{file: "clauses/nl/EM-1-v1.1.0.md", new: "---\nid: EM-1\ntitle: Definities\nversion: 1.1.0\neffective: 2026-12-15\npublished: 2026-12-01\nstatus: published\nlang: nl\norder: 1\ndefinitions: true\ntranslation_note: true\n---\n1.1 In deze module:\n\n- **\"Ophaalperiode\"**: de periode van [[EM-2]].\n- **\"Curator\"**: een curator.\n"}},
			RuleChangeNotice, clause.SeverityError, "clauses/en/EM-1-v1.1.0.md", 5},
		{"a translation that drops a defined term", []edit{{file: "clauses/nl/EM-1-v1.0.0.md", old: "\n- **\"Curator\"**: een curator of bewindvoerder.", new: ""}},
			RuleTermsMatch, clause.SeverityError, "clauses/nl/EM-1-v1.0.0.md", 1},
		{"a regulated profile whose clauses render without their DORA branch", []edit{{file: bank, old: "dora_applies: true", new: "dora_applies: false"}},
			RuleDORAFlagMatch, clause.SeverityError, bank, 12},
		{"a regulated profile that relies on the default dora_applies false", []edit{{file: bank, old: "  dora_applies: true\n", new: ""}},
			RuleDORAFlagMatch, clause.SeverityError, bank, 6},
		{"DORA terms on an unregulated profile are a warning", []edit{{file: bank, old: "regulated: true", new: "regulated: false"}},
			RuleDORAFlagMatch, clause.SeverityWarning, bank, 12},
		{"a regulated profile without exit-plan clauses", both("EM-3-v1.0.0.md", " dora/28/8, dora/30/3/f,", ""),
			RuleDORAExitPlan, clause.SeverityError, bank, 5},
		{"a regulated profile whose exit plan is not rendered", []edit{{file: bank, old: "dora_applies: true", new: "dora_applies: false"}},
			RuleDORAExitPlan, clause.SeverityError, bank, 5},
		{"a regulated profile without the Art. 28(7) termination rights", []edit{{file: em3en, old: "terminate under Article 28(7) DORA", new: "terminate"}, {file: em3nl, old: "op grond van artikel 28, lid 7, DORA", new: ""}},
			RuleDORATermination, clause.SeverityError, bank, 5},
		{"a regulated profile that drops the termination rights", both("EM-3-v1.0.0.md", " dora/28/7/c,", ""),
			RuleDORATermination, clause.SeverityError, bank, 5},
		{"a regulated profile without resolution protection", both("EM-3-v1.0.0.md", " brrd/68/3,", ""),
			RuleDORAResolution, clause.SeverityError, bank, 5},
		{"a DORA transition period of the Data Act's 30 days", []edit{{file: bank, old: "values:\n", new: "values:\n  dora_transition_period_days: 30\n"}},
			RuleDORATransition, clause.SeverityError, bank, 7},
		{"a provider notice of six months for a bank", []edit{{file: bank, old: "values:\n", new: "values:\n  provider_notice_months: 6\n"}},
			RuleDORAProviderNotice, clause.SeverityError, bank, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t, tc.edits...)
			all := checkDir(t, dir)
			for _, f := range withRule(all, tc.rule) {
				if f.Severity == tc.severity && f.File == filepath.Join(dir, tc.file) && (tc.line == 0 || f.Line == tc.line) {
					if f.Article == "" {
						t.Errorf("lint finding cites no article: %s", f)
					}
					if tc.severity != clause.SeverityInfo && f.Hint == "" {
						t.Errorf("lint finding has no hint: %s", f)
					}
					return
				}
			}
			t.Fatalf("want %s %s at %s:%d, got:\n%s", tc.severity, tc.rule, tc.file, tc.line, dump(all))
		})
	}
}

func TestRulesCheckOnlyDutiesTheCatalogueLists(t *testing.T) {
	// The fixture's clauses lose the tags, and the catalogue the duties:
	// the legal team has decided they are not owed, so no rule asks.
	dir := fixture(t, append(both("EM-3-v1.0.0.md", " exit/deemed-request, exit/legal-compulsion,", ""),
		edit{file: oblFile, old: "owed_by_provider: true\n  duty: {en: \"An exit path", new: "owed_by_provider: false\n  duty: {en: \"An exit path"},
		edit{file: oblFile, old: "owed_by_provider: true\n  duty: {en: \"A rule for", new: "owed_by_provider: false\n  duty: {en: \"A rule for"})...)
	fs := checkDir(t, dir)
	if got := append(withRule(fs, RuleExitWithoutRequest), withRule(fs, RuleLegalCutoff)...); len(got) != 0 {
		t.Fatalf("duties the catalogue does not owe are not required, got:\n%s", dump(got))
	}
}

func TestLintRulesPassOnBoundaryValues(t *testing.T) {
	dir := fixture(t, edit{file: bank, old: "values:\n", new: "values:\n  transition_period_days: 30\n  alternative_transition_period_days: 212\n  unfeasibility_notice_working_days: 14\n  dora_transition_period_days: 31\n  provider_notice_months: 12\n  acceptance_period_working_days: 10\n"},
		edit{file: bank, old: "retrieval_period_days: 90", new: "retrieval_period_days: 30"})
	if fs := errorsIn(checkDir(t, dir)); len(fs) != 0 {
		t.Fatalf("boundary values are compliant, got:\n%s", dump(fs))
	}
}

func TestPeriodsAreCountedAsRegulation1182_71Counts(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	tests := []struct {
		name         string
		start        string
		days, months int
		exceeds      bool
	}{
		{"60 days from 1 January end on 2 March, after two months end on 1 March", "2027-01-01", 60, 2, true},
		{"59 days from 1 January end on 1 March, the last day of two months", "2027-01-01", 59, 2, false},
		{"60 days from 31 December end on 1 March, after two months end on 28 February", "2026-12-31", 60, 2, true},
		{"59 days from 31 December end on 28 February", "2026-12-31", 59, 2, false},
		{"60 days from 28 February end on 29 April, after two months end on 28 April", "2027-02-28", 60, 2, true},
		{"60 days from 29 February of a leap year end on 29 April, the last day of two months", "2028-02-29", 60, 2, false},
		{"60 days from 1 March end on 30 April, within two months ending 1 May", "2027-03-01", 60, 2, false},
		{"60 days from 1 January of a leap year end on 1 March, within two months", "2028-01-01", 60, 2, false},
		{"213 days from 1 January end on 2 August, after seven months end on 1 August", "2027-01-01", 213, 7, true},
		{"212 days from 1 January end on 1 August", "2027-01-01", 212, 7, false},
		{"213 days from 1 July end on 30 January, within seven months ending 1 February", "2027-07-01", 213, 7, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := d(tc.start)
			if got := DaysEnd(s, tc.days).After(MonthsEnd(s, tc.months)); got != tc.exceeds {
				t.Errorf("%d days from %s end %s, %d months end %s: exceeds = %v, want %v", tc.days, tc.start,
					day(DaysEnd(s, tc.days)), tc.months, day(MonthsEnd(s, tc.months)), got, tc.exceeds)
			}
		})
	}
}

func TestTheDayCapsAreTheLongestSafeCounts(t *testing.T) {
	if got := MaxDaysWithin(2); got != 59 || maxNoticeDays != 59 {
		t.Errorf("two months: MaxDaysWithin = %d, rule uses %d, want 59", got, maxNoticeDays)
	}
	if got := MaxDaysWithin(7); got != 212 || maxAltTransDays != 212 {
		t.Errorf("seven months: MaxDaysWithin = %d, rule uses %d, want 212", got, maxAltTransDays)
	}
	if s, ok := FirstBreach(60, 2); !ok || day(s) != "2027-01-01" {
		t.Errorf("60 days should first break two months on 2027-01-01, got %s %v", day(s), ok)
	}
}

func TestMonthsEndClampsToTheLastDayOfTheMonth(t *testing.T) {
	s, _ := time.Parse("2006-01-02", "2027-08-31")
	if got := day(MonthsEnd(s, 1)); got != "2027-09-30" {
		t.Errorf("one month from 31 August ends %s, want 2027-09-30", got)
	}
}

func TestWaiverWithReasonReplacesFindingsWithANote(t *testing.T) {
	edits := append(both("EM-3-v1.0.0.md", " dora/28/8, dora/30/3/f,", ""),
		edit{file: bank, old: "values:\n", new: "not_applicable:\n  - rule: DORA-EXIT-PLAN\n    reason: the services support no critical or important function\nvalues:\n"})
	fs := withRule(checkDir(t, fixture(t, edits...)), RuleDORAExitPlan)
	if len(fs) != 1 || fs[0].Severity != clause.SeverityInfo || !strings.Contains(fs[0].Message, "no critical or important function") {
		t.Fatalf("want one info note quoting the reason, got:\n%s", dump(fs))
	}
	if fs[0].Line != 7 {
		t.Errorf("the note should point at the waiver (line 7), got %d", fs[0].Line)
	}
}

func TestWaiversMustNameARuleAndGiveAReason(t *testing.T) {
	dir := fixture(t, edit{file: bank, old: "values:\n", new: "not_applicable:\n  - rule: NO-SUCH-RULE\n    reason: x\n  - rule: DORA-EXIT-PLAN\nvalues:\n"})
	fs := checkDir(t, dir)
	if len(withRule(fs, clause.CodeUnknownField)) != 1 || len(withRule(fs, clause.CodeMissingValue)) != 1 {
		t.Fatalf("want an unknown-field and a missing-value finding, got:\n%s", dump(fs))
	}
}

func TestDORARulesOnlyApplyToRegulatedProfiles(t *testing.T) {
	dir := fixture(t, append(both("EM-3-v1.0.0.md", " dora/28/8, dora/30/3/f,", ""),
		edit{file: bank, old: "regulated: true", new: "regulated: false"},
		edit{file: bank, old: "  dora_applies: true\n", new: ""})...)
	for _, r := range Rules() {
		if r.Regulated {
			if fs := withRule(checkDir(t, dir), r.ID); len(fs) != 0 {
				t.Fatalf("an unregulated profile is not linted by %s, got:\n%s", r.ID, dump(fs))
			}
		}
	}
}

func TestCheckWithoutProfilesLintsTheDefaults(t *testing.T) {
	dir := fixture(t, both("EM-2-v1.0.0.md", "default: 60", "default: 14")...)
	fs := withRule(Check(load(t, dir), nil), RuleRetrievalMin)
	if len(fs) != 2 {
		t.Fatalf("want the default flagged in en and nl, got:\n%s", dump(fs))
	}
}

func TestInForceIsTheLatestVersionEffectiveOnTheDate(t *testing.T) {
	dir := fixture(t, edit{file: "clauses/en/EM-1-v2.0.0.md", new: "---\nid: EM-1\ntitle: Definitions\nversion: 2.0.0\neffective: 2027-03-01\nstatus: published\nlang: en\norder: 1\ndefinitions: true\n---\n1.1 In this module:\n\n- **\"Retrieval Period\"** means the period described in [[EM-2]].\n"})
	l := load(t, dir)
	d := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	for date, want := range map[string]string{"2025-09-11": "", "2025-09-12": "1.0.0", "2027-02-28": "1.0.0", "2027-03-01": "2.0.0"} {
		got := ""
		if c := InForce(l, "EM-1", "en", d(date)); c != nil {
			got = c.Version
		}
		if got != want {
			t.Errorf("in force on %s: %q, want %q", date, got, want)
		}
	}
}

func TestTheDefaultsAreLintedOnTheLatestPublishedVersions(t *testing.T) {
	// A later version without a duty is caught before it takes effect,
	// whichever version a site shows as current on the day of the check.
	em2 := func(lang, covers string) edit {
		src, _ := os.ReadFile(filepath.Join("testdata", "lib", "clauses", lang, "EM-2-v1.0.0.md"))
		s := strings.Replace(string(src), "version: 1.0.0", "version: 1.1.0", 1)
		s = strings.Replace(s, "effective: 2027-02-01", "effective: 2030-01-01", 1)
		return edit{file: "clauses/" + lang + "/EM-2-v1.1.0.md", new: strings.Replace(s, "gdpr/28/3/g, ", covers, 1)}
	}
	fs := withRule(Check(load(t, fixture(t, em2("en", ""), em2("nl", ""))), nil), RuleGDPRReturnDelete)
	if len(fs) != 2 {
		t.Fatalf("want the upcoming version's gap in en and nl, got:\n%s", dump(fs))
	}
}

func TestRulesAreStableAndCiteArticles(t *testing.T) {
	want := []string{"DA-NOTICE-MAX", "DA-TRANSITION-MAX", "DA-TRANSITION-ALT-MAX", "DA-RETRIEVAL-MIN", "DA-SWITCH-CHARGES",
		"DA-PARALLEL-EGRESS", "COVERAGE", "DA-EXIT-WITHOUT-REQUEST", "DA-FUNC-EQUIV", "DA-EXEMPTION-SCOPE", "TRUSTEE-ACCESS", "LEGAL-CUTOFF",
		"GDPR-RETURN-DELETE", "TIMING-CONSISTENCY", "SURVIVAL-COMPLETE", "EFFECTIVE-IN-FORCE", "CHANGE-NOTICE-30", "TERMS-MATCH", "DORA-FLAG-MATCH", "DORA-EXIT-PLAN",
		"DORA-TERMINATION-RIGHTS", "DORA-RESOLUTION", "DORA-TRANSITION-ADEQUATE", "DORA-PROVIDER-NOTICE"}
	got := Rules()
	if len(got) != len(want) {
		t.Fatalf("got %d rules, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.ID != want[i] || r.Article == "" || r.Summary == "" {
			t.Errorf("rule %d = %+v, want id %s with an article and a summary", i, r, want[i])
		}
	}
}

func TestShippedContentLintsWithoutErrors(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "content")
	ps, unparsed, err := clause.LoadProfiles(dir, nil)
	if err != nil || len(unparsed) > 0 {
		t.Fatalf("profiles: %v %v", err, unparsed)
	}
	if errs := errorsIn(Check(load(t, dir), ps)); len(errs) != 0 {
		t.Fatalf("the shipped content must check clean:\n%s", dump(errs))
	}
}
