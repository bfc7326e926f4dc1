package lint

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/param"
)

// timing checks that the exit timeline's periods fit together, so that
// one clause never gives less time than another relies on: the customer's
// window to object to a delivered bundle is at least the window it has to
// verify a drive, and a DORA transition period is not shorter than the
// Data Act one it replaces.
func (c *ctx) timing() []clause.Finding {
	var out []clause.Finding
	accept := c.values("acceptance_period_working_days")
	verify := c.values("media_verification_working_days")
	for _, a := range accept {
		an, _ := param.Int(a.v)
		for _, v := range verify {
			if vn, _ := param.Int(v.v); an < vn {
				out = append(out, c.finding(clause.SeverityError, RuleTiming, a.file, a.line, a.col,
					"make acceptance_period_working_days at least media_verification_working_days: Switching must not be deemed complete before the Customer could verify the bundle",
					"%s acceptance period of %d working days (%s) is shorter than the %d working days to verify a drive (%s)", c.where(), an, a.clause.ID, vn, v.clause.ID))
			}
		}
	}
	if c.prof != nil && c.prof.Regulated {
		for _, d := range c.values("dora_transition_period_days") {
			dn, _ := param.Int(d.v)
			for _, t := range c.values("transition_period_days") {
				if tn, _ := param.Int(t.v); dn < tn {
					out = append(out, c.finding(clause.SeverityError, RuleTiming, d.file, d.line, d.col,
						"make dora_transition_period_days at least transition_period_days: the DORA period replaces the Data Act period for a regulated customer and may not shorten it",
						"DORA transition period of %d days (%s) is shorter than the transitional period of %d days (%s)", dn, d.clause.ID, tn, t.clause.ID))
				}
			}
		}
	}
	return out
}

const refSurvival = "exit/survival"

var survivalPara = regexp.MustCompile(`(?i)\bsurviv|blijven na beëindiging|blijft na beëindiging`)

// survival checks the survival clause against the selection: its rendered
// text names every other selected clause, so no exit term (a choice, a
// charge rule, the exit plan in the run-off) lapses when the Agreement
// ends while the exit is still running.
func (c *ctx) survival() []clause.Finding {
	if !c.listed(refSurvival) {
		return nil
	}
	var out []clause.Finding
	for _, sc := range covered(c.clauses, refSurvival) {
		full, ok := c.rendered(sc)
		if !ok {
			continue
		}
		// Only the survival paragraphs count: a reference elsewhere in
		// the clause (a charge rule citing clause 13) keeps nothing alive.
		var parts []string
		for _, p := range strings.Split(full, "\n\n") {
			if survivalPara.MatchString(p) {
				parts = append(parts, p)
			}
		}
		txt := strings.Join(parts, "\n\n")
		var missing []string
		for _, cl := range c.clauses {
			if cl.ID == sc.ID {
				continue
			}
			ref := regexp.MustCompile(fmt.Sprintf(`\b(clause|artikel) %d \(`, cl.Order))
			if !ref.MatchString(txt) {
				missing = append(missing, cl.ID)
			}
		}
		if len(missing) == 0 {
			continue
		}
		file, line, col := sc.File, 1, 1
		if c.prof != nil {
			file, line, col = c.profileAt("clauses")
		}
		out = append(out, c.finding(clause.SeverityError, RuleSurvival, file, line, col,
			"add [["+strings.Join(missing, "]], [[")+"]] to the survival list of "+sc.ID+", in a new version",
			"%s v%s does not keep %s alive after the Agreement ends", sc.ID, sc.Version, strings.Join(missing, ", ")))
	}
	return out
}
