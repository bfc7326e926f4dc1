package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/terms"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestRunWritesAVerifiedBundleOfThreeVMs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	var progress bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: dir, Progress: &progress})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if !res.Report.OK {
		t.Fatalf("report not OK: %+v", res.Report.Checks)
	}
	if len(res.Manifest.VMs) != 3 {
		t.Fatalf("%d VMs", len(res.Manifest.VMs))
	}
	roles := map[string]int{}
	for _, vm := range res.Manifest.VMs {
		for _, f := range vm.Files {
			roles[f.Role]++
		}
	}
	if roles[bundle.RoleDisk] != 4 || roles[bundle.RoleNVRAM] != 1 {
		t.Errorf("files by role %v, want 4 disks and 1 NVRAM", roles)
	}
	for _, p := range []string{res.Index, res.SigningKey, res.AgeIdentity, res.AllowedSigners, filepath.Join(res.Bundle, bundle.SignatureFile)} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if info, err := os.Stat(res.SigningKey); err == nil && info.Mode().Perm() != 0o600 {
		t.Errorf("signing key mode %v", info.Mode())
	}
	if !strings.Contains(progress.String(), "temporary snapshot removed") {
		t.Errorf("the running VM was not exported through a snapshot:\n%s", progress.String())
	}
}

func TestRunRefusesANonEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep-me"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Dir: dir})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "recognised by its "+MarkerFile+" marker") {
		t.Fatalf("got %v, want ErrNotEmpty saying an earlier demo's folder is recognised by its marker", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("demo wrote into a non-empty folder: %v", entries)
	}
}

func TestPrintedCommandsCheckTheBundleWithStockTools(t *testing.T) {
	interop.Require(t, "sha256sum", "ssh-keygen", "age", "qemu-img", "sh")
	res, err := Run(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "demo")})
	if err != nil {
		t.Fatal(err)
	}
	script := strings.Join(res.Commands(), " && \\\n")
	out, err := exec.Command("sh", "-ec", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, script, out)
	}
	for _, want := range []string{"Good \"exitbundle\" signature", "No errors were found on the image"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunEmbedsTheProfilesExitTermsFromTheClauseLibrary(t *testing.T) {
	content := filepath.Join("..", "..", "content")
	profile := filepath.Join(content, "profiles", "bank.yaml")
	if _, err := os.Stat(profile); err != nil {
		t.Skipf("no shipped clause library: %v", err)
	}
	res, err := Run(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "demo"), Content: content, Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	cited := res.Manifest.Terms
	if cited == nil || len(cited.Clauses) == 0 || !strings.HasPrefix(cited.Fingerprint, "sha256:") {
		t.Fatalf("manifest terms = %+v, want the module's clauses and fingerprint", cited)
	}
	embedded, err := os.ReadFile(filepath.Join(res.Bundle, bundle.TermsFile))
	if err != nil {
		t.Fatal(err)
	}
	rendered, _ := os.ReadFile(res.Terms)
	if !bytes.Equal(embedded, rendered) {
		t.Error("TERMS.html differs from the rendered module")
	}
	if !strings.Contains(res.Manifest.Customer, "Zuiderzee Bank") {
		t.Errorf("customer %q is not the profile's", res.Manifest.Customer)
	}
	// A trustee compares the key the terms name with signer.pub, as the
	// index advises: it must be the key that signed the bundle, and the
	// module's signature beside it must verify with that key.
	mod, err := terms.Read(bytes.NewReader(embedded))
	if err != nil {
		t.Fatal(err)
	}
	if mod.BundleKey != res.Manifest.Signer.Fingerprint || mod.Signer != res.Manifest.Signer.Fingerprint {
		t.Errorf("TERMS.html names bundle key %s and signer %s; the bundle was signed with %s", mod.BundleKey, mod.Signer, res.Manifest.Signer.Fingerprint)
	}
	pub, err := os.ReadFile(filepath.Join(res.Bundle, bundle.SignerFile))
	if err != nil {
		t.Fatal(err)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(res.Terms + terms.SignatureSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := terms.VerifySignature(rendered, sig, key); err != nil {
		t.Errorf("the module's signature does not verify with the bundle's signer.pub: %v", err)
	}
}
