package lint

import (
	"time"

	"github.com/exitkit/exitkit/site/clause"
)

// InForce returns the version of clause id in lang that is in force on
// date: the highest published or superseded version whose effective date
// is on or before date, or nil when none is. Drafts are never in force.
func InForce(l *clause.Library, id, lang string, date time.Time) *clause.Clause {
	var best *clause.Clause
	for _, c := range l.Versions(id, lang) { // oldest first, drafts left out
		if !c.Effective.After(date) {
			best = c
		}
	}
	return best
}

// effectiveInForce makes a contract cite only terms in force when it
// starts, and keeps "in force" well defined: a later version never takes
// effect before an earlier one.
func (c *ctx) effectiveInForce() []clause.Finding {
	if c.prof == nil {
		return c.effectiveOrder()
	}
	if c.prof.Effective.IsZero() { // a draft profile without a date: nothing to compare
		return nil
	}
	var out []clause.Finding
	for _, cl := range c.clauses {
		if !cl.Effective.After(c.prof.Effective) {
			continue
		}
		file, line, col := c.profileAt("effective")
		hint := "set the profile's effective: to " + day(cl.Effective) + " or later"
		if f := InForce(c.lib, cl.ID, cl.Lang, c.prof.Effective); f != nil {
			hint += ", or use v" + f.Version + ", the version in force on " + day(c.prof.Effective)
		} else {
			hint += ": no version of " + cl.ID + " is in force on " + day(c.prof.Effective)
		}
		out = append(out, c.finding(clause.SeverityError, RuleEffectiveInForce, file, line, col, hint,
			"%s v%s takes effect on %s, after the profile's effective date %s: the contract would cite terms not yet in force",
			cl.ID, cl.Version, day(cl.Effective), day(c.prof.Effective)))
	}
	return out
}

func (c *ctx) effectiveOrder() []clause.Finding {
	var out []clause.Finding
	seen := map[string]bool{}
	for _, cl := range c.lib.Clauses {
		if cl.Lang != c.lang || seen[cl.ID] {
			continue
		}
		seen[cl.ID] = true
		vs := c.lib.Versions(cl.ID, c.lang)
		for i := 1; i < len(vs); i++ {
			if vs[i].Effective.Before(vs[i-1].Effective) {
				line, col := vs[i].At("effective")
				out = append(out, c.finding(clause.SeverityError, RuleEffectiveInForce, vs[i].File, line, col,
					"give each version an effective date on or after the previous version's, so the version in force on any date is clear",
					"%s v%s takes effect on %s, before v%s (%s)", cl.ID, vs[i].Version, day(vs[i].Effective), vs[i-1].Version, day(vs[i-1].Effective)))
			}
		}
	}
	return out
}
