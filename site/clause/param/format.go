package param

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
}

// words holds the few words values print with, and the default money
// format, by language.
var words = map[string]map[string]string{
	"en": {"day": "day", "days": "days", "yes": "yes", "no": "no", "money": "EUR 0,0.00"},
	"nl": {"day": "dag", "days": "dagen", "yes": "ja", "no": "nee", "money": "EUR 0.0,00"},
}

func word(lang, key string) string {
	if w, ok := words[lang]; ok {
		return w[key]
	}
	return words["en"][key]
}

// FormatValue prints v, a value of parameter p, in lang exactly as a
// customer's rendered clause prints it without an `as` format: "60 days",
// "EUR 1,234.00", "1 June 2026", "yes". The site and the module call it so
// every view of a value reads the same. nil prints as ""; a value that does
// not fit p's type (clause.Check reports those) prints as given.
func (p Param) FormatValue(v any, lang string) string {
	if v == nil {
		return ""
	}
	s, err := Format(p.Type, v, lang, "")
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

const defaultDateFormat = "D MMMM YYYY"

// Format prints v, a value of parameter type typ, in lang; format is
// the optional `as "..."` of the tag, "" for the language's default.
func Format(typ string, v any, lang, format string) (string, error) {
	switch typ {
	case TypeDays:
		n, ok := Int(v)
		if !ok {
			return "", fmt.Errorf("%v is not a whole number of days", v)
		}
		if n == 1 {
			return "1 " + word(lang, "day"), nil
		}
		return strconv.FormatInt(n, 10) + " " + word(lang, "days"), nil
	case TypeInteger:
		n, ok := Int(v)
		if !ok {
			return "", fmt.Errorf("%v is not a whole number", v)
		}
		return strconv.FormatInt(n, 10), nil
	case TypeMoney:
		f, ok := Float(v)
		if !ok {
			return "", fmt.Errorf("%v is not an amount", v)
		}
		return formatMoney(f, cmp.Or(format, word(lang, "money")))
	case TypeDate:
		t, ok := toDate(v)
		if !ok {
			return "", fmt.Errorf("%v is not a date (YYYY-MM-DD)", v)
		}
		return FormatDate(t, lang, cmp.Or(format, defaultDateFormat))
	case TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return "", fmt.Errorf("%v is not true or false", v)
		}
		if b {
			return word(lang, "yes"), nil
		}
		return word(lang, "no"), nil
	default:
		switch v := v.(type) {
		case string:
			return v, nil
		case nil:
			return "", nil
		default:
			return fmt.Sprint(v), nil
		}
	}
}

// FormatDate prints t with the tokens D, DD, MMMM, MMM, MM, YYYY, as a
// date tag's `as "..."` gives them; anything else is copied. The error says
// which tokens there are.
func FormatDate(t time.Time, lang, layout string) (string, error) {
	months, ok := monthNames[lang]
	if !ok {
		months = monthNames["en"]
	}
	var b strings.Builder
	for i := 0; i < len(layout); {
		rest := layout[i:]
		switch {
		case strings.HasPrefix(rest, "YYYY"):
			fmt.Fprintf(&b, "%04d", t.Year())
			i += 4
		case strings.HasPrefix(rest, "MMMM"):
			b.WriteString(months[t.Month()-1])
			i += 4
		case strings.HasPrefix(rest, "MMM"):
			m := []rune(months[t.Month()-1])
			b.WriteString(string(m[:min(3, len(m))]))
			i += 3
		case strings.HasPrefix(rest, "MM"):
			fmt.Fprintf(&b, "%02d", int(t.Month()))
			i += 2
		case strings.HasPrefix(rest, "DD"):
			fmt.Fprintf(&b, "%02d", t.Day())
			i += 2
		case strings.HasPrefix(rest, "D"):
			fmt.Fprintf(&b, "%d", t.Day())
			i++
		case strings.HasPrefix(rest, "Y") || strings.HasPrefix(rest, "M"):
			return "", fmt.Errorf("date format %q: use D, DD, MMMM, MMM, MM or YYYY", layout)
		default:
			b.WriteByte(layout[i])
			i++
		}
	}
	return b.String(), nil
}

// moneyFormat is a parsed "EUR 0,0.00": prefix, thousands separator (0 if
// none), decimal separator and number of decimals.
type moneyFormat struct {
	prefix   string
	thousand byte
	decimal  byte
	places   int
}

// CheckMoneyFormat returns what is wrong with a money tag's `as "..."`
// format, such as "EUR 0,0.00", or nil.
func CheckMoneyFormat(s string) error {
	_, err := parseMoneyFormat(s)
	return err
}

func parseMoneyFormat(s string) (moneyFormat, error) {
	var f moneyFormat
	i := strings.IndexByte(s, '0')
	if i < 0 {
		return f, fmt.Errorf("money format %q has no 0 digit pattern; write e.g. \"EUR 0,0.00\"", s)
	}
	f.prefix, s = s[:i], s[i+1:]
	isSep := func(c byte) bool { return c == ',' || c == '.' || c == ' ' || c == '\'' }
	// "0,0" followed by the end or a decimal separator: thousands.
	if len(s) >= 2 && isSep(s[0]) && s[1] == '0' && (len(s) == 2 || isSep(s[2])) {
		f.thousand = s[0]
		s = s[2:]
	}
	if s != "" {
		if (s[0] != '.' && s[0] != ',') || strings.Trim(s[1:], "0") != "" || len(s) < 2 {
			return f, fmt.Errorf("money format %q: write a prefix and 0, optionally a thousands separator and 0, then a decimal separator and as many 0s as decimals, e.g. \"EUR 0,0.00\"", f.prefix+"0"+s)
		}
		f.decimal, f.places = s[0], len(s)-1
	}
	if f.decimal != 0 && f.decimal == f.thousand {
		return f, fmt.Errorf("money format uses %q for thousands and decimals; use two different separators, e.g. \"EUR 0,0.00\"", f.decimal)
	}
	return f, nil
}

func formatMoney(v float64, format string) (string, error) {
	f, err := parseMoneyFormat(format)
	if err != nil {
		return "", err
	}
	neg := v < 0
	cents := math.Round(math.Abs(v) * math.Pow10(f.places))
	digits := strconv.FormatFloat(cents, 'f', 0, 64)
	for len(digits) <= f.places {
		digits = "0" + digits
	}
	whole, frac := digits[:len(digits)-f.places], digits[len(digits)-f.places:]
	var b strings.Builder
	b.WriteString(f.prefix)
	if neg {
		b.WriteByte('-')
	}
	for i := range len(whole) {
		if i > 0 && f.thousand != 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(f.thousand)
		}
		b.WriteByte(whole[i])
	}
	if f.places > 0 {
		b.WriteByte(f.decimal)
		b.WriteString(frac)
	}
	return b.String(), nil
}

// Int is the whole number a parameter value holds (YAML gives int, int64
// or float64), and whether it holds one.
func Int(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	}
	return 0, false
}

// Float is the number a parameter value holds, and whether it holds one.
func Float(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func toDate(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, true
	case string:
		t, err := time.Parse("2006-01-02", v)
		return t, err == nil
	}
	return time.Time{}, false
}
