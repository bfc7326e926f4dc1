package lint

import (
	"strconv"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/param"
)

// switchChargeCutoff is the day from which the Data Act forbids imposing
// switching charges (Art. 29(1)), whatever the date of the request.
var switchChargeCutoff = time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c *ctx) switchCharges() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("switching_charge_eur") {
		f, _ := param.Float(va.v)
		if f <= 0 {
			continue
		}
		eff := va.clause.Effective
		if c.prof != nil && c.prof.Effective.After(eff) {
			eff = c.prof.Effective
		}
		if !eff.Before(switchChargeCutoff) {
			out = append(out, c.finding(clause.SeverityError, RuleSwitchCharges, va.file, va.line, va.col,
				"set switching_charge_eur to 0: from 12 January 2027 no switching charges may be imposed",
				"%s switching charge of %s for %s effective %s; none are allowed from 2027-01-12", c.where(), num(f), va.clause.ID, day(eff)))
			continue
		}
		out = append(out, c.finding(clause.SeverityWarning, RuleSwitchCharges, va.file, va.line, va.col,
			"until 11 January 2027 the charge may not exceed the costs directly linked to switching, must be disclosed before signing and on the website, and no charge may be imposed from 12 January 2027",
			"%s switching charge of %s for %s effective %s is a reduced charge to disclose", c.where(), num(f), va.clause.ID, day(eff)))
	}
	return out
}

func (c *ctx) parallelEgress() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("parallel_egress_at_cost") {
		if b, _ := va.v.(bool); !b {
			out = append(out, c.finding(clause.SeverityError, RuleParallelEgress, va.file, va.line, va.col,
				"set parallel_egress_at_cost to true: for in-parallel use the provider may only pass on the egress costs it incurs, without exceeding them",
				"%s parallel_egress_at_cost is false (%s)", c.where(), va.clause.ID))
		}
	}
	return out
}
