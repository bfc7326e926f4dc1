package version

import (
	"regexp"
	"runtime/debug"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestStringIsASemverWithTheRevisionWhenKnown(t *testing.T) {
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+( \([0-9a-f]{1,12}(, modified)?\))?$`).MatchString(String()) {
		t.Errorf("String() = %q", String())
	}
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"no VCS information adds nothing", nil, ""},
		{"a revision is shortened to 12 digits", []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}, " (0123456789ab)"},
		{"a modified tree says so", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, " (abc, modified)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := revision(tt.settings); got != tt.want {
				t.Errorf("revision = %q, want %q", got, tt.want)
			}
		})
	}
}
