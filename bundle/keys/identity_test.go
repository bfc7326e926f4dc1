package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// roundTrip encrypts to r and reports whether ids decrypt it.
func roundTrip(t *testing.T, r age.Recipient, ids []age.Identity) bool {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "payload")
	w.Close()
	dr, err := age.Decrypt(&buf, ids...)
	if err != nil {
		return false
	}
	got, err := io.ReadAll(dr)
	return err == nil && string(got) == "payload"
}

func TestLoadIdentities(t *testing.T) {
	dir := t.TempDir()
	agePath := filepath.Join(dir, "customer.agekey")
	ageID, err := GenerateAgeIdentity(agePath)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	sshRecipient, _ := agessh.NewEd25519Recipient(sshPub)
	block, _ := ssh.MarshalPrivateKey(priv, "c")
	sshPath := filepath.Join(dir, "id_ed25519")
	os.WriteFile(sshPath, pem.EncodeToMemory(block), 0o600)
	locked, _ := ssh.MarshalPrivateKeyWithPassphrase(priv, "c", []byte("hunter2"))
	lockedPath := filepath.Join(dir, "id_locked")
	os.WriteFile(lockedPath, pem.EncodeToMemory(locked), 0o600)
	pubPath := filepath.Join(dir, "id.pub")
	os.WriteFile(pubPath, ssh.MarshalAuthorizedKey(sshPub), 0o644)
	recPath := filepath.Join(dir, "recipient.txt")
	os.WriteFile(recPath, []byte(ageID.Recipient().String()+"\n"), 0o644)
	junkPath := filepath.Join(dir, "junk")
	os.WriteFile(junkPath, []byte("hello\n"), 0o644)

	pass := func(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }
	for _, tc := range []struct {
		name string
		path string
		pass func() ([]byte, error)
		rec  age.Recipient
		err  string
	}{
		{"age identity file", agePath, nil, ageID.Recipient(), ""},
		{"OpenSSH ed25519 key", sshPath, nil, sshRecipient, ""},
		{"passphrase-protected key, passphrase given", lockedPath, pass("hunter2"), sshRecipient, ""},
		{"passphrase-protected key, no passphrase", lockedPath, nil, nil, "passphrase"},
		{"passphrase-protected key, wrong passphrase", lockedPath, pass("nope"), nil, "passphrase"},
		{"public key", pubPath, nil, nil, "public key"},
		{"age recipient", recPath, nil, nil, "public key"},
		{"not a key", junkPath, nil, nil, "age identity file or an OpenSSH private key"},
		{"missing", filepath.Join(dir, "nope"), nil, nil, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := LoadIdentitiesWithPassphrase(tc.path, tc.pass)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
					t.Fatal("error echoes a private key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !roundTrip(t, tc.rec, ids) {
				t.Fatal("loaded identity does not decrypt")
			}
		})
	}
	if _, err := LoadIdentities(lockedPath); !errors.Is(err, ErrPassphrase) {
		t.Errorf("LoadIdentities of an encrypted key: %v, want ErrPassphrase", err)
	}
}

func TestPassphraseIdentity(t *testing.T) {
	r, _ := age.NewScryptRecipient("correct horse")
	r.SetWorkFactor(10)
	id, err := PassphraseIdentity([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !roundTrip(t, r, []age.Identity{id}) {
		t.Fatal("passphrase identity does not decrypt")
	}
	if _, err := PassphraseIdentity(nil); err == nil {
		t.Fatal("empty passphrase accepted")
	}
}
