package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/internal/version"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestCodeMapsEveryKindOfErrorToItsExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("verify /media/x: %w", err) }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"no error is success", nil, ExitOK},
		{"a tampered bundle failed a check", wrap(manifest.ErrIntegrity), ExitFailed},
		{"a bad signature failed a check", wrap(manifest.ErrSignature), ExitFailed},
		{"an unfinished bundle failed a check", wrap(manifest.ErrIncomplete), ExitFailed},
		{"a bomb or an escape failed a check", wrap(manifest.ErrUnsafe), ExitFailed},
		{"a folder that is no bundle is an input error", wrap(manifest.ErrNotABundle), ExitUsage},
		{"not a bundle wins over incomplete when both are wrapped", errors.Join(manifest.ErrNotABundle, manifest.ErrIncomplete), ExitUsage},
		{"an unreadable local file is an input error", wrap(fs.ErrNotExist), ExitUsage},
		{"exit terms of another customer are an input error", fmt.Errorf("create: %w", &terms.CheckError{File: "t.html", Problems: []string{"customer"}}), ExitUsage},
		{"exit terms signed by another key are an input error", fmt.Errorf("create: %w", terms.ErrBadSignature), ExitUsage},
		{"a file that is no module is an input error", fmt.Errorf("create: %w", terms.ErrNotModule), ExitUsage},
		{"an explicit usage mark wins", Usage(wrap(manifest.ErrIntegrity)), ExitUsage},
		{"an explicit failure mark wins", Failed(errors.New("lint")), ExitFailed},
		{"anything else is an input error", errors.New("boom"), ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestVersionFlagPrintsTheVersion(t *testing.T) {
	root := &cobra.Command{Use: "tool", RunE: func(*cobra.Command, []string) error { return nil }}
	var out bytes.Buffer
	root.SetOut(&out)
	if code := Run(root, []string{"--version"}, &out); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "tool "+version.Version) {
		t.Errorf("--version printed %q", out.String())
	}
}

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
		{"--version prints the version and exits 0", nil, []string{"--version"}, ExitOK, ""},
		{"an error quoting a bundle is printed with control characters escaped", Failed(errors.New("data/x\x1b[2Kresult  OK\nsecond line")), nil, ExitFailed, "data/x\\x1b[2Kresult  OK\nsecond line"},
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
			if strings.Contains(stderr.String(), "\x1b") {
				t.Errorf("printed a raw escape: %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantMsg) {
				t.Errorf("printed %q, want it to mention %q", stderr.String(), tt.wantMsg)
			}
		})
	}
}

func TestMessageSpeaksNoGoJargon(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"create's interruption loses the parenthesis",
			fmt.Errorf("create /b: interrupted (%w); the bundle is unfinished and unsigned: run the same command again to resume", context.Canceled),
			"create /b: interrupted; the bundle is unfinished and unsigned: run the same command again to resume"},
		{"drill's interruption loses the suffix", fmt.Errorf("drill: interrupted: %w", context.Canceled), "drill: interrupted"},
		{"a bare cancellation is an interruption", fmt.Errorf("export web: Get \"https://vc/x\": %w", context.Canceled), "export web: Get \"https://vc/x\": interrupted"},
		{"a deadline is a timeout", fmt.Errorf("login: %w", context.DeadlineExceeded), "login: timed out"},
		{"an interrupted deadline is a timeout", fmt.Errorf("wait: interrupted (%w)", context.DeadlineExceeded), "wait: timed out"},
		{"other errors are unchanged", errors.New("open x: no such file or directory"), "open x: no such file or directory"},
		{"no error is no message", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Message(tt.err); got != tt.want {
				t.Errorf("Message = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunPrintsAnInterruptionWithoutGoJargon(t *testing.T) {
	root := &cobra.Command{Use: "tool", RunE: func(*cobra.Command, []string) error {
		return fmt.Errorf("create /b: interrupted (%w); run the same command again to resume", context.Canceled)
	}}
	var stderr bytes.Buffer
	if code := Run(root, nil, &stderr); code != ExitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	if got, want := stderr.String(), "tool: create /b: interrupted; run the same command again to resume\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}
