package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/boottest"
	"github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/guest"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/qemu"
)

// zeros is a blank disk: it reads as zeros everywhere.
type zeros struct{}

func (zeros) ReadAt(p []byte, off int64) (int, error) { clear(p); return len(p), nil }

type keySet struct {
	signer   ssh.Signer
	pub      ssh.PublicKey
	pubPath  string
	identity age.Identity
	recip    *age.X25519Recipient
}

func newKeys(t *testing.T) *keySet {
	t.Helper()
	dir := t.TempDir()
	pub, err := keys.GenerateSigningKey(filepath.Join(dir, "sign"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := keys.LoadSigner(filepath.Join(dir, "sign"), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := keys.GenerateAgeIdentity(filepath.Join(dir, "age.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return &keySet{signer: signer, pub: pub, pubPath: filepath.Join(dir, "sign.pub"), identity: id, recip: id.Recipient()}
}

// demoBundle makes a signed, age-encrypted bundle from an OVF folder with
// three VMs: web (BIOS, PVSCSI) and app (EFI, LSI Logic) carry the demo
// guest; blank has a disk of zeros.
func demoBundle(t *testing.T, k *keySet) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "exports")
	for _, vm := range []struct {
		name, fw, ctrl string
		bootable       bool
	}{
		{"web", "bios", "VirtualSCSI", true},
		{"app", "efi", "lsilogic", true},
		{"blank", "bios", "VirtualSCSI", false},
	} {
		capacity := int64(16 << 20)
		var disk interface {
			ReadAt([]byte, int64) (int, error)
		} = zeros{}
		if vm.bootable {
			im, err := guest.Disk(vm.name, guest.Firmware(vm.fw), capacity)
			if err != nil {
				t.Fatal(err)
			}
			disk = im
		}
		if err := boottest.WriteOVF(src, boottest.VM{Name: vm.name, Firmware: vm.fw, Controller: vm.ctrl, CPUs: 2, MemoryMiB: 4096, Disk: disk, Capacity: capacity}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := bundle.OpenSource(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bundle")
	if _, err := bundle.Create(context.Background(), bundle.CreateOptions{
		Sources: []bundle.Source{s}, Out: out, Signer: k.signer,
		Recipients: []age.Recipient{k.recip}, RecipientNames: []string{k.recip.String()},
		Info: bundle.Info{Provider: "Example <Cloud>", Customer: "Acme"},
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func requireTools(t *testing.T) {
	t.Helper()
	interop.Require(t, "qemu-system-x86_64", "qemu-img", "ssh-keygen")
	interop.RequireFile(t, "ovmf", qemu.OVMFCandidates()...)
}

func TestDrillBootsBootableVMsReportsTheBlankOneAndSignsAReportSSHKeygenAccepts(t *testing.T) {
	requireTools(t)
	k := newKeys(t)
	b := demoBundle(t, k)
	out := filepath.Join(t.TempDir(), "drill")
	var progress bytes.Buffer
	start := time.Now()
	rep, err := Drill(context.Background(), Options{
		Bundle: b, Out: out, Identities: []age.Identity{k.identity}, SignKey: k.signer,
		Expect: regexp.MustCompile("exitkit demo guest"), Timeout: 90 * time.Second, MaxCPUs: 1, MaxMemoryMiB: 256,
		Progress: &progress,
	})
	t.Logf("drill of 3 VMs took %.1fs\n%s", time.Since(start).Seconds(), progress.String())
	var fe *FailedError
	if !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.Failed[0] != "blank" {
		t.Fatalf("err = %v, want a FailedError naming only blank", err)
	}
	if rep.OK || !rep.Bundle.Verified || rep.Bundle.SignerPinned {
		t.Errorf("ok %v verified %v pinned %v: want failed, verified, not pinned", rep.OK, rep.Bundle.Verified, rep.Bundle.SignerPinned)
	}
	byName := map[string]VMReport{}
	for _, v := range rep.VMs {
		byName[v.Name] = v
		if v.Screenshot == "" {
			t.Errorf("%s: no screenshot", v.Name)
		} else if _, err := os.Stat(filepath.Join(out, v.Screenshot)); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
		if v.Verify != "pass" || v.Restore.Bytes == 0 || v.Restore.Error != "" {
			t.Errorf("%s: verify %s restore %+v", v.Name, v.Verify, v.Restore)
		}
		if v.Boot != nil {
			t.Logf("%s (%s): %s after %.1fs", v.Name, v.Firmware, v.Outcome, v.Boot.Duration.Seconds())
		}
	}
	for _, name := range []string{"web", "app"} {
		v := byName[name]
		if !v.Passed || v.Outcome != string(qemu.MarkerSeen) {
			t.Errorf("%s: %s (%s), want the marker seen", name, v.Outcome, v.Reason)
		}
	}
	if app := byName["app"]; app.Firmware != "efi" || app.Boot == nil || len(app.Boot.Controllers) != 1 || app.Boot.Controllers[0].Fallback == "" {
		t.Errorf("app: an EFI VM on LSI Logic must boot from a fallback controller and say so: %+v", app.Boot)
	}
	if blank := byName["blank"]; blank.Passed || blank.Outcome != string(qemu.NoBootableDisk) {
		t.Errorf("blank: %s passed=%v, want no-bootable-disk", blank.Outcome, blank.Passed)
	}
	if web := byName["web"]; web.Boot == nil || web.Boot.CPUs != 1 || web.Boot.MemoryMiB != 256 || web.VCPU != 2 || web.MemoryMiB != 4096 {
		t.Errorf("web: the VM's 2 CPUs and 4096 MiB must be recorded and capped to 1 and 256: %+v", web.Boot)
	}

	js, err := os.ReadFile(filepath.Join(out, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil || len(back.VMs) != 3 {
		t.Fatalf("drill.json: %v", err)
	}
	html, err := os.ReadFile(filepath.Join(out, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte(`src="data:image/png;base64,`)); n != 3 {
		t.Errorf("drill.html embeds %d screenshots, want 3", n)
	}
	for _, want := range []string{"NOT pinned", "Example &lt;Cloud&gt;", "no-bootable-disk", "exitkit demo guest web running", "swapped:"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("drill.html lacks %q", want)
		}
	}

	// The report's signature, checked by OpenSSH itself.
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	if err := os.WriteFile(allowed, []byte("drill@example "+string(ssh.MarshalAuthorizedKey(k.pub))), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "drill@example", "-n", Namespace, "-s", filepath.Join(out, SignatureFile))
	cmd.Stdin = bytes.NewReader(js)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("ssh-keygen -Y verify: %v\n%s", err, o)
	}
	cmd = exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "drill@example", "-n", bundle.SignatureNamespace, "-s", filepath.Join(out, SignatureFile))
	cmd.Stdin = bytes.NewReader(js)
	if err := cmd.Run(); err == nil {
		t.Error("the report's signature verifies in the bundle's namespace; it must not")
	}

	// Again into the same folder: refused, nothing overwritten.
	_, err = Drill(context.Background(), Options{Bundle: b, Out: out, Identities: []age.Identity{k.identity}})
	if !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second drill into %s: %v, want ErrNotEmpty", out, err)
	}
}

func TestDrillOfATamperedBundleRestoresNothingAndFails(t *testing.T) {
	requireTools(t)
	k := newKeys(t)
	b := demoBundle(t, k)
	disk := filepath.Join(b, "data", "vms", "web", "web-disk1.vmdk.age")
	data, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(disk, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "drill")
	rep, err := Drill(context.Background(), Options{Bundle: b, Out: out, Identities: []age.Identity{k.identity}, Signer: k.pub})
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Failed[0] != "bundle" {
		t.Fatalf("err = %v, want a FailedError for the bundle", err)
	}
	if rep.Bundle.Verified || !rep.Bundle.SignerPinned || len(rep.VMs) != 0 {
		t.Errorf("verified %v pinned %v vms %d", rep.Bundle.Verified, rep.Bundle.SignerPinned, len(rep.VMs))
	}
	if _, err := os.Stat(filepath.Join(out, "restored")); err == nil {
		t.Error("a bundle that fails verification must not be restored")
	}
	if _, err := os.Stat(filepath.Join(out, JSONFile)); err != nil {
		t.Error("the failed drill still writes its report")
	}
}

func TestDrillRefusesAnUnknownVM(t *testing.T) {
	requireTools(t)
	k := newKeys(t)
	b := demoBundle(t, k)
	_, err := Drill(context.Background(), Options{Bundle: b, Out: filepath.Join(t.TempDir(), "d"), VMs: []string{"nosuch\x1b[2J"}})
	if err == nil || !strings.Contains(err.Error(), `no VM nosuch\x1b[2J in the bundle; it holds: app, blank, web`) {
		t.Errorf("err = %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "\x1b") {
		t.Error("the error prints an escape character from the command line unescaped")
	}
}

func TestReportHTMLEscapesWhatTheBundleAndGuestSaid(t *testing.T) {
	when := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := &Report{
		Format: Format, Tool: "exitbundle test", QEMU: "QEMU emulator version 7.2.0", Accel: "tcg",
		Started: when, Ended: when.Add(42 * time.Second), Expect: "exitkit demo guest", TimeoutSeconds: 180,
		Bundle: BundleInfo{Path: "/media/exit", Created: when, Tool: "exitbundle v1", Provider: `<script>alert("p")</script>`,
			SignerFingerprint: "SHA256:abc", SignerNote: "not pinned", Verified: true, TermsFingerprint: "sha256:0123",
			Checks: []CheckResult{{Name: "signature", Status: "pass"}}},
		VMs: []VMReport{{Name: "web", Firmware: "bios", VCPU: 2, MemoryMiB: 2048, Verify: "pass", Outcome: "marker-seen", Passed: true, Reason: "the expected marker appeared",
			Restore: Restore{Seconds: 0.5, Bytes: 16 << 20, MBps: 33.5},
			Boot: &qemu.Result{Outcome: qemu.MarkerSeen, Passed: true, Accel: "tcg", Machine: "pc", CPUs: 1, MemoryMiB: 256, Duration: 1500 * time.Millisecond, Ended: "decided",
				Controllers: []qemu.ControllerChoice{{VM: "pvscsi", QEMU: "pvscsi"}},
				Evidence:    []qemu.Evidence{{Kind: "marker", Source: "serial", Line: "exitkit demo guest web running <b>", After: "0.4s"}},
				ConsoleTail: "exitkit demo guest web running\n</pre><img src=x onerror=alert(1)>", ConsoleLog: "vms/web/boot/console.log", FirmwareLog: "vms/web/boot/firmware.log"}}},
		OK: true, Summary: "all 1 VMs restored and booted",
	}
	html, err := renderHTML(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("drill.html carries %q unescaped", bad)
		}
	}
	golden.Check(t, "drill.html", html)
}

func TestSafeEscapesControlCharacters(t *testing.T) {
	if got := safe("web\x1b[2J\r\nok\u2028"); got != `web\x1b[2J\x0d\x0aok\x2028` {
		t.Errorf("safe = %q", got)
	}
}
