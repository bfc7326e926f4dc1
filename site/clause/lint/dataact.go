package lint

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/exitkit/exitkit/site/clause"
)

const (
	refFuncEquiv      = "data-act/30/1"
	refOpenInterfaces = "data-act/30/2"
)

var (
	citeFuncEquiv      = regexp.MustCompile(`(?i)functional equivalence|functionele gelijkwaardigheid`)
	citeOpenInterfaces = regexp.MustCompile(`(?i)open interfaces[^.]*free of charge|open interfaces[^.]*kosteloos|kosteloos[^.]*open interfaces`)
)

// funcEquiv checks the Art. 30 duty that fits the service: for IaaS
// (servers, networks, virtual resources) functional equivalence at the
// destination; for other services open interfaces free of charge to all.
// The service model is the service_model parameter (iaas by default in
// the shipped library, since the provider sells virtual machines).
func (c *ctx) funcEquiv() []clause.Finding {
	if !c.listed(refFuncEquiv) && !c.listed(refOpenInterfaces) {
		return nil
	}
	vs := c.values("service_model")
	if len(vs) == 0 {
		file, line, col := c.at(refFuncEquiv)
		return []clause.Finding{c.finding(clause.SeverityError, RuleFuncEquiv, file, line, col,
			"select (or publish) the clause that declares service_model (iaas, paas or saas) and states the Art. 30 duty that fits it",
			"no %s %s clause says which Art. 30 duty applies (service_model)", c.selectedWord(), c.lang)}
	}
	iaas := false
	for _, va := range vs {
		if s, _ := va.v.(string); s == "iaas" {
			iaas = true
		}
	}
	if c.prof == nil { // the library view shows every branch: both must be there
		return append(c.requireRendered(RuleFuncEquiv, "IaaS: all reasonable measures towards functional equivalence at the destination", citeFuncEquiv, refFuncEquiv),
			c.requireRendered(RuleFuncEquiv, "open interfaces, free of charge, to an equal extent to all customers and destination providers", citeOpenInterfaces, refOpenInterfaces)...)
	}
	if iaas {
		return c.requireRendered(RuleFuncEquiv, "IaaS: all reasonable measures towards functional equivalence at the destination", citeFuncEquiv, refFuncEquiv)
	}
	return c.requireRendered(RuleFuncEquiv, "open interfaces, free of charge, to an equal extent to all customers and destination providers", citeOpenInterfaces, refOpenInterfaces)
}

const refExemptionInfo = "data-act/31/3"

var (
	customBuilt = regexp.MustCompile(`(?i)custom-built|op maat`)
	clauseRef   = regexp.MustCompile(`\b(?:paragraphs?|clauses?|artikel(?:en)?)\s+(\d+)(?:\.\d+)?`)
	// refsExemptable are the duties Art. 31(1) lets a custom-built
	// service escape: Arts 29, 30(1) and 30(3), and 23(d), which is the
	// functional equivalence of 30(1) (the rest of Art. 23 still applies,
	// so data-act/23 is not among them).
	refsExemptable = []string{"data-act/29", "data-act/30/1", "data-act/30/3"}
)

// exemptionScope reads the custom-built exemption as the customer gets
// it: every clause it lets the order form disapply must be one that
// implements Art. 23(d), 29, 30(1) or 30(3). A provision that lets the
// provider disapply "any provision" names no clause, and fails too.
func (c *ctx) exemptionScope() []clause.Finding {
	if !c.listed(refExemptionInfo) {
		return nil
	}
	byOrder := map[string]*clause.Clause{}
	for _, cl := range c.clauses {
		byOrder[strconv.Itoa(cl.Order)] = cl
	}
	var out []clause.Finding
	for _, cl := range covered(c.clauses, refExemptionInfo) {
		txt, ok := c.rendered(cl)
		if !ok {
			continue
		}
		for _, para := range strings.Split(txt, "\n\n") {
			if !customBuilt.MatchString(para) {
				continue
			}
			var bad, named []string
			for _, m := range clauseRef.FindAllStringSubmatch(para, -1) {
				target, ok := byOrder[m[1]]
				if !ok {
					continue // an article of a regulation, not a clause
				}
				named = append(named, target.ID)
				exemptable := false
				for _, r := range refsExemptable {
					exemptable = exemptable || target.CoversRef(r)
				}
				if !exemptable {
					bad = append(bad, fmt.Sprintf("%s (%s)", m[0], target.ID))
				}
			}
			file, line, col := cl.File, 1, 1
			if c.prof != nil {
				file, line, col = c.profileAt("clauses")
			}
			switch {
			case len(named) == 0:
				out = append(out, c.finding(clause.SeverityError, RuleExemptionScope, file, line, col,
					"name the clauses a custom-built Service may disapply: only those implementing Data Act Arts 23(d), 29, 30(1) and 30(3)",
					"%s v%s lets a custom-built Service escape provisions it does not name", cl.ID, cl.Version))
			case len(bad) > 0:
				out = append(out, c.finding(clause.SeverityError, RuleExemptionScope, file, line, col,
					"limit the custom-built exemption to the clauses implementing Data Act Arts 23(d), 29, 30(1) and 30(3); every other duty of Chapter VI still applies",
					"%s v%s lets a custom-built Service disapply %s, which Art. 31(1) does not exempt", cl.ID, cl.Version, strings.Join(bad, ", ")))
			}
		}
	}
	return out
}
