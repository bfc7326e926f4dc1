// Package textfmt prints dates and parameter values for people, in the
// clause's language, the same way for the site and for modules.
package textfmt

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/exitkit/exitkit/site/clause"
)

var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
}

// LongDate prints a date as the clauses do: "12 January 2026"; "" for
// the zero time.
func LongDate(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames["en"]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), names[t.Month()-1], t.Year())
}

// ISODate prints YYYY-MM-DD; "" for the zero time.
func ISODate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// YesNo prints a boolean.
func YesNo(v bool, lang string) string {
	switch {
	case lang == "nl" && v:
		return "ja"
	case lang == "nl":
		return "nee"
	case v:
		return "yes"
	}
	return "no"
}

// Value prints v, a value of parameter p: "60 days", "EUR 1,234.00",
// "1 June 2026", "yes". A nil v prints as "".
func Value(p clause.Param, v any, lang string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return LongDate(x, lang)
	case bool:
		return YesNo(x, lang)
	}
	switch p.Type {
	case clause.TypeDays:
		n, ok := number(v)
		if !ok {
			break
		}
		unit := map[bool]string{true: "days", false: "day"}[n != 1]
		if lang == "nl" {
			unit = map[bool]string{true: "dagen", false: "dag"}[n != 1]
		}
		return strconv.FormatFloat(n, 'f', -1, 64) + " " + unit
	case clause.TypeMoney:
		n, ok := number(v)
		if !ok {
			break
		}
		return Money(n, lang)
	}
	return fmt.Sprint(v)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Money prints an amount in euros: "EUR 1,234.00" (en), "EUR 1.234,00" (nl).
func Money(v float64, lang string) string {
	thousands, decimal := ",", "."
	if lang == "nl" {
		thousands, decimal = ".", ","
	}
	neg := v < 0
	cents := int64(math.Round(math.Abs(v) * 100))
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	s := fmt.Sprintf("EUR %s%s%02d", b.String(), decimal, cents%100)
	if neg {
		s = "-" + s
	}
	return s
}
