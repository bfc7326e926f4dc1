package clause

import (
	"fmt"
	"strings"
)

// Codes of the findings about a profile's clause versions.
const (
	// CodeNotInForce: a selected version takes effect after the profile's
	// effective date, so the contract would cite a text not yet in force.
	// It carries the lint rule's id: the lint (site/clause/lint) lists the
	// rule and checks the library half, the order of effective dates.
	CodeNotInForce = "EFFECTIVE-IN-FORCE"
	// CodeUnpinned (warning): the profile does not record the versions
	// agreed, so its module changes whenever the library does.
	CodeUnpinned = "unpinned"
	// CodeNewerVersion (note): a pinned clause has a later version.
	CodeNewerVersion = "newer-version"
)

// CheckVersions reports on the versions a profile selects: any not in
// force on its effective date, pins with a newer version, and a selection
// that is not pinned.
func (l *Library) CheckVersions(p *Profile, selected []*Clause) []Finding {
	var out []Finding
	idx := map[string]int{}
	for i, id := range p.Clauses {
		idx[id] = i
	}
	key := func(id string) string {
		if i, ok := idx[id]; ok {
			return fmt.Sprintf("clauses.%d", i)
		}
		return "effective"
	}
	for _, c := range selected {
		if !p.Effective.IsZero() && c.Effective.After(p.Effective) {
			hint := "give the profile an effective date on or after " + ISODate(c.Effective)
			if prev := l.VersionOn(c.ID, c.Lang, p.Effective); prev != nil {
				hint = fmt.Sprintf("pin the version in force on %s (%s: %s), or give the profile an effective date on or after %s",
					ISODate(p.Effective), c.ID, prev.Version, ISODate(c.Effective))
			}
			f := p.finding(SeverityError, CodeNotInForce, key(c.ID), hint,
				"%s version %s takes effect on %s, after the profile's effective date %s: the module would cite a text not yet in force",
				c.ID, c.Version, ISODate(c.Effective), ISODate(p.Effective))
			f.Article = "DORA Art. 30(1); Data Act Art. 25(1)"
			out = append(out, f)
		}
		if p.Pins[c.ID] == "" {
			continue
		}
		tl := l.timeline(c.ID, c.Lang)
		if latest := tl[len(tl)-1]; compareVersions(latest.Version, c.Version) > 0 {
			out = append(out, p.finding(SeverityInfo, CodeNewerVersion, key(c.ID),
				fmt.Sprintf("see what changed with 'exitsite diff %s %s %s --lang %s'; to move to it, agree it with the customer and change the pin", c.ID, c.Version, latest.Version, c.Lang),
				"%s is pinned at %s; version %s (effective %s) exists", c.ID, c.Version, latest.Version, ISODate(latest.Effective)))
		}
	}
	if !p.Pinned() {
		var which string
		if p.Clauses != nil {
			var ids []string
			for _, id := range p.Clauses {
				if p.Pins[id] == "" {
					ids = append(ids, id)
				}
			}
			which = " for " + strings.Join(ids, ", ")
		}
		date := "the latest published versions"
		if d := p.SelectionDate(); !d.IsZero() {
			date = "the versions in force on " + ISODate(d)
		}
		k := "clauses"
		if p.Clauses == nil {
			k = "effective"
		}
		out = append(out, p.finding(SeverityWarning, CodeUnpinned, k,
			fmt.Sprintf("once the customer has agreed the module, run 'exitsite module --profile %s --pin' to record each clause's version in the profile", p.File),
			"the profile pins no clause version%s: its module takes %s and will change with the library", which, date))
	}
	return out
}
