package clause

import (
	"testing"
	"time"
)

func TestDatesOfTheZeroTimeAreEmpty(t *testing.T) {
	if LongDate(time.Time{}, "en") != "" || ISODate(time.Time{}) != "" {
		t.Error("the zero time printed as a date")
	}
}
