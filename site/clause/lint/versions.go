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

// effectiveInForce keeps "in force" well defined: a later version never
// takes effect before an earlier one. Its profile half, that a profile
// selects only versions in force on its effective date, is reported under
// the same id by clause.Library.CheckVersions, at the pin it concerns,
// because selecting by date happens there.
func (c *ctx) effectiveInForce() []clause.Finding {
	if c.prof == nil {
		return c.effectiveOrder()
	}
	return nil
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

// minChangeNotice is how long before it takes effect a new version must
// be published: clause 14.4 of the default set promises 30 days, as
// published legal terms conventionally give.
const minChangeNotice = 30

// changeNotice checks every version that replaces an earlier one and
// states when it was published: it takes effect at least 30 days later,
// so customers can read it before it binds them.
func (c *ctx) changeNotice() []clause.Finding {
	if c.prof != nil {
		return nil
	}
	var out []clause.Finding
	seen := map[string]bool{}
	for _, cl := range c.lib.Clauses {
		if cl.Lang != c.lang || seen[cl.ID] {
			continue
		}
		seen[cl.ID] = true
		vs := c.lib.Versions(cl.ID, c.lang)
		for i := 1; i < len(vs); i++ {
			v := vs[i]
			if v.Published.IsZero() {
				continue
			}
			if earliest := v.Published.AddDate(0, 0, minChangeNotice); v.Effective.Before(earliest) {
				line, col := v.At("effective")
				out = append(out, c.finding(clause.SeverityError, RuleChangeNotice, v.File, line, col,
					"set effective: to "+day(earliest)+" or later: a new version is published at least 30 days before it takes effect",
					"%s v%s, published %s, takes effect on %s, less than 30 days later", v.ID, v.Version, day(v.Published), day(v.Effective)))
			}
		}
	}
	return out
}
