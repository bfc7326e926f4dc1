// Package obligation is the obligations catalogue, content/obligations.yaml:
// each duty the Data Act, DORA or GDPR puts on a provider of exit
// services, with the article it comes from and its text by language.
// Clauses name the obligations they cover (covers: in the front matter);
// the coverage matrix and the lint's coverage rule pair the two.
//
// Package clause calls [Parse] when it loads a content folder and keeps
// the result in Library.Obligations; the site and the module read an
// [Obligation]'s fields and [Obligation.DutyText].
package obligation

import (
	"cmp"

	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

// Obligation is one entry of content/obligations.yaml.
type Obligation struct {
	Ref, Regulation, Article string
	OwedByProvider           bool
	Figure                   string
	Duty                     map[string]string // by language
	Line, Col                int
}

// DutyText is the duty in lang, or in English when it has no translation.
func (o Obligation) DutyText(lang string) string { return cmp.Or(o.Duty[lang], o.Duty["en"]) }

// Parse reads the catalogue from its YAML document root, in file order.
// Every problem goes to ld at its place; an entry that is no set of
// fields, has no ref or repeats one is left out.
func Parse(ld *yamlpos.Reader, root *yaml.Node) []Obligation {
	var out []Obligation
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.SequenceNode {
		ld.Errorf(yamlpos.CodeFrontMatter, nil, "write a list: one '- ref: ...' entry per obligation", "the obligations catalogue must be a list")
		return nil
	}
	seen := map[string]bool{}
	for _, it := range root.Content[0].Content {
		o := Obligation{Line: it.Line, Col: it.Column, Duty: map[string]string{}}
		if it.Kind != yaml.MappingNode {
			ld.Errorf(yamlpos.CodeFrontMatter, it, "each entry has ref, regulation, article, owed_by_provider and duty", "an obligation must be a set of fields")
			continue
		}
		yamlpos.Mapping(it, func(k, v *yaml.Node) {
			switch k.Value {
			case "ref":
				o.Ref, _ = ld.Str(v, "ref")
			case "regulation":
				o.Regulation, _ = ld.Str(v, "regulation")
			case "article":
				o.Article, _ = ld.Str(v, "article")
			case "owed_by_provider":
				o.OwedByProvider = ld.Bool(v, "owed_by_provider")
			case "figure":
				o.Figure, _ = ld.Str(v, "figure")
			case "duty":
				o.Duty = ld.ByLang(v, "duty")
			default:
				ld.Errorf(yamlpos.CodeUnknownField, k, "an obligation has ref, regulation, article, owed_by_provider, figure and duty", "unknown field %q", k.Value)
			}
		})
		if o.Ref == "" {
			ld.Errorf(yamlpos.CodeFrontMatter, it, "add 'ref:', e.g. data-act/25/2/g", "an obligation has no ref")
			continue
		}
		if seen[o.Ref] {
			ld.Errorf(yamlpos.CodeDuplicate, it, "remove one of the entries", "obligation %s is listed twice", o.Ref)
			continue
		}
		seen[o.Ref] = true
		out = append(out, o)
	}
	return out
}
