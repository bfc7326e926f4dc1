//go:build !trustee

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle/drill"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/qemu"
)

// TestDemoBundlePassesTheDrillItPrints runs the demo, then the drill
// command the demo prints, as printed (split into words by sh): every demo
// VM boots in QEMU and prints its marker, each gets a screenshot, and the
// report's signature verifies with ssh-keygen under the drill's namespace.
func TestDemoBundlePassesTheDrillItPrints(t *testing.T) {
	tools := interop.Require(t, "qemu-system-x86_64", "qemu-img", "ssh-keygen", "sh")
	interop.RequireFile(t, "ovmf", qemu.OVMFCandidates()...)
	keygen, sh := tools[2], tools[3]
	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	code, stdout, stderr := runExitbundle(t, "demo", "--out", dir, "--content", filepath.Join("..", "..", "content"), "--profile", filepath.Join("..", "..", "content", "profiles", "bank.yaml"))
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, stderr)
	}
	t.Logf("demo: %.1fs", time.Since(start).Seconds())
	var line string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "exitbundle drill ") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		t.Fatalf("the demo printed no drill command:\n%s", stdout)
	}
	words, err := exec.Command(sh, "-c", `for w in `+line+`; do printf '%s\0' "$w"; done`).Output()
	if err != nil {
		t.Fatalf("sh cannot split %q: %v", line, err)
	}
	args := strings.Split(strings.TrimSuffix(string(words), "\x00"), "\x00")
	start = time.Now()
	code, stdout, stderr = runExitbundle(t, args[1:]...)
	t.Logf("drill: %.1fs\n%s", time.Since(start).Seconds(), stdout)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s\n%s", line, code, stdout, stderr)
	}

	out := filepath.Join(dir, "drill")
	report, err := os.ReadFile(filepath.Join(out, drill.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep drill.Report
	if err := json.Unmarshal(report, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.VMs) != 3 {
		t.Fatalf("report: ok %v, %d VMs: %s", rep.OK, len(rep.VMs), rep.Summary)
	}
	for _, vm := range rep.VMs {
		png, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(vm.Screenshot)))
		if vm.Screenshot == "" || err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s: no PNG screenshot (%q, %v)", vm.Name, vm.Screenshot, err)
		}
		if !vm.Passed || vm.Boot == nil || !strings.Contains(vm.Boot.ConsoleTail+vm.Boot.ScreenText, "exitkit demo guest "+vm.Name+" running") {
			t.Errorf("%s: passed %v (%s), boot %+v", vm.Name, vm.Passed, vm.Reason, vm.Boot)
		}
	}

	pub, err := os.ReadFile(filepath.Join(dir, "keys", "signing-key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	if err := os.WriteFile(allowed, []byte(`demo namespaces="`+drill.Namespace+`" `+string(pub)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "demo", "-n", drill.Namespace, "-s", filepath.Join(out, drill.SignatureFile))
	cmd.Stdin = bytes.NewReader(report)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("ssh-keygen -Y verify of %s: %v\n%s", drill.SignatureFile, err, b)
	}
}
