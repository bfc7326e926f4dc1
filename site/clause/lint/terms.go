package lint

import (
	"strings"

	"github.com/exitkit/exitkit/site/clause"
)

// termsMatch keeps one translated term per defined term: the definitions
// clause of every language defines as many terms as the English one, so a
// term dropped, split in two or left untranslated in a translation shows.
// It runs on the library only (a profile does not change the glossary).
func (c *ctx) termsMatch() []clause.Finding {
	if c.prof != nil || c.lang == "en" {
		return nil
	}
	en, tr := c.lib.Glossary("en"), c.lib.Glossary(c.lang)
	if len(en) == 0 || len(tr) == 0 || len(en) == len(tr) {
		return nil
	}
	file, line, col := c.lib.Dir, 0, 0
	for _, cl := range c.lib.Current(c.lang) {
		if cl.Definitions {
			file, line, col = cl.File, 1, 1
		}
	}
	names := func(ts []clause.Term) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.Name)
		}
		return strings.Join(s, ", ")
	}
	return []clause.Finding{c.finding(clause.SeverityError, RuleTermsMatch, file, line, col,
		"define exactly one "+c.lang+" term for each English defined term, in the definitions clause of the same version",
		"the %s definitions define %d terms, the English %d (en: %s; %s: %s)", c.lang, len(tr), len(en), names(en), c.lang, names(tr))}
}
