package clause

import "time"

// Glossary returns the defined terms of the current definitions clauses in
// lang, in their order. A definition is a list item (or paragraph) that
// starts with the term in bold quotes: **"Term"** means ... or
// **"Term"**: ...; Definition is the rest as plain text, without "means".
func (l *Library) Glossary(lang string) []Term { return l.glossaryOf(l.Current(lang)) }

// GlossaryOn is Glossary for the definitions in force on date.
func (l *Library) GlossaryOn(lang string, date time.Time) []Term {
	return l.glossaryOf(l.InForce(lang, date))
}

func (l *Library) glossaryOf(clauses []*Clause) []Term {
	var out []Term
	for _, c := range clauses {
		if !c.Definitions || c.tpl == nil {
			continue
		}
		for _, d := range c.tpl.Definitions(c.env(l)) {
			out = append(out, Term{Name: d.Term, Definition: d.Text, ClauseID: c.ID})
		}
	}
	return out
}
