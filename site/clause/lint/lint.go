// Package lint checks a clause library and its customer profiles against
// the EU Data Act, DORA, BRRD, the GDPR and Dutch insolvency law.
//
// Call [Check] with a loaded [clause.Library] and the profiles: it returns
// the library's own validation findings ([clause.Validate]) plus every lint
// finding, each with file:line:col, the rule id, the article it enforces
// and a hint. [Rules] lists the rules with stable ids; a profile can mark a
// rule not_applicable with a reason, which turns its findings into a note.
//
// The rules run twice: on the library's defaults, once per language, and
// on each profile (its values, else the defaults; its clauses: list, else
// every current clause). Periods the law states in months are counted as
// Regulation 1182/71 counts them (see [MaxDaysWithin]). Most rules check
// values or the clause text as rendered for the profile; a rule that only
// checks a covers tag says so in its summary. One file per rule family:
// periods.go, charges.go, coverage.go, dora.go, dataact.go, trustee.go,
// terms.go, timing.go, versions.go.
package lint

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/exitkit/exitkit/site/clause"
)

// Rule describes one lint rule.
type Rule struct {
	ID, Article, Summary string
	// Regulated rules run only on profiles with regulated: true.
	Regulated bool

	run func(*ctx) []clause.Finding
}

// Rules lists the lint rules in the order Check runs them.
func Rules() []Rule {
	return []Rule{
		{ID: RuleNoticeMax, Article: "Data Act Art. 25(2)(d); Reg. 1182/71 Art. 3", Summary: "notice_period_days never exceeds 2 months, whatever day notice is given (at most 59 days)", run: (*ctx).noticeMax},
		{ID: RuleTransitionMax, Article: "Data Act Art. 25(2)(a), 25(5)", Summary: "transition_period_days is at most 30, unless the profile records it as the customer's own longer period (Art. 25(5), no cap); a clause must not cap it", run: (*ctx).transitionMax},
		{ID: RuleTransitionAltMax, Article: "Data Act Art. 25(4); Reg. 1182/71 Art. 3", Summary: "the provider's alternative period (alternative_transition_period_days) never exceeds 7 months (at most 212 days) and is claimed only by notice with reasons within 14 working days (unfeasibility_notice_working_days <= 14)", run: (*ctx).transitionAltMax},
		{ID: RuleRetrievalMin, Article: "Data Act Art. 25(2)(g)", Summary: "retrieval_period_days is at least 30", run: (*ctx).retrievalMin},
		{ID: RuleSwitchCharges, Article: "Data Act Art. 25(2)(i), Art. 29", Summary: "switching_charge_eur is 0 from 12 January 2027; before, a reduced charge is a warning to disclose", run: (*ctx).switchCharges},
		{ID: RuleParallelEgress, Article: "Data Act Art. 34(2)", Summary: "parallel_egress_at_cost is true: egress charges for in-parallel use only pass on the costs incurred", run: (*ctx).parallelEgress},
		{ID: RuleCoverage, Article: "obligations.yaml (Data Act Ch. VI, DORA, BRRD, GDPR, Faillissementswet)", Summary: "every obligation a provider owes is covered by a published clause in every language, and by a profile's selection (checks covers tags only)", run: (*ctx).coverage},
		{ID: RuleExitWithoutRequest, Article: "Data Act Art. 25(2)(g); DORA Art. 30(2)(d); GDPR Art. 28(3)(g)", Summary: "a selected clause covers exit/deemed-request and its rendered text gives the deemed Switching Request, so notice, transitional and retrieval periods exist on every ending", run: (*ctx).exitWithoutRequest},
		{ID: RuleFuncEquiv, Article: "Data Act Art. 30(1), 30(2), recital 86", Summary: "service_model iaas: a selected clause covers data-act/30/1 and renders the functional-equivalence duty; otherwise data-act/30/2 (open interfaces free of charge)", run: (*ctx).funcEquiv},
		{ID: RuleExemptionScope, Article: "Data Act Art. 31(1), 31(3)", Summary: "the rendered custom-built exemption names only clauses implementing Arts 23(d), 29, 30(1) and 30(3)", run: (*ctx).exemptionScope},
		{ID: RuleTrusteeAccess, Article: "Art. 105b Faillissementswet; Rb. Amsterdam 3 May 2022, ECLI:NL:RBAMS:2022:4452", Summary: "a published clause covers nl-fw/105b and trustee_access is true", run: (*ctx).trustee},
		{ID: RuleLegalCutoff, Article: "Art. 105b Faillissementswet; DORA Art. 30(2)(d); ECLI:NL:RBAMS:2022:4452", Summary: "a selected clause covers exit/legal-compulsion: a cut-off the law forces keeps the data intact and hands it over by a lawful route (checks the covers tag only)", run: (*ctx).legalCutoff},
		{ID: RuleGDPRReturnDelete, Article: "GDPR Art. 28(3)(g)", Summary: "gdpr/28/3/g (erase or return personal data) is covered (checks the covers tag only)", run: (*ctx).gdprReturnDelete},
		{ID: RuleTiming, Article: "Data Act Art. 25(2)(a), (c), (g); DORA Art. 30(3)(f)", Summary: "the periods fit together: acceptance_period_working_days >= media_verification_working_days; dora_transition_period_days >= transition_period_days", run: (*ctx).timing},
		{ID: RuleSurvival, Article: "Data Act Art. 25(2)(g), (h); DORA Art. 30(2)(d)", Summary: "the rendered text of the clause covering exit/survival names every other selected clause", run: (*ctx).survival},
		{ID: RuleEffectiveInForce, Article: "DORA Art. 30(1); Data Act Art. 25(1)", Summary: "a profile cites only versions in force on its effective date; versions of a clause take effect in version order", run: (*ctx).effectiveInForce},
		{ID: RuleChangeNotice, Article: "DORA Art. 30(1); Data Act Art. 25(1); clause 14.4", Summary: "a new version with a published: date takes effect at least 30 days after it", run: (*ctx).changeNotice},
		{ID: RuleTermsMatch, Article: "Data Act Art. 25(1) (terms the customer can rely on)", Summary: "each translation's definitions clause defines as many terms as the English one (one term per defined term)", run: (*ctx).termsMatch},
		{ID: RuleDORAFlagMatch, Article: "DORA Art. 28(8), 30(3)(f)", Summary: "a regulated profile renders every clause's DORA branch: dora_applies is true wherever a selected clause declares it (an error); dora_applies true on an unregulated profile is a warning", run: (*ctx).doraFlag},
		{ID: RuleDORAExitPlan, Article: "DORA Art. 28(8), 30(3)(f); RTS 2024/1773 Art. 10", Regulated: true, Summary: "selected clauses cover dora/28/8 and dora/30/3/f and their rendered text cites DORA Art. 28(8) and 30(3)(f)", run: (*ctx).doraExitPlan},
		{ID: RuleDORATermination, Article: "DORA Art. 28(7)(a)-(d)", Regulated: true, Summary: "selected clauses cover dora/28/7/a to /d and their rendered text cites Art. 28(7)", run: (*ctx).doraTermination},
		{ID: RuleDORAResolution, Article: "BRRD Art. 68(3); DORA Art. 30(2)(g), 30(3)(f)(i)", Regulated: true, Summary: "a selected clause covers brrd/68/3 and its rendered text cites BRRD Art. 68(3): no termination, suspension or change by reason only of a resolution measure", run: (*ctx).doraResolution},
		{ID: RuleDORATransition, Article: "DORA Art. 30(3)(f); RTS 2024/1773 Art. 10", Regulated: true, Summary: "dora_transition_period_days is longer than the Data Act's 30 days", run: (*ctx).doraTransition},
		{ID: RuleDORAProviderNotice, Article: "DORA Art. 30(2)(h)", Regulated: true, Summary: "provider_notice_months is at least 12 for a regulated customer", run: (*ctx).doraProviderNotice},
	}
}

// Lint rule ids. They are stable: profiles name them in not_applicable.
const (
	RuleNoticeMax          = "DA-NOTICE-MAX"
	RuleTransitionMax      = "DA-TRANSITION-MAX"
	RuleTransitionAltMax   = "DA-TRANSITION-ALT-MAX"
	RuleRetrievalMin       = "DA-RETRIEVAL-MIN"
	RuleSwitchCharges      = "DA-SWITCH-CHARGES"
	RuleParallelEgress     = "DA-PARALLEL-EGRESS"
	RuleCoverage           = "COVERAGE"
	RuleExitWithoutRequest = "DA-EXIT-WITHOUT-REQUEST"
	RuleFuncEquiv          = "DA-FUNC-EQUIV"
	RuleExemptionScope     = "DA-EXEMPTION-SCOPE"
	RuleTrusteeAccess      = "TRUSTEE-ACCESS"
	RuleLegalCutoff        = "LEGAL-CUTOFF"
	RuleGDPRReturnDelete   = "GDPR-RETURN-DELETE"
	RuleTiming             = "TIMING-CONSISTENCY"
	RuleSurvival           = "SURVIVAL-COMPLETE"
	RuleEffectiveInForce   = "EFFECTIVE-IN-FORCE"
	RuleChangeNotice       = "CHANGE-NOTICE-30"
	RuleTermsMatch         = "TERMS-MATCH"
	RuleDORAFlagMatch      = "DORA-FLAG-MATCH"
	RuleDORAExitPlan       = "DORA-EXIT-PLAN"
	RuleDORATermination    = "DORA-TERMINATION-RIGHTS"
	RuleDORAResolution     = "DORA-RESOLUTION"
	RuleDORATransition     = "DORA-TRANSITION-ADEQUATE"
	RuleDORAProviderNotice = "DORA-PROVIDER-NOTICE"
)

func ruleArticle(id string) string {
	for _, r := range Rules() {
		if r.ID == id {
			return r.Article
		}
	}
	return ""
}

// Check validates the library and each profile ([clause.Validate]) and runs
// the lint rules on the library's defaults, per language, and on every
// profile. The findings are sorted by file, line and column; an error
// means the content must not ship.
func Check(l *clause.Library, profiles []*clause.Profile) []clause.Finding {
	out := clause.Validate(l, nil)
	for _, lang := range l.Languages() {
		c := &ctx{lib: l, lang: lang, clauses: l.Current(lang)} // a version is linted before it takes effect
		out = append(out, c.run()...)
	}
	for _, p := range profiles {
		out = append(out, checkProfile(l, p)...)
	}
	return clause.Dedupe(out)
}

func checkProfile(l *clause.Library, p *clause.Profile) []clause.Finding {
	selected, out := l.ValidateProfile(p)
	if selected == nil && len(l.Current(p.Lang)) == 0 {
		return out
	}
	c := &ctx{lib: l, lang: p.Lang, clauses: selected, prof: p}
	lint := c.run()
	known := map[string]bool{}
	var ids []string
	for _, r := range Rules() {
		known[r.ID] = true
		ids = append(ids, r.ID)
	}
	waived := map[string]bool{}
	for _, w := range p.NotApplicable {
		f := clause.Finding{File: p.File, Line: w.Line, Col: w.Col, Profile: p.File}
		switch {
		case !known[w.Rule]:
			f.Severity, f.Rule = clause.SeverityError, clause.CodeUnknownField
			f.Message = fmt.Sprintf("not_applicable names %q, which is not a lint rule", w.Rule)
			f.Hint = "only lint rules can be waived: " + strings.Join(ids, ", ")
		case w.Reason == "":
			f.Severity, f.Rule = clause.SeverityError, clause.CodeMissingValue
			f.Message = fmt.Sprintf("not_applicable %s has no reason", w.Rule)
			f.Hint = "add 'reason: ...' saying why the rule does not apply; the output shows it"
		default:
			waived[w.Rule] = true
			f.Severity, f.Rule, f.Article = clause.SeverityInfo, w.Rule, ruleArticle(w.Rule)
			f.Message = fmt.Sprintf("%s does not apply to this profile: %s", w.Rule, w.Reason)
		}
		out = append(out, f)
	}
	for _, f := range lint {
		if !waived[f.Rule] {
			out = append(out, f)
		}
	}
	return out
}

// ctx is one run of the rules: the defaults of one language (prof == nil)
// or one profile with its selected clauses.
type ctx struct {
	lib     *clause.Library
	lang    string
	clauses []*clause.Clause
	prof    *clause.Profile
}

func (c *ctx) run() []clause.Finding {
	var out []clause.Finding
	for _, r := range Rules() {
		if r.Regulated && (c.prof == nil || !c.prof.Regulated) {
			continue
		}
		out = append(out, r.run(c)...)
	}
	return out
}

// valueAt is a parameter value as one selected clause sees it, with the
// place a finding about it should point at.
type valueAt struct {
	v         any
	file      string
	line, col int
	clause    *clause.Clause
	fromProf  bool
}

// values returns the value of parameter name as each selected clause
// declaring it sees it: the profile's, else the clause's default.
func (c *ctx) values(name string) []valueAt {
	var out []valueAt
	for _, cl := range c.clauses {
		pr := cl.Param(name)
		if pr == nil {
			continue
		}
		if c.prof != nil {
			if _, set := c.prof.Values[name]; set {
				v, ok := c.prof.Value(pr)
				if !ok {
					continue // reported as wrong-type
				}
				line, col := c.prof.At("values." + name)
				out = append(out, valueAt{v: v, file: c.prof.File, line: line, col: col, clause: cl, fromProf: true})
				continue
			}
		}
		if pr.Default == nil {
			continue
		}
		va := valueAt{v: pr.Default, file: cl.File, line: pr.Line, col: pr.Col, clause: cl}
		if c.prof != nil { // a default the profile relies on: point at the profile
			va.file = c.prof.File
			va.line, va.col = c.prof.At("values")
		}
		out = append(out, va)
	}
	return out
}

func (c *ctx) finding(sev, rule, file string, line, col int, hint, format string, args ...any) clause.Finding {
	f := clause.Finding{File: file, Line: line, Col: col, Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...), Hint: hint, Article: ruleArticle(rule)}
	if c.prof != nil {
		f.Profile = c.prof.File
	}
	return f
}

func (c *ctx) where() string {
	if c.prof != nil {
		return "profile"
	}
	return "default"
}

// profileAt points at key in the profile, or at the profile's first line.
func (c *ctx) profileAt(key string) (string, int, int) {
	line, col := c.prof.At(key)
	return c.prof.File, line, col
}

func covered(cs []*clause.Clause, ref string) []*clause.Clause {
	var out []*clause.Clause
	for _, c := range cs {
		if c.CoversRef(ref) {
			out = append(out, c)
		}
	}
	return out
}

// rendered is the clause's text as this run sees it: the customer view
// for a profile, the library view (every branch) for the defaults. ok is
// false when it cannot be rendered, which validation reports.
func (c *ctx) rendered(cl *clause.Clause) (string, bool) {
	r, err := cl.Render(c.lib, c.prof)
	if err != nil {
		return "", false
	}
	return r.Text, true
}

// renders reports whether some clause covering ref, as rendered for this
// run, matches cite: the duty is in the text the customer gets, not only
// in a tag. It returns the covering clauses too.
func (c *ctx) renders(ref string, cite *regexp.Regexp) (bool, []*clause.Clause) {
	cs := covered(c.clauses, ref)
	for _, cl := range cs {
		txt, ok := c.rendered(cl)
		if !ok || cite.MatchString(txt) {
			return true, cs // not renderable: validation says why
		}
	}
	return false, cs
}

// requireRendered reports, for each ref, a selection that does not cover
// it, or covers it only in text the profile does not render.
func (c *ctx) requireRendered(rule, duty string, cite *regexp.Regexp, refs ...string) []clause.Finding {
	var out []clause.Finding
	for _, ref := range refs {
		if !c.listed(ref) {
			continue
		}
		ok, cs := c.renders(ref, cite)
		if ok {
			continue
		}
		file, line, col := c.at(ref)
		if c.prof != nil {
			file, line, col = c.profileAt("regulated")
		}
		if len(cs) == 0 {
			out = append(out, c.finding(clause.SeverityError, rule, file, line, col,
				fmt.Sprintf("select (or publish) a %s clause with %s in its covers: list", c.lang, ref),
				"no %s %s clause covers %s: %s", c.selectedWord(), c.lang, ref, duty))
			continue
		}
		ids := make([]string, len(cs))
		for i, cl := range cs {
			ids[i] = cl.ID + " v" + cl.Version
		}
		out = append(out, c.finding(clause.SeverityError, rule, file, line, col,
			"check the clause's conditions (e.g. dora_applies: true) so that the text that meets the duty is rendered, or fix its covers: list",
			"%s cover(s) %s but the text rendered %s does not state it (%s): %s", strings.Join(ids, ", "), ref, c.forWhom(), cite, duty))
	}
	return out
}

func (c *ctx) selectedWord() string {
	if c.prof != nil {
		return "selected"
	}
	return "published"
}

func (c *ctx) forWhom() string {
	if c.prof != nil {
		return "for this profile"
	}
	return "in the library view"
}

// at returns where a finding about ref should point: the profile's
// clauses: list, or ref's entry in obligations.yaml, or the content folder.
func (c *ctx) at(ref string) (string, int, int) {
	if c.prof != nil {
		if !c.prof.Has("clauses") {
			return c.prof.File, 1, 1
		}
		return c.profileAt("clauses")
	}
	for _, o := range c.lib.Obligations {
		if o.Ref == ref {
			return c.lib.ObligationsFile(), o.Line, o.Col
		}
	}
	return c.lib.Dir, 0, 0
}

// requireCover reports each ref no selected clause covers. On a profile,
// a gap of the library itself is left to the run on the defaults, unless
// always is set.
func (c *ctx) requireCover(rule, duty string, always bool, refs ...string) []clause.Finding {
	var out []clause.Finding
	for _, ref := range refs {
		if !c.listed(ref) || len(covered(c.clauses, ref)) > 0 {
			continue
		}
		if c.prof != nil && !always && len(covered(c.lib.Current(c.lang), ref)) == 0 {
			continue
		}
		file, line, col := c.at(ref)
		out = append(out, c.finding(clause.SeverityError, rule, file, line, col,
			fmt.Sprintf("publish a clause in %s with %s in its covers: list, or select one that has it", c.lang, ref),
			"no %s %s clause covers %s: %s", c.selectedWord(), c.lang, ref, duty))
	}
	return out
}

// listed reports whether the obligations catalogue lists ref as a duty the
// provider owes. The catalogue is the legal team's record of what the law
// requires, so the rules that look for a covers tag check the duties it
// lists; COVERAGE keeps every listed duty covered, and the shipped
// catalogue lists every ref a rule looks for.
func (c *ctx) listed(ref string) bool {
	for _, o := range c.lib.Obligations {
		if o.Ref == ref {
			return o.OwedByProvider
		}
	}
	return false
}

func day(t time.Time) string { return t.Format("2006-01-02") }
