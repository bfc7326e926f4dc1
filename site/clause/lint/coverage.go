package lint

import (
	"fmt"
	"regexp"

	"github.com/exitkit/exitkit/site/clause"
)

// Catalogue refs the rules look for.
const (
	refGDPRReturnDelete = "gdpr/28/3/g"
	refDeemedRequest    = "exit/deemed-request"
	refLegalCompulsion  = "exit/legal-compulsion"
)

// citeDeemed matches the deemed Switching Request in either language.
var citeDeemed = regexp.MustCompile(`(?i)deemed to have (made|submitted) a Switching Request|geacht een Overstapverzoek`)

func (c *ctx) coverage() []clause.Finding {
	l := c.lib
	if l.ObligationsFile() == "" {
		return nil
	}
	var out []clause.Finding
	all := l.Current(c.lang)
	for _, o := range l.Obligations {
		if !o.OwedByProvider || len(covered(c.clauses, o.Ref)) > 0 {
			continue
		}
		if c.prof == nil {
			f := c.finding(clause.SeverityError, RuleCoverage, l.ObligationsFile(), o.Line, o.Col,
				fmt.Sprintf("add %s to the covers: list of the published %s clause that meets it, or write one", o.Ref, c.lang),
				"no published %s clause covers %s (%s): %s", c.lang, o.Ref, o.Article, o.DutyText(c.lang))
			f.Article = "obligations.yaml"
			out = append(out, f)
			continue
		}
		if len(covered(all, o.Ref)) > 0 { // the library covers it, the selection drops it
			file, line, col := c.profileAt("clauses")
			out = append(out, c.finding(clause.SeverityError, RuleCoverage, file, line, col,
				"add the clause that covers it to clauses:, or mark COVERAGE not_applicable with a reason",
				"the selected clauses do not cover %s (%s): %s", o.Ref, o.Article, o.DutyText(c.lang)))
		}
	}
	return out
}

func (c *ctx) gdprReturnDelete() []clause.Finding {
	return c.requireCover(RuleGDPRReturnDelete, "personal data is erased or returned at the controller's choice when the services end", false, refGDPRReturnDelete)
}

func (c *ctx) exitWithoutRequest() []clause.Finding {
	out := c.requireCover(RuleExitWithoutRequest, "an exit path (notice, transitional and retrieval periods) when the Agreement ends without a Switching Request", true, refDeemedRequest)
	if len(out) > 0 {
		return out
	}
	return c.requireRendered(RuleExitWithoutRequest, "the Customer is deemed to have made a Switching Request on expiry, non-renewal or termination", citeDeemed, refDeemedRequest)
}
