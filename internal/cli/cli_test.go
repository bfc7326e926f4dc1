package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestRunMapsErrorsToExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		args    []string
		want    int
		wantMsg string
	}{
		{"success exits 0", nil, nil, ExitOK, ""},
		{"a failed check exits 1 and prints it", Failed(errors.New("2 files differ")), nil, ExitFailed, "2 files differ"},
		{"a failed check already printed exits 1 silently", Failed(nil), nil, ExitFailed, ""},
		{"a usage error exits 2", Usage(errors.New("--out is required")), nil, ExitUsage, "--out is required"},
		{"an unexpected error exits 2", errors.New("open x: no such file"), nil, ExitUsage, "no such file"},
		{"an unknown flag exits 2 with a pointer to help", nil, []string{"--nope"}, ExitUsage, "--help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &cobra.Command{Use: "tool", RunE: func(*cobra.Command, []string) error { return tt.err }}
			var stderr bytes.Buffer
			if got := Run(root, tt.args, &stderr); got != tt.want {
				t.Errorf("exit code %d, want %d", got, tt.want)
			}
			if tt.wantMsg == "" && stderr.Len() > 0 {
				t.Errorf("printed %q, want nothing", stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantMsg) {
				t.Errorf("printed %q, want it to mention %q", stderr.String(), tt.wantMsg)
			}
		})
	}
}
