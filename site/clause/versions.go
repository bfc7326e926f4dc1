package clause

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Which version of a clause applies is a question of dates, not of
// version numbers: a published version takes effect on its effective date
// and stays in force until a later one does. The status field only says
// whether a version was issued at all (draft versions never were) and, for
// a clause whose every version is superseded, that the clause was
// withdrawn.

// Version states on a given date, as VersionState.State gives them.
const (
	StateInForce    = "in-force"   // the version that applies on the date
	StateUpcoming   = "upcoming"   // issued, takes effect after the date
	StateSuperseded = "superseded" // a later version took effect on or before the date
	StateWithdrawn  = "withdrawn"  // the last version of a clause no longer issued
)

// VersionState is one issued version of a clause and what it is on a date.
type VersionState struct {
	Clause *Clause
	State  string
	// Since is the day the state began: the effective date for in-force
	// and upcoming versions, the successor's effective date for a
	// superseded one.
	Since time.Time
	// Successor is the version that superseded this one, if any.
	Successor *Clause
}

// Day returns t's calendar day (in t's location) at midnight UTC, the form
// in which effective dates are compared.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Issued reports whether a version was ever published: published or
// superseded, not a draft. Issued versions are citable and never change.
func (c *Clause) Issued() bool { return c.issued() }

func (c *Clause) issued() bool { return c.Status == StatusPublished || c.Status == StatusSuperseded }

// Position returns where front-matter field (e.g. "version") is in the
// clause file, or 1:1.
func (c *Clause) Position(field string) (line, col int) { return c.at(field) }

// ValidID reports whether s is a clause id such as EM-10.
func ValidID(s string) bool { return reID.MatchString(s) }

// ValidVersion reports whether s is a MAJOR.MINOR.PATCH version.
func ValidVersion(s string) bool { return reSemver.MatchString(s) }

// CompareVersions orders semantic versions; unparsable ones sort first.
func CompareVersions(a, b string) int { return compareVersions(a, b) }

// SortFindings sorts findings by file, line, column, rule and message, as
// Load and Check return them.
func SortFindings(fs []Finding) { sortFindings(fs) }

// timeline returns the issued versions of id in lang in the order they take
// effect: by effective date, then version.
func (l *Library) timeline(id, lang string) []*Clause {
	var out []*Clause
	for _, c := range l.Clauses {
		if c.ID == id && c.Lang == lang && c.issued() {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *Clause) int {
		return cmp.Or(a.Effective.Compare(b.Effective), compareVersions(a.Version, b.Version))
	})
	return out
}

// History returns every issued version of clause id in lang, oldest first
// (in the order Versions gives them), with its state on date.
func (l *Library) History(id, lang string, date time.Time) []VersionState {
	date = Day(date)
	tl := l.timeline(id, lang)
	withdrawn := !slices.ContainsFunc(tl, func(c *Clause) bool { return c.Status == StatusPublished })
	states := map[*Clause]VersionState{}
	for i, c := range tl {
		st := VersionState{Clause: c, Since: c.Effective}
		var next *Clause
		if i+1 < len(tl) {
			next = tl[i+1]
		}
		switch {
		case c.Effective.After(date):
			st.State = StateUpcoming
		case next != nil && !next.Effective.After(date):
			st.State, st.Since, st.Successor = StateSuperseded, next.Effective, next
		case withdrawn:
			st.State = StateWithdrawn
		default:
			st.State = StateInForce
		}
		if next != nil && st.Successor == nil && st.State != StateUpcoming {
			st.Successor = next
		}
		states[c] = st
	}
	var out []VersionState
	for _, c := range l.Versions(id, lang) {
		out = append(out, states[c])
	}
	return out
}

// VersionOn returns the version of clause id in lang in force on date, or
// nil when none is: the clause was withdrawn, or takes effect later.
func (l *Library) VersionOn(id, lang string, date time.Time) *Clause {
	for _, st := range l.History(id, lang, date) {
		if st.State == StateInForce {
			return st.Clause
		}
	}
	return nil
}

// InForce returns the version of each clause in lang in force on date,
// ordered by Order (then id). Unlike Current, a version published ahead
// of its effective date is left out until that date.
func (l *Library) InForce(lang string, date time.Time) []*Clause {
	var out []*Clause
	seen := map[string]bool{}
	for _, c := range l.Clauses {
		if c.Lang != lang || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		if v := l.VersionOn(c.ID, lang, date); v != nil {
			out = append(out, v)
		}
	}
	sortByOrder(out)
	return out
}

// Upcoming returns the issued versions in lang that take effect after
// date, ordered by Order, then effective date.
func (l *Library) Upcoming(lang string, date time.Time) []*Clause {
	date = Day(date)
	var out []*Clause
	for _, c := range l.Clauses {
		if c.Lang == lang && c.issued() && c.Effective.After(date) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *Clause) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID), a.Effective.Compare(b.Effective))
	})
	return out
}

func sortByOrder(cs []*Clause) {
	slices.SortStableFunc(cs, func(a, b *Clause) int { return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID)) })
}

// Profile selection.

// SelectionDate is the day whose versions in force an unpinned selection
// takes: AsOf when set, else the profile's effective date.
func (p *Profile) SelectionDate() time.Time {
	if !p.AsOf.IsZero() {
		return Day(p.AsOf)
	}
	return p.Effective
}

// Pinned reports whether the profile pins every clause it selects.
func (p *Profile) Pinned() bool {
	if p.Clauses == nil {
		return false
	}
	for _, id := range p.Clauses {
		if p.Pins[id] == "" {
			return false
		}
	}
	return true
}

// Select returns the clause versions of p's module in lang, in module
// order: each pinned id at its pinned version; every other listed id (or,
// without a clauses: list, every clause) at the version in force on p's
// SelectionDate. A profile without an effective date and without AsOf
// selects the latest published versions, as exitkit did before versions
// were dated. The error lists every clause that cannot be selected.
func (l *Library) Select(p *Profile, lang string) ([]*Clause, error) {
	sel, problems := l.Selection(p, lang)
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, f := range problems {
			msgs[i] = f.Message + "; " + f.Hint
		}
		return nil, fmt.Errorf("%s: %s", p.File, strings.Join(msgs, "; "))
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("%s: no clause in language %q is in force on %s; publish clauses or choose another --lang", p.File, lang, ISODate(p.SelectionDate()))
	}
	return sel, nil
}

// Selection is Select with its problems as findings at their place in the
// profile.
func (l *Library) Selection(p *Profile, lang string) ([]*Clause, []Finding) {
	date := p.SelectionDate()
	pick := func(id string) *Clause {
		if date.IsZero() {
			for _, c := range l.Current(lang) {
				if c.ID == id {
					return c
				}
			}
			return nil
		}
		return l.VersionOn(id, lang, date)
	}
	var problems []Finding
	var sel []*Clause
	if p.Clauses == nil {
		if date.IsZero() {
			return l.Current(lang), nil
		}
		return l.InForce(lang, date), nil
	}
	for i, id := range p.Clauses {
		key := fmt.Sprintf("clauses.%d", i)
		var c *Clause
		if v := p.Pins[id]; v != "" {
			c = l.Find(id, v, lang)
			if c == nil || !c.issued() {
				problems = append(problems, p.finding(SeverityError, CodeBrokenReference, key,
					"pin a published version: "+l.versionList(id, lang), "clause %s has no published %s version %s", id, lang, v))
				continue
			}
		} else if c = pick(id); c == nil {
			hint := "list ids of published clauses, or leave clauses out to use all of them"
			if vs := l.timeline(id, lang); len(vs) > 0 {
				hint = fmt.Sprintf("its versions: %s; pin one, or give the profile a later effective date", l.versionList(id, lang))
			}
			what := "has no published " + lang + " version"
			if !date.IsZero() && len(l.timeline(id, lang)) > 0 {
				what = fmt.Sprintf("has no %s version in force on %s", lang, ISODate(date))
			}
			problems = append(problems, p.finding(SeverityError, CodeBrokenReference, key, hint, "clause %s %s", id, what))
			continue
		}
		if !slices.Contains(sel, c) {
			sel = append(sel, c)
		}
	}
	sortByOrder(sel)
	return sel, problems
}

// versionList describes the versions of id in lang for a hint, e.g.
// "1.0.0 (in force from 2025-09-12), 2.0.0 (from 2027-01-12)".
func (l *Library) versionList(id, lang string) string {
	var vs []string
	for _, c := range l.Clauses {
		if c.ID == id && c.Lang == lang {
			s := c.Version + " (" + c.Status
			if c.issued() {
				s += ", effective " + ISODate(c.Effective)
			}
			vs = append(vs, s+")")
		}
	}
	if len(vs) == 0 {
		return "none in " + lang
	}
	return strings.Join(vs, ", ")
}

// IDs lists the ids of every clause, in any language and status, in
// natural order (EM-2 before EM-10).
func (l *Library) IDs() []string {
	var ids []string
	for _, c := range l.Clauses {
		if !slices.Contains(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	slices.SortFunc(ids, CompareIDs)
	return ids
}

// CompareIDs orders clause ids by prefix, then number: EM-2 before EM-10.
func CompareIDs(a, b string) int {
	pa, na, _ := strings.Cut(a, "-")
	pb, nb, _ := strings.Cut(b, "-")
	if c := cmp.Compare(pa, pb); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(len(na), len(nb)), cmp.Compare(na, nb))
}

// ErrNoClause reports an id that no clause file has.
var ErrNoClause = errors.New("no such clause")

// FindVersion returns version v (with or without a leading "v") of clause
// id in lang, or an error that says which ids or versions exist.
func (l *Library) FindVersion(id, v, lang string) (*Clause, error) {
	v = strings.TrimPrefix(v, "v")
	if !slices.Contains(l.IDs(), id) {
		return nil, fmt.Errorf("%w: no clause %s; the library has %s", ErrNoClause, id, strings.Join(l.IDs(), ", "))
	}
	if c := l.Find(id, v, lang); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("clause %s has no version %s in %s; versions: %s", id, v, lang, l.versionList(id, lang))
}
