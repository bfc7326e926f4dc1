//go:build !trustee

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
)

func TestDemoPrintsAVerifyCommandThatPinsTheSignerAndPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo exports three VMs from the simulator")
	}
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runExitbundle(t, "demo", "--out", out)
	if code != cli.ExitOK {
		t.Fatalf("demo: exit %d\n%s%s", code, stdout, stderr)
	}
	_, cmdLine, ok := strings.Cut(stdout, "Or with exitbundle")
	if !ok {
		t.Fatalf("no exitbundle command printed:\n%s", stdout)
	}
	_, cmdLine, _ = strings.Cut(cmdLine, "\n  exitbundle ")
	cmdLine, _, _ = strings.Cut(cmdLine, "\n")
	args := strings.Fields(cmdLine) // the temp paths hold no spaces or quotes
	if !strings.Contains(cmdLine, "--signer ") {
		t.Errorf("the verify command does not pin the signer: %s", cmdLine)
	}
	code, report, stderr := runExitbundle(t, args...)
	if code != cli.ExitOK || strings.Contains(report, "NOT pinned") {
		t.Errorf("exitbundle %s: exit %d\n%s%s", cmdLine, code, report, stderr)
	}
}
