package main

import (
	"strings"
	"testing"
)

func TestFlagValuesComplete(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"keygen --type offers both kinds of key", []string{"keygen", "--type", ""}, []string{"sign", "age"}},
		{"create --compress offers every mode", []string{"create", "--compress", ""}, []string{"auto", "zstd", "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runExitbundle(t, append([]string{"__complete"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if v, _, _ := strings.Cut(line, "\t"); v != "" && !strings.HasPrefix(v, ":") {
					got = append(got, v)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("completions %q, want %q", got, tt.want)
			}
			if !strings.Contains(out, ":4") { // ShellCompDirectiveNoFileComp
				t.Errorf("completion still offers files:\n%s", out)
			}
		})
	}
}
