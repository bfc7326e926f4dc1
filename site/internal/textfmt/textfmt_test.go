package textfmt

import (
	"testing"
	"time"

	"github.com/exitkit/exitkit/site/clause"
)

func TestValuePrintsEachTypeInEachLanguage(t *testing.T) {
	date := time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		typ  string
		v    any
		lang string
		want string
	}{
		{clause.TypeDays, 60, "en", "60 days"},
		{clause.TypeDays, 1, "en", "1 day"},
		{clause.TypeDays, 30, "nl", "30 dagen"},
		{clause.TypeMoney, 1234.5, "en", "EUR 1,234.50"},
		{clause.TypeMoney, 1234567.0, "nl", "EUR 1.234.567,00"},
		{clause.TypeMoney, 0, "en", "EUR 0.00"},
		{clause.TypeMoney, -5.0, "en", "-EUR 5.00"},
		{clause.TypeDate, date, "en", "12 January 2027"},
		{clause.TypeDate, date, "nl", "12 januari 2027"},
		{clause.TypeBoolean, true, "nl", "ja"},
		{clause.TypeBoolean, false, "en", "no"},
		{clause.TypeString, "OVF", "en", "OVF"},
		{clause.TypeInteger, 7, "en", "7"},
		{clause.TypeString, nil, "en", ""},
	}
	for _, tt := range tests {
		if got := Value(clause.Param{Type: tt.typ}, tt.v, tt.lang); got != tt.want {
			t.Errorf("Value(%s, %v, %s) = %q, want %q", tt.typ, tt.v, tt.lang, got, tt.want)
		}
	}
}

func TestDatesOfTheZeroTimeAreEmpty(t *testing.T) {
	if LongDate(time.Time{}, "en") != "" || ISODate(time.Time{}) != "" {
		t.Error("the zero time printed as a date")
	}
}
