package param

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/exitkit/exitkit/site/clause/syntax"
	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

// CodeOutOfBounds is the code of a value outside its parameter's bounds
// or enum values, as package clause's findings carry it.
const CodeOutOfBounds = "out-of-bounds"

// Parse reads the params: field of a clause's front matter, n its value:
// each parameter's type, default, bounds, values and description. Every
// problem goes to ld at its place in the file; a parameter whose spec is
// wrong is kept with what could be read, so its uses are still checked.
func Parse(ld *yamlpos.Reader, n *yaml.Node) []Param {
	if n.Kind != yaml.MappingNode {
		ld.Errorf(yamlpos.CodeFrontMatter, n, "write each parameter as 'name:' followed by indented type, default and description", "params must map parameter names to their specs")
		return nil
	}
	var out []Param
	yamlpos.Mapping(n, func(k, v *yaml.Node) {
		p := Param{Name: k.Value, Line: k.Line + ld.LineOff, Col: k.Column}
		if !syntax.ValidName(p.Name) {
			ld.Errorf(yamlpos.CodeFrontMatter, k, "use letters, digits and underscores, e.g. retrieval_period_days", "parameter name %q is not valid", p.Name)
		}
		for _, q := range out {
			if q.Name == p.Name {
				ld.Errorf(yamlpos.CodeDuplicate, k, "remove or rename one of them", "parameter %s is declared twice", p.Name)
			}
		}
		if v.Kind != yaml.MappingNode {
			ld.Errorf(yamlpos.CodeFrontMatter, v, "give at least 'type:' and 'description:'", "parameter %s must have a spec", p.Name)
			out = append(out, p)
			return
		}
		var def, minN, maxN *yaml.Node
		yamlpos.Mapping(v, func(k2, v2 *yaml.Node) {
			switch k2.Value {
			case "type":
				p.Type, _ = ld.Str(v2, "type")
				if _, ok := typeHint[p.Type]; !ok {
					ld.Errorf(yamlpos.CodeFrontMatter, v2, "use string, integer, days, date, money, enum, boolean or email", "parameter %s has unknown type %q", p.Name, p.Type)
				}
			case "default":
				def = v2
			case "min":
				minN = v2
			case "max":
				maxN = v2
			case "values":
				p.Values = ld.Strings(v2, "values")
			case "required":
				p.Required = ld.Bool(v2, "required")
			case "description":
				p.Description, _ = ld.Str(v2, "description")
				p.Description = strings.TrimSpace(p.Description)
			default:
				ld.Errorf(yamlpos.CodeUnknownField, k2, "a parameter has type, default, description, min, max, values and required", "parameter %s has unknown field %q", p.Name, k2.Value)
			}
		})
		if p.Type == "" {
			ld.Errorf(yamlpos.CodeFrontMatter, k, "add 'type:' (string, integer, days, date, money, enum, boolean or email)", "parameter %s has no type", p.Name)
		}
		if p.Description == "" {
			ld.Add(yamlpos.SeverityWarning, yamlpos.CodeFrontMatter, k, "add 'description:': the library view shows it to readers", "parameter %s has no description", p.Name)
		}
		for _, b := range []struct {
			n   *yaml.Node
			dst **float64
			key string
		}{{minN, &p.Min, "min"}, {maxN, &p.Max, "max"}} {
			if b.n == nil {
				continue
			}
			f, ok := Float(yamlpos.Scalar(b.n))
			if !ok {
				ld.Errorf(yamlpos.CodeWrongType, b.n, "write a number", "%s of %s must be a number", b.key, p.Name)
				continue
			}
			if p.Type != TypeInteger && p.Type != TypeDays && p.Type != TypeMoney {
				ld.Errorf(yamlpos.CodeWrongType, b.n, "remove it, or change the type to integer, days or money", "%s only applies to integer, days and money parameters", b.key)
			}
			*b.dst = &f
		}
		if p.Type == TypeEnum && len(p.Values) == 0 {
			ld.Errorf(yamlpos.CodeFrontMatter, v, "list the choices, e.g. values: [shared, dedicated]", "enum parameter %s has no values", p.Name)
		}
		if def != nil && def.ShortTag() != "!!null" {
			val, msg := Coerce(p.Type, yamlpos.Scalar(def))
			if def.Kind != yaml.ScalarNode {
				msg = "a default must be a single value"
			}
			switch {
			case msg != "" && Hint(p.Type) != "":
				ld.Errorf(yamlpos.CodeWrongType, def, Hint(p.Type), "default of %s (%s): %s", p.Name, p.Type, msg)
			case msg == "":
				p.Default = val
				if b := p.CheckBounds(val); b != "" {
					ld.Errorf(CodeOutOfBounds, def, "change the default or the bounds", "default of %s: %s", p.Name, b)
				}
			}
		}
		out = append(out, p)
	})
	return out
}
