package lint

import (
	"fmt"
	"strings"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/param"
)

// MonthsEnd is the last day of a period of n months that starts with an
// event on day start, as Regulation 1182/71 counts it: the event day is
// not counted (Art. 3(1)) and the period ends with the day of the last
// month that bears the event day's date, or with that month's last day if
// it has none (Art. 3(2)(c)).
func MonthsEnd(start time.Time, n int) time.Time {
	y, m, d := start.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// DaysEnd is the last day of a period of n days from an event on start:
// the event day is not counted, so the period ends n days later.
func DaysEnd(start time.Time, n int) time.Time {
	y, m, d := start.Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC)
}

// FirstBreach returns the first start date, in a full 400-year cycle of
// the Gregorian calendar from 2000, for which a period of days ends after
// the period of months, and whether there is one.
func FirstBreach(days, months int) (time.Time, bool) {
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) // the next years first: the likeliest answer
	for i := 0; i < 146097; i++ {
		s := start.AddDate(0, 0, i)
		if DaysEnd(s, days).After(MonthsEnd(s, months)) {
			return s, true
		}
	}
	return time.Time{}, false
}

// MaxDaysWithin is the longest period in days that never exceeds the
// given number of months, whatever day it starts: 59 for two months, 212
// for seven. A cap "of two months" written as 60 days breaks the law for
// every event from 1 January to 28 February of a common year.
func MaxDaysWithin(months int) int {
	n := months * 31
	for ; n > 0; n-- {
		if _, bad := FirstBreach(n, months); !bad {
			return n
		}
	}
	return 0
}

// Month caps the rules use, computed once per process would be cheaper;
// they are small constants, so state them and let a test prove them.
const (
	maxNoticeDays      = 59  // MaxDaysWithin(2)
	maxAltTransDays    = 212 // MaxDaysWithin(7)
	maxTransitionDays  = 30
	minRetrievalDays   = 30
	maxUnfeasibilityWD = 14
)

func breachText(days, months int) string {
	s, ok := FirstBreach(days, months)
	if !ok {
		return ""
	}
	return fmt.Sprintf("a period starting on %s ends on %s, after %d months end on %s", day(s), day(DaysEnd(s, days)), months, day(MonthsEnd(s, months)))
}

func (c *ctx) noticeMax() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("notice_period_days") {
		if n, _ := param.Int(va.v); n > maxNoticeDays {
			out = append(out, c.finding(clause.SeverityError, RuleNoticeMax, va.file, va.line, va.col,
				"set notice_period_days to at most 59: the Data Act caps the notice period at 2 months, and 60 days or more exceed 2 months for notices given in January or February",
				"%s notice period of %d days (%s) can exceed 2 months: %s", c.where(), n, va.clause.ID, breachText(int(n), 2)))
		}
	}
	return out
}

func (c *ctx) retrievalMin() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("retrieval_period_days") {
		if n, _ := param.Int(va.v); n < minRetrievalDays {
			out = append(out, c.finding(clause.SeverityError, RuleRetrievalMin, va.file, va.line, va.col,
				"set retrieval_period_days to at least 30: the customer must have 30 calendar days after the transitional period to retrieve its data",
				"%s data retrieval period of %d days (%s) is shorter than 30 days", c.where(), n, va.clause.ID))
		}
	}
	return out
}

// customerReason is a profile justification that records a longer
// transitional period as the customer's own choice under Art. 25(5), the
// only way a period over 30 days can be agreed before a switching request.
func customerReason(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "25(5)") || strings.HasPrefix(l, "customer")
}

func (c *ctx) transitionMax() []clause.Finding {
	var out []clause.Finding
	for _, cl := range c.clauses {
		if pr := cl.Param("transition_period_days"); pr != nil && pr.Max != nil && c.prof == nil {
			out = append(out, c.finding(clause.SeverityWarning, RuleTransitionMax, cl.File, pr.Line, pr.Col,
				"remove max: from transition_period_days: Art. 25(5) lets the customer extend the transitional period to whatever period it deems appropriate, with no upper limit",
				"%s caps transition_period_days at %g days, which blocks a lawful customer extension", cl.ID, *pr.Max))
		}
	}
	for _, va := range c.values("transition_period_days") {
		n, _ := param.Int(va.v)
		if n <= maxTransitionDays {
			continue
		}
		reason := ""
		if c.prof != nil {
			reason = strings.TrimSpace(c.prof.Justifications["transition_period_days"])
		}
		switch {
		case reason == "":
			out = append(out, c.finding(clause.SeverityError, RuleTransitionMax, va.file, va.line, va.col,
				"keep it at 30 days; a longer period agreed in advance is lawful only as the customer's choice: record it under justifications: transition_period_days: \"Art. 25(5): ...\" (the provider's own longer period exists only by notice after the request, see alternative_transition_period_days)",
				"%s transitional period of %d days exceeds 30 days without a recorded customer choice (%s)", c.where(), n, va.clause.ID))
		case !customerReason(reason):
			out = append(out, c.finding(clause.SeverityError, RuleTransitionMax, va.file, va.line, va.col,
				"start the justification with \"Art. 25(5):\" or \"Customer:\" if the customer asked for the longer period; a provider's technical reason is given by notice within 14 working days after the request (Art. 25(4)), not in the contract",
				"transitional period of %d days is justified by %q, which is not recorded as the customer's choice under Art. 25(5) (%s)", n, reason, va.clause.ID))
		default:
			out = append(out, c.finding(clause.SeverityInfo, RuleTransitionMax, va.file, va.line, va.col, "",
				"transitional period of %d days is the customer's choice under Art. 25(5) (no cap): %s", n, reason))
		}
	}
	return out
}

func (c *ctx) transitionAltMax() []clause.Finding {
	var out []clause.Finding
	for _, va := range c.values("alternative_transition_period_days") {
		if n, _ := param.Int(va.v); n > maxAltTransDays {
			out = append(out, c.finding(clause.SeverityError, RuleTransitionAltMax, va.file, va.line, va.col,
				"set alternative_transition_period_days to at most 212: the provider's alternative transitional period may not exceed 7 months, and 213 days or more exceed 7 months for periods starting in January or February",
				"%s alternative transitional period of %d days (%s) can exceed 7 months: %s", c.where(), n, va.clause.ID, breachText(int(n), 7)))
		}
	}
	for _, va := range c.values("unfeasibility_notice_working_days") {
		if n, _ := param.Int(va.v); n > maxUnfeasibilityWD {
			out = append(out, c.finding(clause.SeverityError, RuleTransitionAltMax, va.file, va.line, va.col,
				"set unfeasibility_notice_working_days to at most 14: the provider must notify technical unfeasibility, with reasons, within 14 working days of the making of the switching request",
				"%s notice of technical unfeasibility within %d working days (%s) is later than the 14 the Data Act allows", c.where(), n, va.clause.ID))
		}
	}
	return out
}
