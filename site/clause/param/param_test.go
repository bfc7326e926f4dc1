package param

import (
	"testing"
	"time"

	_ "github.com/exitkit/exitkit/internal/golden"
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

func TestMoneyFormats(t *testing.T) {
	tests := []struct {
		v      float64
		format string
		want   string
	}{
		{0, "EUR 0,0.00", "EUR 0.00"},
		{1234567.891, "EUR 0,0.00", "EUR 1,234,567.89"},
		{1234567.891, "EUR 0.0,00", "EUR 1.234.567,89"},
		{999.995, "EUR 0,0.00", "EUR 1,000.00"},
		{-42, "€ 0.00", "€ -42.00"},
		{1500, "EUR 0", "EUR 1500"},
		{1500, "EUR 0 0", "EUR 1 500"},
	}
	for _, tc := range tests {
		got, err := formatMoney(tc.v, tc.format)
		if err != nil || got != tc.want {
			t.Errorf("formatMoney(%v, %q) = %q, %v; want %q", tc.v, tc.format, got, err, tc.want)
		}
	}
	for _, bad := range []string{"EUR", "EUR 0,0.0x", "0.0.00"} {
		if _, err := parseMoneyFormat(bad); err == nil {
			t.Errorf("parseMoneyFormat(%q) should fail", bad)
		}
	}
}

func TestDidYouMeanSuggestsOnlyANameAtMostTwoEditsAway(t *testing.T) {
	params := []Param{{Name: "notice_period_days"}, {Name: "reminder_days"}}
	if got := DidYouMean("remnder_days", params); got != "did you mean reminder_days? " {
		t.Errorf("a misspelt name: %q", got)
	}
	if got := DidYouMean("plan_x", []Param{{Name: "notice_period_days"}}); got != "" {
		t.Errorf("a far name is suggested: %q", got)
	}
}

// FuzzFormat feeds `as "..."` layouts, which come from clause files, to
// the money and date formatters: an error, never a panic.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"EUR 0,0.00", "EUR 0.0,00", "€ 0", "D MMMM YYYY", "DD-MM-YYYY", "0.0.00", "Y"} {
		f.Add(s, 1234.5)
	}
	f.Fuzz(func(t *testing.T, format string, v float64) {
		_, _ = Format(TypeMoney, v, "nl", format)
		_, _ = Format(TypeDate, time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC), "en", format)
	})
}
