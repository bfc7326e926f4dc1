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

// A trustee's build (go build -tags trustee) leaves out the demo and
// everything only the demo needs: govmomi's simulator, the clause engine
// and YAML.
func TestTrusteeBuildLeavesOutTheDemo(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-tags", "trustee", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps -tags trustee: %v", err)
	}
	pkgs := strings.Fields(string(out))
	banned := []string{
		"github.com/vmware/govmomi/simulator",
		"github.com/exitkit/exitkit/site",
		"github.com/exitkit/exitkit/internal/demo",
		"github.com/exitkit/exitkit/internal/vcsimx",
		"gopkg.in/yaml",
		"github.com/goccy/go-yaml",
		"sigs.k8s.io/yaml",
	}
	for _, pkg := range pkgs {
		for _, b := range banned {
			if pkg == b || strings.HasPrefix(pkg, b+"/") || strings.HasPrefix(pkg, b+".") {
				t.Errorf("the trustee build links %s; keep it to the demo (!trustee)", pkg)
			}
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("go list printed nothing")
	}
}
