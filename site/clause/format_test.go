package clause

import (
	"testing"
	"time"
)

func TestFormatValuePrintsEachTypeInEachLanguage(t *testing.T) {
	date := time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		typ  string
		v    any
		lang string
		want string
	}{
		{TypeDays, 60, "en", "60 days"},
		{TypeDays, 1, "en", "1 day"},
		{TypeDays, 30, "nl", "30 dagen"},
		{TypeMoney, 1234.5, "en", "EUR 1,234.50"},
		{TypeMoney, 1234567.0, "nl", "EUR 1.234.567,00"},
		{TypeMoney, 0, "en", "EUR 0.00"},
		{TypeMoney, -5.0, "en", "EUR -5.00"}, // as rendered clauses print it
		{TypeDate, date, "en", "12 January 2027"},
		{TypeDate, date, "nl", "12 januari 2027"},
		{TypeBoolean, true, "nl", "ja"},
		{TypeBoolean, false, "en", "no"},
		{TypeString, "OVF", "en", "OVF"},
		{TypeInteger, 7, "en", "7"},
		{TypeString, nil, "en", ""},
		{TypeDays, "sixty", "en", "sixty"}, // a mistyped value prints as given
	}
	for _, tt := range tests {
		if got := (Param{Type: tt.typ}).FormatValue(tt.v, tt.lang); got != tt.want {
			t.Errorf("FormatValue(%s, %v, %s) = %q, want %q", tt.typ, tt.v, tt.lang, got, tt.want)
		}
	}
}

func TestDatesOfTheZeroTimeAreEmpty(t *testing.T) {
	if LongDate(time.Time{}, "en") != "" || ISODate(time.Time{}) != "" {
		t.Error("the zero time printed as a date")
	}
}
