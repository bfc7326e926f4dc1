// Package param is the type system of clause parameters: the typed values
// a clause declares in its front matter and a customer's profile fills in.
//
// [Parse] reads the params: of a clause's front matter into [Param]s
// (package clause calls it when it loads a clause file). Call [Coerce] to turn a value as YAML gave it into the Go representation
// of the parameter's type (int for integer and days, float64 for money,
// time.Time for date, bool for boolean, string otherwise), then
// [Param.CheckBounds] to hold it to the declared min, max or enum values.
// [Param.FormatValue] prints a value in a language as a customer's
// rendered clause prints it ("60 days", "EUR 1,234.00", "1 June 2026");
// [Format] does the same with a tag's `as "..."` layout.
//
// Problems are returned as messages ("61 is above the maximum 60") for
// the caller to place in a file, or by Parse as yamlpos problems at their
// line; the package never reads files itself.
package param

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Param is a typed parameter declared in a clause's front matter.
type Param struct {
	Name, Type, Description string
	// Default is the typed default: string (string, enum, email), int
	// (integer, days), float64 (money), time.Time (date) or bool (boolean);
	// nil when there is none.
	Default  any
	Min, Max *float64 // integer, days and money bounds; nil when unbounded
	Values   []string // enum choices
	Required bool
	// Line and Col locate the parameter's name in the clause file.
	Line, Col int
}

// Parameter types.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeDays    = "days"
	TypeDate    = "date"
	TypeMoney   = "money"
	TypeEnum    = "enum"
	TypeBoolean = "boolean"
	TypeEmail   = "email"
)

var reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Coerce checks that v fits type typ and returns it in the type's Go
// representation, or a message saying what is wrong.
func Coerce(typ string, v any) (any, string) {
	switch typ {
	case TypeString, TypeEnum:
		if s, ok := v.(string); ok {
			return s, ""
		}
		return nil, fmt.Sprintf("%v is not text", v)
	case TypeEmail:
		if s, ok := v.(string); ok && reEmail.MatchString(s) {
			return s, ""
		}
		return nil, fmt.Sprintf("%v is not an e-mail address", v)
	case TypeInteger, TypeDays:
		if n, ok := Int(v); ok {
			return int(n), ""
		}
		return nil, fmt.Sprintf("%v is not a whole number", v)
	case TypeMoney:
		if f, ok := Float(v); ok {
			return f, ""
		}
		return nil, fmt.Sprintf("%v is not an amount (a number such as 1250 or 99.50)", v)
	case TypeDate:
		if t, ok := toDate(v); ok {
			return t, ""
		}
		return nil, fmt.Sprintf("%v is not a date (YYYY-MM-DD)", v)
	case TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, ""
		}
		return nil, fmt.Sprintf("%v is not true or false", v)
	}
	return nil, fmt.Sprintf("unknown type %q", typ)
}

// CheckBounds checks a coerced value against the parameter's min, max and
// values; it returns what is wrong, or "".
func (p *Param) CheckBounds(v any) string {
	if p.Type == TypeEnum {
		s, _ := v.(string)
		for _, c := range p.Values {
			if c == s {
				return ""
			}
		}
		return fmt.Sprintf("%q is not one of %s", s, p.Choices())
	}
	f, ok := Float(v)
	if !ok {
		return ""
	}
	if p.Min != nil && f < *p.Min {
		return fmt.Sprintf("%s is below the minimum %s", num(f), num(*p.Min))
	}
	if p.Max != nil && f > *p.Max {
		return fmt.Sprintf("%s is above the maximum %s", num(f), num(*p.Max))
	}
	return ""
}

// Choices lists an enum's values for a message: "shared", "dedicated".
func (p *Param) Choices() string { return strings.Join(quoteAll(p.Values), ", ") }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

var typeHint = map[string]string{
	TypeString: "write text", TypeEnum: "write one of the declared values", TypeEmail: "write an address such as exit@example.com",
	TypeInteger: "write a whole number", TypeDays: "write a whole number of days, e.g. 30",
	TypeMoney: "write an amount in euros as a number, e.g. 0 or 1250.00", TypeDate: "write the date as YYYY-MM-DD",
	TypeBoolean: "write true or false",
}

// Hint says how to write a value of type typ, e.g. "write true or false";
// "" for an unknown type.
func Hint(typ string) string { return typeHint[typ] }

// Diff says how parameter b differs from a in what a translation must keep
// (type, default, bounds, values, required), or "" when it does not.
func Diff(a, b *Param) string {
	fl := func(f *float64) string {
		if f == nil {
			return "none"
		}
		return num(*f)
	}
	switch {
	case a.Type != b.Type:
		return fmt.Sprintf("type %s differs from %s", b.Type, a.Type)
	case fmt.Sprint(a.Default) != fmt.Sprint(b.Default):
		return fmt.Sprintf("default %v differs from %v", b.Default, a.Default)
	case fl(a.Min) != fl(b.Min) || fl(a.Max) != fl(b.Max):
		return fmt.Sprintf("bounds %s..%s differ from %s..%s", fl(b.Min), fl(b.Max), fl(a.Min), fl(a.Max))
	case strings.Join(a.Values, "\x00") != strings.Join(b.Values, "\x00"):
		return fmt.Sprintf("values [%s] differ from [%s]", strings.Join(b.Values, ", "), strings.Join(a.Values, ", "))
	case a.Required != b.Required:
		return fmt.Sprintf("required %v differs from %v", b.Required, a.Required)
	}
	return ""
}

// DidYouMean suggests the declared parameter closest to a misspelt name,
// as "did you mean reminder_days? ", or "" when none is close.
func DidYouMean(name string, params []Param) string {
	best, bestD := "", 3 // at most two edits away
	for _, p := range params {
		if d := editDistance(name, p.Name); d < bestD {
			best, bestD = p.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return "did you mean " + best + "? "
}

// editDistance is the Levenshtein distance of two short names.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
