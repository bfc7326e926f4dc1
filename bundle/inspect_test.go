package bundle

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/exporttest"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/index"
	"github.com/exitkit/exitkit/internal/interop"
)

// inspectBundle creates a real bundle of the two-VM export folder, from
// OpenSource through Create, in a folder or a tar.
func inspectBundle(t *testing.T, asTar bool) (string, ssh.Signer) {
	p, signer, _ := inspectBundleWithKey(t, asTar)
	return p, signer
}

func inspectBundleWithKey(t *testing.T, asTar bool) (string, ssh.Signer, *age.X25519Identity) {
	t.Helper()
	exports := t.TempDir()
	files, _ := exporttest.TwoVMs(t)
	exporttest.WriteFiles(t, exports, files)
	src, err := OpenSource(context.Background(), exports)
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	signer := testSigner(t)
	opts := CreateOptions{
		Sources:        []Source{src},
		Signer:         signer,
		Recipients:     []age.Recipient{id.Recipient()},
		RecipientNames: []string{id.Recipient().String()},
		Compress:       "zstd",
		Jobs:           2,
		Info:           Info{Provider: "Nordcloud Hosting GmbH", Customer: "Acme Logistics AG", Description: "end of contract"},
	}
	out := filepath.Join(t.TempDir(), "acme-exit")
	if asTar {
		out += ".tar"
		opts.Tar = out
	} else {
		opts.Out = out
	}
	if _, err := Create(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	return out, signer, id
}

func TestInspectReadsAFinishedBundleFolderAndTar(t *testing.T) {
	for _, asTar := range []bool{false, true} {
		name := map[bool]string{false: "folder", true: "tar"}[asTar]
		t.Run(name, func(t *testing.T) {
			p, signer := inspectBundle(t, asTar)
			in, err := Inspect(p)
			if err != nil {
				t.Fatal(err)
			}
			if !in.Complete || !in.Signed || in.Marker || !in.SignerSame {
				t.Errorf("status %+v", in)
			}
			m := in.Manifest
			if m.Signer.Fingerprint != ssh.FingerprintSHA256(signer.PublicKey()) {
				t.Errorf("fingerprint %q", m.Signer.Fingerprint)
			}
			if len(m.VMs) != 2 || m.Encryption.Mode != "age" || m.Customer != "Acme Logistics AG" {
				t.Fatalf("manifest %+v", m)
			}
			var web *VM
			for i := range m.VMs {
				if m.VMs[i].Name == "web" {
					web = &m.VMs[i]
				}
			}
			if web == nil || len(web.Hardware) != 1 || web.Hardware[0].Firmware != "efi" || web.Hardware[0].VCPU != 2 {
				t.Fatalf("web VM %+v", web)
			}
			hasNVRAM := false
			for _, f := range web.Files {
				hasNVRAM = hasNVRAM || f.Role == RoleNVRAM
			}
			if !hasNVRAM {
				t.Errorf("the NVRAM next to web.ovf is not in the bundle: %+v", web.Files)
			}
			if in.Files == 0 || in.PayloadBytes == 0 || in.StoredBytes == 0 {
				t.Errorf("totals %+v", in)
			}
		})
	}
}

func TestInspectTellsAnUnfinishedBundle(t *testing.T) {
	p, _ := inspectBundle(t, false)
	if err := os.Remove(filepath.Join(p, SignatureFile)); err != nil {
		t.Fatal(err)
	}
	in, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if in.Complete || in.Signed {
		t.Errorf("a bundle without signature reads as complete: %+v", in)
	}
	if err := os.WriteFile(filepath.Join(p, IncompleteMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if in, _ := Inspect(p); in == nil || !in.Marker || in.Complete {
		t.Errorf("the marker is not noticed: %+v", in)
	}
}

func TestInspectRefusesWhatIsNotABundle(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]func() string{
		"an empty folder": func() string { return dir },
		"a text file": func() string {
			p := filepath.Join(dir, "x.txt")
			os.WriteFile(p, []byte(strings.Repeat("hello ", 200)), 0o644)
			return p
		},
		"a foreign manifest": func() string {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, ExitManifestFile), []byte(`{"format":"other/9"}`), 0o644)
			return d
		},
		"a missing path": func() string { return filepath.Join(dir, "nope") },
	}
	for name, path := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Inspect(path()); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestIndexCommandsWorkWithStockTools runs the verify commands the
// bundle's README prints, as printed, in the bundle folder.
func TestIndexCommandsWorkWithStockTools(t *testing.T) {
	interop.Require(t, "ssh-keygen", "sha256sum", "sh", "age", "zstd")
	p, _, id := inspectBundleWithKey(t, false)
	readme, err := os.ReadFile(filepath.Join(p, ReadmeFile))
	if err != nil {
		t.Fatal(err)
	}
	var script []string
	for _, line := range strings.Split(string(readme), "\n") {
		l := strings.TrimPrefix(line, "    ")
		if strings.HasPrefix(l, "head -n 1 "+SignerFile) || strings.HasPrefix(l, "echo ") || strings.HasPrefix(l, "ssh-keygen -Y") || strings.HasPrefix(l, "sha256sum -c "+TagManifestFile) || strings.HasPrefix(l, "sha256sum -c "+ManifestFile) {
			script = append(script, l)
		}
	}
	if len(script) != 6 {
		t.Fatalf("found %d verify commands in README.txt, want 6: %q", len(script), script)
	}
	cmd := exec.Command("sh", "-e", "-c", strings.Join(script, "\n"))
	cmd.Dir = p
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's commands fail: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `Good "exitbundle" signature for `+index.SignerIdentity) {
		t.Errorf("ssh-keygen did not confirm the signature:\n%s", out)
	}

	// Then restore every VM as the README says and check it against its .mf.
	_, qerr := exec.LookPath("qemu-img")
	hasQemuImg := qerr == nil
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	restored := t.TempDir()
	script = nil
	for _, line := range strings.Split(string(readme), "\n") {
		l, ok := strings.CutPrefix(line, "    ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(l, "OUT="):
			script = append(script, "OUT="+restored)
		case strings.HasPrefix(l, "mkdir -p"), strings.HasPrefix(l, "cp data/"), strings.HasPrefix(l, "age -d"), strings.HasPrefix(l, "zstd -d"), strings.HasPrefix(l, "(cd "):
			script = append(script, strings.ReplaceAll(l, "key.txt", keyFile))
		case strings.HasPrefix(l, "tar -C "):
			script = append(script, l) // the AWS OVA
		case strings.HasPrefix(l, "qemu-img convert") && hasQemuImg:
			script = append(script, strings.Replace(l, " -p ", " ", 1)) // KVM, Hyper-V and Azure disks
		}
	}
	cmd = exec.Command("sh", "-e", "-c", strings.Join(script, "\n"))
	cmd.Dir = p
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's restore commands fail: %v\n%s\n%s", err, strings.Join(script, "\n"), res)
	}
	if strings.Count(string(res), ": OK") < 5 || strings.Contains(string(res), "FAILED") {
		t.Errorf("sha256sum -c on the restored VMs:\n%s", res)
	}
	for _, want := range []string{"web.ova", "db.ova"} {
		if _, err := os.Stat(filepath.Join(restored, want)); err != nil {
			t.Errorf("the README's tar command made no %s: %v", want, err)
		}
	}
	if hasQemuImg {
		for _, want := range []string{"web/web-disk1.qcow2", "web/web-disk1.vhdx", "web/web-disk1.vhd"} {
			if _, err := os.Stat(filepath.Join(restored, want)); err != nil {
				t.Errorf("the README's qemu-img command made no %s: %v", want, err)
			}
		}
	}
}
