package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestMain says up front when the interop tests will skip.
func TestMain(m *testing.M) { interop.Main(m, "ssh-keygen", "chromium", "pandoc") }

func TestMistypedFlagsGetASuggestion(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a missing letter in check", []string{"check", "--contnt", "content"}, "unknown flag --contnt; did you mean --content?"},
		{"a swap in module", []string{"module", "--porfile", "p.yaml"}, "did you mean --profile?"},
		{"verify-module with no file", []string{"verify-module"}, "give the module to check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runExitsite(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 2 and %q\n%s", code, tt.want, stderr)
			}
		})
	}
}

func TestEveryFlagDescriptionIsOneLine(t *testing.T) {
	for _, c := range newRoot().Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "\n") {
				t.Errorf("%s --%s: the description spans lines: %q", c.Name(), f.Name, f.Usage)
			}
			if name, _ := pflag.UnquoteUsage(f); name == "string" || name == "stringArray" {
				t.Errorf("%s --%s: shows the Go type %q instead of a placeholder", c.Name(), f.Name, name)
			}
		})
	}
}
