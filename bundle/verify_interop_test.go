package bundle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/interop"
)

// The reverse interop tests: what stock tools write, verify and open read.

func vtRun(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// vtSSHKey makes an OpenSSH ed25519 key with ssh-keygen.
func vtSSHKey(t *testing.T, dir, name, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	p := filepath.Join(dir, name)
	vtRun(t, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", p)
	data, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return p, pub
}

func TestInteropSSHKeygenSignatureVerifies(t *testing.T) {
	interop.Require(t, "ssh-keygen")
	dir := t.TempDir()
	keyPath, pub := vtSSHKey(t, dir, "provider", "")
	signer, err := keys.LoadSigner(keyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(t *testing.T, tm []byte) []byte {
		p := filepath.Join(t.TempDir(), "tm")
		vtWrite(t, p, tm)
		vtRun(t, nil, "ssh-keygen", "-Y", "sign", "-q", "-f", keyPath, "-n", SignatureNamespace, p)
		sig, err := os.ReadFile(p + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Signer: signer, Sign: sign})

	r := vtVerify(t, bag.Dir, VerifyOptions{Signer: pub})
	if !r.OK {
		t.Fatalf("ssh-keygen's signature does not verify:\n%s", vtText(r))
	}
	as := filepath.Join(dir, "allowed_signers")
	vtWrite(t, as, []byte(`legal@provider.example namespaces="exitbundle" `+string(ssh.MarshalAuthorizedKey(pub))))
	r = vtVerify(t, bag.Dir, VerifyOptions{AllowedSigners: as, Principal: "legal@provider.example"})
	if !r.OK {
		t.Fatalf("allowed_signers:\n%s", vtText(r))
	}
	// And ssh-keygen agrees with the same allowed_signers file.
	tm, _ := os.ReadFile(filepath.Join(bag.Dir, TagManifestFile))
	vtRun(t, tm, "ssh-keygen", "-Y", "verify", "-f", as, "-I", "legal@provider.example", "-n", SignatureNamespace, "-s", filepath.Join(bag.Dir, SignatureFile))

	// A signature for another namespace is refused, as ssh-keygen would.
	wrongNS := func(t *testing.T, tm []byte) []byte {
		p := filepath.Join(t.TempDir(), "tm")
		vtWrite(t, p, tm)
		vtRun(t, nil, "ssh-keygen", "-Y", "sign", "-q", "-f", keyPath, "-n", "file", p)
		sig, _ := os.ReadFile(p + ".sig")
		return sig
	}
	vtWriteTags(t, bag.Dir, bag.Manifest, tbSpec{Signer: signer, Sign: wrongNS})
	r = vtVerify(t, bag.Dir, VerifyOptions{Signer: pub})
	if r.OK || !strings.Contains(vtText(r), "namespace") {
		t.Fatalf("a signature for namespace \"file\" passed:\n%s", vtText(r))
	}
}

func TestInteropAgeCLIFilesOpen(t *testing.T) {
	interop.Require(t, "age", "age-keygen", "zstd", "ssh-keygen")
	dir := t.TempDir()
	ageKey := filepath.Join(dir, "customer.agekey")
	vtRun(t, nil, "age-keygen", "-o", ageKey)
	recipient := strings.TrimSpace(string(vtRun(t, nil, "age-keygen", "-y", ageKey)))
	sshKey, _ := vtSSHKey(t, dir, "customer_ed25519", "")
	lockedKey, _ := vtSSHKey(t, dir, "locked_ed25519", "correct horse")

	ageEncrypt := func(args ...string) func(t *testing.T, plain []byte) []byte {
		return func(t *testing.T, plain []byte) []byte {
			return vtRun(t, plain, "age", append(args, "-")...)
		}
	}
	zstdCLI := func(t *testing.T, plain []byte) []byte { return vtRun(t, plain, "zstd", "-q", "-c", "-") }

	for _, tc := range []struct {
		name     string
		encrypt  func(t *testing.T, plain []byte) []byte
		compress bool
		load     func(t *testing.T) ([]age.Identity, error)
	}{
		{"age -r X25519", ageEncrypt("-r", recipient), false, func(t *testing.T) ([]age.Identity, error) { return keys.LoadIdentities(ageKey) }},
		{"zstd then age -r", ageEncrypt("-r", recipient), true, func(t *testing.T) ([]age.Identity, error) { return keys.LoadIdentities(ageKey) }},
		{"age -R ssh-ed25519", ageEncrypt("-R", sshKey+".pub"), true, func(t *testing.T) ([]age.Identity, error) { return keys.LoadIdentities(sshKey) }},
		{"age -R passphrase-protected ssh key", ageEncrypt("-R", lockedKey+".pub"), false, func(t *testing.T) ([]age.Identity, error) {
			if _, err := keys.LoadIdentities(lockedKey); !errors.Is(err, keys.ErrPassphrase) {
				t.Errorf("encrypted key without a passphrase: err = %v, want ErrPassphrase", err)
			}
			if _, err := keys.LoadIdentitiesWithPassphrase(lockedKey, func() ([]byte, error) { return []byte("wrong"), nil }); !errors.Is(err, keys.ErrPassphrase) {
				t.Errorf("wrong passphrase: err = %v, want ErrPassphrase", err)
			}
			return keys.LoadIdentitiesWithPassphrase(lockedKey, func() ([]byte, error) { return []byte("correct horse"), nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := tc.load(t)
			if err != nil {
				t.Fatal(err)
			}
			d := t.TempDir()
			bag := vtBuildBag(t, filepath.Join(d, "bag"), tbSpec{Encrypt: tc.encrypt, Compress: tc.compress, Zstd: zstdCLI})
			r := vtVerify(t, bag.Dir, VerifyOptions{Identities: ids})
			if !r.OK || r.Check(CheckPlaintext).Status != StatusPass {
				t.Fatalf("verify:\n%s", vtText(r))
			}
			out := filepath.Join(d, "out")
			if err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: ids}); err != nil {
				t.Fatal(err)
			}
			vtCheckOpened(t, out, bag)
		})
	}
}

func TestPassphraseIdentityOpensScryptFiles(t *testing.T) {
	r, err := age.NewScryptRecipient("open sesame")
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10) // fast for the test; the identity accepts any up to its maximum
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Recipients: []age.Recipient{r}, VMs: []tbVM{{Name: "db", Files: []tbFile{{Name: "db.vmdk", Role: RoleDisk, Data: vtRandom(t, 100<<10)}}}}})
	id, err := keys.PassphraseIdentity([]byte("open sesame"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
	vtCheckOpened(t, out, bag)
	wrong, _ := keys.PassphraseIdentity([]byte("open sesame\n"))
	if r := vtVerify(t, bag.Dir, VerifyOptions{Identities: []age.Identity{wrong}}); r.OK {
		t.Fatal("a passphrase with a newline opened the bundle: passphrases must be used exactly")
	}
}
