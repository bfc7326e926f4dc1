package clause

import (
	"time"

	"github.com/exitkit/exitkit/site/clause/param"
)

// words holds the few words the renderings print around values, by
// language; package param has the words of the values themselves.
var words = map[string]map[string]string{
	"en": {"clause": "clause", "default": "default", "unset": "to be agreed", "if": "If", "is": "is", "else": "Otherwise", "end": "End if"},
	"nl": {"clause": "artikel", "default": "standaard", "unset": "overeen te komen", "if": "Indien", "is": "is", "else": "Anders", "end": "Einde indien"},
}

func word(lang, key string) string {
	if w, ok := words[lang]; ok {
		return w[key]
	}
	return words["en"][key]
}

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
