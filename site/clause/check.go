package clause

import (
	"fmt"
	"strings"
	"time"
)

// Lint rule ids.
const (
	RuleNoticeMax        = "DA-NOTICE-MAX"
	RuleTransitionMax    = "DA-TRANSITION-MAX"
	RuleRetrievalMin     = "DA-RETRIEVAL-MIN"
	RuleSwitchCharges    = "DA-SWITCH-CHARGES"
	RuleCoverage         = "COVERAGE"
	RuleTrusteeAccess    = "TRUSTEE-ACCESS"
	RuleDORAExitPlan     = "DORA-EXIT-PLAN"
	RuleGDPRReturnDelete = "GDPR-RETURN-DELETE"
)

// Rule describes one regulatory lint rule.
type Rule struct {
	ID, Article, Summary string
}

// Rules lists the regulatory lint rules in the order Check runs them.
func Rules() []Rule {
	return []Rule{
		{RuleNoticeMax, "Data Act Art. 25(2)(d)", "notice_period_days is at most 2 months (60 days)"},
		{RuleTransitionMax, "Data Act Art. 25(2)(a), 25(4)", "transition_period_days is at most 30, or at most 7 months (213 days) with a justification recorded in the profile"},
		{RuleRetrievalMin, "Data Act Art. 25(2)(g)", "retrieval_period_days is at least 30"},
		{RuleSwitchCharges, "Data Act Art. 25(2)(i), Art. 29", "switching_charge_eur is 0 from 12 January 2027; before, a reduced charge is a warning to disclose"},
		{RuleCoverage, "Data Act Ch. VI, DORA, GDPR (obligations.yaml)", "every obligation a provider owes is covered by a published clause, in every language"},
		{RuleTrusteeAccess, "Rb. Amsterdam 3 May 2022, ECLI:NL:RBAMS:2022:4452", "a published clause covers case/atb-2022 and trustee_access is true"},
		{RuleDORAExitPlan, "DORA Art. 28(8), 30(3)(f)", "for regulated profiles, dora/28/8 and dora/30/3/f are covered"},
		{RuleGDPRReturnDelete, "GDPR Art. 28(3)(g)", "gdpr/28/3/g (return or delete personal data) is covered"},
	}
}

func ruleArticle(id string) string {
	for _, r := range Rules() {
		if r.ID == id {
			return r.Article
		}
	}
	return ""
}

// switchChargeCutoff is the day from which the Data Act forbids switching
// charges (Art. 29(1)).
var switchChargeCutoff = time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)

const (
	maxNoticeDays          = 60
	maxTransitionDays      = 30
	maxAltTransitionDays   = 213 // 7 months
	minRetrievalDays       = 30
	refTrustee             = "case/atb-2022"
	refGDPRReturnDelete    = "gdpr/28/3/g"
	refDORAExit, refDORATr = "dora/28/8", "dora/30/3/f"
)

// Check validates the library and each profile and runs the regulatory
// lint on the library's defaults (per language) and on every profile. The
// findings are sorted by file, line and column; errors mean the content
// must not ship.
func Check(l *Library, profiles []*Profile) []Finding {
	out := append([]Finding(nil), l.Findings...)
	for _, lang := range l.Languages() {
		lc := &lintCtx{lib: l, lang: lang, clauses: l.Current(lang)}
		out = append(out, lc.run()...)
	}
	for _, p := range profiles {
		out = append(out, l.checkProfile(p)...)
	}
	out = dedupe(out)
	sortFindings(out)
	return out
}

func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := fmt.Sprintf("%s\x00%d\x00%d\x00%s\x00%s", f.File, f.Line, f.Col, f.Rule, f.Message)
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

func (p *Profile) finding(sev, code, key, hint, format string, args ...any) Finding {
	line, col := p.at(key)
	return Finding{File: p.File, Line: line, Col: col, Severity: sev, Rule: code, Message: fmt.Sprintf(format, args...), Hint: hint, Profile: p.File}
}

func (l *Library) checkProfile(p *Profile) []Finding {
	out := append([]Finding(nil), p.findings...)
	cur := l.Current(p.Lang)
	if len(cur) == 0 && p.Lang != "" {
		out = append(out, p.finding(SeverityError, CodeBrokenReference, "lang", "use a language the library has: "+strings.Join(l.Languages(), ", "),
			"the library has no published clauses in %q", p.Lang))
		return out
	}
	selected, problems := l.Selection(p, p.Lang)
	out = append(out, problems...)
	out = append(out, l.CheckVersions(p, selected)...)
	// Values: declared, typed, in bounds.
	spec := map[string]*Param{}
	for _, c := range append(append([]*Clause(nil), selected...), cur...) {
		for i := range c.Params {
			if _, ok := spec[c.Params[i].Name]; !ok {
				spec[c.Params[i].Name] = &c.Params[i]
			}
		}
	}
	for _, name := range sortedKeys(p.Values) {
		key := "values." + name
		pr, ok := spec[name]
		if !ok {
			out = append(out, p.finding(SeverityError, CodeUndeclaredVariable, key, "fix the spelling or remove it; no published "+p.Lang+" clause declares it",
				"%s is not a parameter of any clause", name))
			continue
		}
		v, msg := coerce(pr.Type, p.Values[name])
		if msg != "" {
			out = append(out, p.finding(SeverityError, CodeWrongType, key, typeHint[pr.Type], "%s (%s): %s", name, pr.Type, msg))
			continue
		}
		if b := bounds(pr, v); b != "" {
			out = append(out, p.finding(SeverityError, CodeOutOfBounds, key, "choose a value within the bounds the clause declares", "%s: %s", name, b))
		}
	}
	for _, c := range selected {
		for _, pr := range c.Params {
			if pr.Default == nil {
				if _, ok := p.Values[pr.Name]; !ok {
					out = append(out, p.finding(SeverityError, CodeMissingValue, "values", "add '"+pr.Name+": ...' under values: in the profile",
						"%s needs a value for %s (%s), which has no default", c.ID, pr.Name, pr.Description))
				}
			}
		}
	}
	// Lint, then waivers.
	lc := &lintCtx{lib: l, lang: p.Lang, clauses: selected, prof: p}
	lint := lc.run()
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	waived := map[string]bool{}
	for i, w := range p.NotApplicable {
		pos := position{w.Line, w.Col}
		p.pos[fmt.Sprintf("not_applicable.%d", i)] = pos
		key := fmt.Sprintf("not_applicable.%d", i)
		switch {
		case !known[w.Rule]:
			out = append(out, p.finding(SeverityError, CodeUnknownField, key, "only lint rules can be waived: "+strings.Join(ruleIDs(), ", "),
				"not_applicable names %q, which is not a lint rule", w.Rule))
		case w.Reason == "":
			out = append(out, p.finding(SeverityError, CodeMissingValue, key, "add 'reason: ...' saying why the rule does not apply; the output shows it",
				"not_applicable %s has no reason", w.Rule))
		default:
			waived[w.Rule] = true
			f := p.finding(SeverityInfo, w.Rule, key, "", "%s does not apply to this profile: %s", w.Rule, w.Reason)
			f.Article = ruleArticle(w.Rule)
			out = append(out, f)
		}
	}
	for _, f := range lint {
		if !waived[f.Rule] {
			out = append(out, f)
		}
	}
	return out
}

func ruleIDs() []string {
	var ids []string
	for _, r := range Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}

// lintCtx is one run of the lint rules: the defaults of one language
// (prof == nil) or one profile.
type lintCtx struct {
	lib     *Library
	lang    string
	clauses []*Clause
	prof    *Profile
}

// valueAt is a parameter value with where it was set.
type valueAt struct {
	v         any
	file      string
	line, col int
	clause    *Clause
	fromProf  bool
}

// values returns the value of parameter name as each selected clause
// declaring it would see it.
func (lc *lintCtx) values(name string) []valueAt {
	var out []valueAt
	for _, c := range lc.clauses {
		pr := c.Param(name)
		if pr == nil {
			continue
		}
		if lc.prof != nil {
			if v, ok := lc.prof.Values[name]; ok {
				cv, msg := coerce(pr.Type, v)
				if msg != "" {
					continue // reported as wrong-type
				}
				line, col := lc.prof.at("values." + name)
				out = append(out, valueAt{v: cv, file: lc.prof.File, line: line, col: col, clause: c, fromProf: true})
				continue
			}
		}
		if pr.Default == nil {
			continue
		}
		va := valueAt{v: pr.Default, file: c.File, line: pr.Line, col: pr.Col, clause: c}
		if lc.prof != nil { // a default the profile relies on: point at the profile
			va.file, va.line, va.col = lc.prof.File, 1, 1
			if ps, ok := lc.prof.pos["values"]; ok {
				va.line, va.col = ps.line, ps.col
			}
		}
		out = append(out, va)
	}
	return out
}

func (lc *lintCtx) finding(sev, rule string, file string, line, col int, hint, format string, args ...any) Finding {
	f := Finding{File: file, Line: line, Col: col, Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...), Hint: hint, Article: ruleArticle(rule)}
	if lc.prof != nil {
		f.Profile = lc.prof.File
	}
	return f
}

func (lc *lintCtx) where() string {
	if lc.prof != nil {
		return "profile"
	}
	return "default"
}

func (lc *lintCtx) run() []Finding {
	var out []Finding
	out = append(out, lc.periods()...)
	out = append(out, lc.switchCharges()...)
	out = append(out, lc.coverage()...)
	out = append(out, lc.trustee()...)
	out = append(out, lc.requireCover(RuleGDPRReturnDelete, "personal data is returned or deleted at the controller's choice when the services end", refGDPRReturnDelete)...)
	if lc.prof != nil && lc.prof.Regulated {
		out = append(out, lc.requireCover(RuleDORAExitPlan, "a documented, tested exit strategy with an adequate transition period", refDORAExit, refDORATr)...)
	}
	return out
}

func (lc *lintCtx) periods() []Finding {
	var out []Finding
	for _, va := range lc.values("notice_period_days") {
		if n, _ := toInt(va.v); n > maxNoticeDays {
			out = append(out, lc.finding(SeverityError, RuleNoticeMax, va.file, va.line, va.col,
				"set notice_period_days to at most 60: the Data Act caps the notice period for a switch at 2 months",
				"%s notice period of %d days (%s) exceeds 2 months", lc.where(), n, va.clause.ID))
		}
	}
	for _, va := range lc.values("retrieval_period_days") {
		if n, _ := toInt(va.v); n < minRetrievalDays {
			out = append(out, lc.finding(SeverityError, RuleRetrievalMin, va.file, va.line, va.col,
				"set retrieval_period_days to at least 30: the customer must have 30 calendar days after the transitional period to retrieve its data",
				"%s data retrieval period of %d days (%s) is shorter than 30 days", lc.where(), n, va.clause.ID))
		}
	}
	for _, va := range lc.values("transition_period_days") {
		n, _ := toInt(va.v)
		if n <= maxTransitionDays {
			continue
		}
		reason := ""
		if lc.prof != nil {
			reason = strings.TrimSpace(lc.prof.Justifications["transition_period_days"])
		}
		switch {
		case n > maxAltTransitionDays:
			out = append(out, lc.finding(SeverityError, RuleTransitionMax, va.file, va.line, va.col,
				"an alternative transitional period may not exceed 7 months (213 days)",
				"%s transitional period of %d days exceeds 7 months (%s)", lc.where(), n, va.clause.ID))
		case reason == "":
			out = append(out, lc.finding(SeverityError, RuleTransitionMax, va.file, va.line, va.col,
				"keep it at 30 days, or where 30 days is technically unfeasible record the reason in the profile under justifications: transition_period_days: \"...\" (notify within 14 working days, at most 7 months)",
				"%s transitional period of %d days exceeds 30 days without a recorded justification (%s)", lc.where(), n, va.clause.ID))
		default:
			out = append(out, lc.finding(SeverityInfo, RuleTransitionMax, va.file, va.line, va.col, "",
				"transitional period of %d days relies on the justification: %s", n, reason))
		}
	}
	return out
}

func (lc *lintCtx) switchCharges() []Finding {
	var out []Finding
	for _, va := range lc.values("switching_charge_eur") {
		f, _ := toFloat(va.v)
		if f <= 0 {
			continue
		}
		eff := va.clause.Effective
		if lc.prof != nil && lc.prof.Effective.After(eff) {
			eff = lc.prof.Effective
		}
		if !eff.Before(switchChargeCutoff) {
			out = append(out, lc.finding(SeverityError, RuleSwitchCharges, va.file, va.line, va.col,
				"set switching_charge_eur to 0: from 12 January 2027 no switching charges may be imposed",
				"%s switching charge of %s for %s effective %s; none are allowed from 2027-01-12", lc.where(), num(f), va.clause.ID, eff.Format("2006-01-02")))
			continue
		}
		out = append(out, lc.finding(SeverityWarning, RuleSwitchCharges, va.file, va.line, va.col,
			"until 12 January 2027 the charge may not exceed the costs directly linked to switching, must be disclosed before signing and on the website, and falls to 0 on 2027-01-12",
			"%s switching charge of %s for %s effective %s is a reduced charge to disclose", lc.where(), num(f), va.clause.ID, eff.Format("2006-01-02")))
	}
	return out
}

func covered(cs []*Clause, ref string) bool {
	for _, c := range cs {
		if c.covers(ref) {
			return true
		}
	}
	return false
}

func (lc *lintCtx) coverage() []Finding {
	l := lc.lib
	var out []Finding
	if l.obligationsFile == "" {
		return nil
	}
	all := l.Current(lc.lang)
	for _, o := range l.Obligations {
		if !o.OwedByProvider || covered(lc.clauses, o.Ref) {
			continue
		}
		if lc.prof == nil {
			out = append(out, lc.finding(SeverityError, RuleCoverage, l.obligationsFile, o.Line, o.Col,
				fmt.Sprintf("add %s to the covers: list of the published %s clause that meets it, or write one", o.Ref, lc.lang),
				"no published %s clause covers %s (%s): %s", lc.lang, o.Ref, o.Article, o.DutyText(lc.lang)))
			continue
		}
		if covered(all, o.Ref) { // the library covers it, the selection drops it
			line, col := lc.prof.at("clauses")
			f := lc.finding(SeverityError, RuleCoverage, lc.prof.File, line, col,
				"add the clause that covers it to clauses:, or mark COVERAGE not_applicable with a reason",
				"the selected clauses do not cover %s (%s): %s", o.Ref, o.Article, o.DutyText(lc.lang))
			out = append(out, f)
		}
	}
	for i := range out {
		if lc.prof == nil {
			out[i].Article = "obligations.yaml"
		}
	}
	return out
}

// at returns where a library-level finding about ref should point: its
// entry in obligations.yaml, or the content folder.
func (lc *lintCtx) at(ref string) (string, int, int) {
	if lc.prof != nil {
		line, col := lc.prof.at("clauses")
		if lc.prof.Clauses == nil {
			line, col = 1, 1
		}
		return lc.prof.File, line, col
	}
	for _, o := range lc.lib.Obligations {
		if o.Ref == ref {
			return lc.lib.obligationsFile, o.Line, o.Col
		}
	}
	return lc.lib.Dir, 0, 0
}

func (lc *lintCtx) requireCover(rule, duty string, refs ...string) []Finding {
	var out []Finding
	for _, ref := range refs {
		if covered(lc.clauses, ref) {
			continue
		}
		if lc.prof != nil && rule != RuleDORAExitPlan && !covered(lc.lib.Current(lc.lang), ref) {
			continue // a gap of the library itself, reported once on the defaults
		}
		file, line, col := lc.at(ref)
		if lc.prof != nil && rule == RuleDORAExitPlan {
			line, col = lc.prof.at("regulated")
		}
		out = append(out, lc.finding(SeverityError, rule, file, line, col,
			fmt.Sprintf("publish a clause in %s with %s in its covers: list, or select one that has it", lc.lang, ref),
			"no %s %s clause covers %s: %s", map[bool]string{true: "selected", false: "published"}[lc.prof != nil], lc.lang, ref, duty))
	}
	return out
}

func (lc *lintCtx) trustee() []Finding {
	out := lc.requireCover(RuleTrusteeAccess, "trustee access to the customer's data that survives suspension for non-payment", refTrustee)
	for _, va := range lc.values("trustee_access") {
		if b, _ := va.v.(bool); !b {
			out = append(out, lc.finding(SeverityError, RuleTrusteeAccess, va.file, va.line, va.col,
				"set trustee_access to true: a bankruptcy trustee must reach the customer's data even after suspension for non-payment",
				"%s trustee_access is false (%s)", lc.where(), va.clause.ID))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
