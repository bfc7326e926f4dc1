package clause

import (
	"time"

	"github.com/exitkit/exitkit/site/clause/param"
)

// LongDate prints t as clauses print dates by default, "12 January 2026"
// or "12 januari 2026"; "" for the zero time.
func LongDate(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	s, _ := param.Format(param.TypeDate, t, lang, "") // the default layout is valid
	return s
}

// ISODate prints t as YYYY-MM-DD for machines; "" for the zero time.
func ISODate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
