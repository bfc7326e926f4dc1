package clause

import (
	"strings"
	"testing"
)

func TestHintsNameTheNearestParameterAndTheClausesThatExist(t *testing.T) {
	tests := []struct {
		name, old, new, code, want string
	}{
		{"a misspelt parameter", "{{retrieval_period_days}}", "{{retrieval_period_dys}}", CodeUndeclaredVariable, "did you mean retrieval_period_days?"},
		{"a reference to no clause", "[[EM-1]]", "[[EM-99]]", CodeBrokenReference, "refer to an existing clause: EM-1, EM-2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := withRule(load(t, fixture(t, edit{file: em2en, old: tc.old, new: tc.new})).Findings, tc.code)
			if len(fs) != 1 || !strings.Contains(fs[0].Hint, tc.want) {
				t.Fatalf("findings:\n%s", dump(fs))
			}
		})
	}
}
