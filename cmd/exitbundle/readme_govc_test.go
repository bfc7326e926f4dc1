package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/vcsimx"
)

// buildGovc builds testdata/govc in a scratch module (which may need the
// Go module proxy once), or takes EXITKIT_GOVC; "" when it cannot, with
// the reason logged: the govc lines are then reported as skipped.
func buildGovc(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EXITKIT_GOVC"); p != "" {
		return p
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Logf("govc lines not run: no go command to build govc")
		return ""
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "govc", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module govcbuild\n\ngo 1.26\n\nrequire github.com/vmware/govmomi v0.56.0\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin", "govc")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Logf("govc lines not run: cannot build govc (go %s): %v\n%s", strings.Join(args, " "), err, msg)
			return ""
		}
	}
	return bin
}

// govcTarget is the vCenter simulator the README's govc lines import
// into: VCENTER and USER stand for its address and user; the password
// and the self-signed certificate come from the environment, as the
// README's note says.
type govcTarget struct {
	lab       *vcsimx.Lab
	url, user string
	env       []string
}

func startGovcTarget(t *testing.T) *govcTarget {
	t.Helper()
	lab, err := vcsimx.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	return &govcTarget{lab: lab, url: "https://" + lab.Host + "/sdk", user: lab.User,
		env: []string{"GOVC_PASSWORD=" + lab.Password, "GOVC_INSECURE=1"}}
}

// check asks the simulator for each imported VM: it exists, on the
// network the sed line mapped, not on the silent default "VM Network".
func (g *govcTarget) check(t *testing.T, govc string) {
	t.Helper()
	for _, vm := range []string{"linux-bios", "linux-efi"} {
		cmd := exec.Command(govc, "vm.info", "-json", "-r", vm)
		cmd.Env = append(os.Environ(), g.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("govc vm.info %s after the README's import: %v\n%s", vm, err, out)
			continue
		}
		var info struct {
			VirtualMachines []struct {
				Name    string
				Network []struct{ Value string }
			} `json:"virtualMachines"`
		}
		if err := json.Unmarshal(out, &info); err != nil || len(info.VirtualMachines) != 1 {
			t.Errorf("govc vm.info %s: %v %s", vm, err, out)
			continue
		}
		if !strings.Contains(string(out), "dvportgroup") {
			t.Errorf("%s was imported without the mapped network DC0_DVPG0:\n%s", vm, out)
		}
	}
}
