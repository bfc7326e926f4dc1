package lint

import (
	"regexp"

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
