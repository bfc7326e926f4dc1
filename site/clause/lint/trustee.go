package lint

import "github.com/exitkit/exitkit/site/clause"

const refTrustee = "nl-fw/105b"

func (c *ctx) trustee() []clause.Finding {
	out := c.requireCover(RuleTrusteeAccess, "the trustee's statutory access to the customer's administration, complete and intact, whatever the suspension, arrears or termination", false, refTrustee)
	for _, va := range c.values("trustee_access") {
		if b, _ := va.v.(bool); !b {
			out = append(out, c.finding(clause.SeverityError, RuleTrusteeAccess, va.file, va.line, va.col,
				"set trustee_access to true: under Art. 105b Faillissementswet whoever holds the bankrupt's administration hands it to the trustee complete and intact, and a contract cannot take that away",
				"%s trustee_access is false (%s)", c.where(), va.clause.ID))
		}
	}
	return out
}

func (c *ctx) legalCutoff() []clause.Finding {
	return c.requireCover(RuleLegalCutoff, "a cut-off the provider says the law forces (sanctions): notice with reasons, data kept intact, licences sought, hand-over by a lawful route, the holding entity named", true, refLegalCompulsion)
}
