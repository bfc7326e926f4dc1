package main

import (
	"os/exec"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// A trustee's verifier must stay small: exitbundle must never link the
// site publishing code (Hugo), as DESIGN.md decides.
func TestExitbundleDoesNotLinkHugo(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/gohugoio/") || pkg == "github.com/exitkit/exitkit/site" {
			t.Errorf("exitbundle links %s; keep Hugo and the site publisher out of it", pkg)
		}
	}
}
