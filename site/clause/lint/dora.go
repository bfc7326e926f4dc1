package lint

import (
	"regexp"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/param"
)

const (
	refDORAExit        = "dora/28/8"
	refDORATransition  = "dora/30/3/f"
	refBRRD            = "brrd/68/3"
	minProviderNoticeM = 12
)

var (
	citeDORA288  = regexp.MustCompile(`28\(8\)|28, lid 8`)
	citeDORA303f = regexp.MustCompile(`30\(3\)\(f\)|30, lid 3, punt f`)
	citeDORA287  = regexp.MustCompile(`28\(7\)|28, lid 7`)
	citeBRRD683  = regexp.MustCompile(`68\(3\)|68, lid 3`)
	refsDORA2887 = []string{"dora/28/7/a", "dora/28/7/b", "dora/28/7/c", "dora/28/7/d"}
)

func (c *ctx) doraFlag() []clause.Finding {
	switch {
	case c.prof == nil:
		return nil
	case c.prof.Regulated:
		return c.doraFlagMatch()
	}
	return c.doraFlagUnregulated()
}

// doraFlagMatch catches the bank profile that forgets dora_applies: its
// clauses would render their general branch (a yearly sample export)
// instead of the tested exit plan, and every covers-based rule would pass.
func (c *ctx) doraFlagMatch() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("dora_applies") {
		if b, _ := va.v.(bool); !b {
			hint := "set dora_applies: true under values: for a regulated customer, so that the clauses render their DORA terms"
			out = append(out, c.finding(clause.SeverityError, RuleDORAFlagMatch, va.file, va.line, va.col, hint,
				"the profile is regulated but %s renders without its DORA branch (dora_applies is false)", va.clause.ID))
		}
	}
	return out
}

// doraFlagUnregulated is the converse, a warning: DORA terms for a
// customer the profile says is not a financial entity.
func (c *ctx) doraFlagUnregulated() []clause.Finding {
	if c.prof == nil || c.prof.Regulated {
		return nil
	}
	var out []clause.Finding
	for _, va := range c.values("dora_applies") {
		if b, _ := va.v.(bool); b && va.fromProf {
			out = append(out, c.finding(clause.SeverityWarning, RuleDORAFlagMatch, va.file, va.line, va.col,
				"set regulated: true if the customer is a financial entity under Art. 2(2) DORA (the DORA lint rules then apply), or dora_applies: false",
				"dora_applies is true but the profile is not regulated (%s)", va.clause.ID))
		}
	}
	return out
}

func (c *ctx) doraExitPlan() []clause.Finding {
	return append(c.requireRendered(RuleDORAExitPlan, "a documented, tested exit strategy", citeDORA288, refDORAExit),
		c.requireRendered(RuleDORAExitPlan, "a mandatory adequate transition period", citeDORA303f, refDORATransition)...)
}

func (c *ctx) doraTermination() []clause.Finding {
	return c.requireRendered(RuleDORATermination, "the financial entity's termination rights of DORA Art. 28(7)(a)-(d)", citeDORA287, refsDORA2887...)
}

func (c *ctx) doraResolution() []clause.Finding {
	return c.requireRendered(RuleDORAResolution, "no termination, suspension or change by reason only of a crisis prevention or crisis management measure; continuity to a bridge institution or purchaser", citeBRRD683, refBRRD)
}

func (c *ctx) doraTransition() []clause.Finding {
	var out []clause.Finding
	vs := c.values("dora_transition_period_days")
	if len(vs) == 0 {
		file, line, col := c.profileAt("regulated")
		return []clause.Finding{c.finding(clause.SeverityError, RuleDORATransition, file, line, col,
			"select the transition clause that declares dora_transition_period_days and set it to what the Customer's Exit Plan needs",
			"no selected clause gives a DORA transition period (dora_transition_period_days)")}
	}
	for _, va := range vs {
		if n, _ := param.Int(va.v); n <= maxTransitionDays {
			out = append(out, c.finding(clause.SeverityError, RuleDORATransition, va.file, va.line, va.col,
				"size dora_transition_period_days to the Customer's Exit Plan (core systems usually need many months); the Data Act's 30 days is not an adequate DORA transition period",
				"DORA transition period of %d days (%s) is not longer than the Data Act's 30 days", n, va.clause.ID))
		}
	}
	return out
}

func (c *ctx) doraProviderNotice() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("provider_notice_months") {
		if n, _ := param.Int(va.v); n < minProviderNoticeM {
			out = append(out, c.finding(clause.SeverityError, RuleDORAProviderNotice, va.file, va.line, va.col,
				"set provider_notice_months to at least 12 for a regulated customer, so that it can run its exit plan before the provider's termination takes effect",
				"provider's termination notice of %d months (%s) is shorter than 12 months", n, va.clause.ID))
		}
	}
	return out
}
