package keys

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

func TestGenerateEncryptedSigningKeyIsReadBySSHKeygenWithItsPassphrase(t *testing.T) {
	keygen := interop.Require(t, "ssh-keygen")[0]
	path := filepath.Join(t.TempDir(), "sign")
	pub, err := GenerateEncryptedSigningKey(path, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, want 0600", st.Mode().Perm())
	}
	wantPub, _ := os.ReadFile(path + ".pub")
	tests := []struct {
		name   string
		pass   string
		wantOK bool
	}{
		{"the right passphrase unlocks it", "correct horse", true},
		{"a wrong passphrase does not", "wrong horse", false},
		{"no passphrase does not: the key is really encrypted", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(keygen, "-y", "-f", path, "-P", tt.pass).Output()
			if (err == nil) != tt.wantOK {
				t.Fatalf("ssh-keygen -y -P %q: err = %v, want ok %v", tt.pass, err, tt.wantOK)
			}
			if tt.wantOK && strings.Fields(string(out))[1] != strings.Fields(string(wantPub))[1] {
				t.Errorf("ssh-keygen -y printed %q, want the key of %q", out, wantPub)
			}
		})
	}
	signer, err := LoadSigner(path, func() ([]byte, error) { return []byte("correct horse"), nil })
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(signer.PublicKey()) != Fingerprint(pub) {
		t.Error("the key loaded is not the one generated")
	}
}

func TestGenerateEncryptedSigningKeyRefusesAnEmptyPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign")
	if _, err := GenerateEncryptedSigningKey(path, nil); err == nil {
		t.Fatal("an empty passphrase was accepted")
	}
	if _, err := os.Lstat(path); err == nil {
		t.Error("a key was written although the passphrase was refused")
	}
}

func TestLoadSignerFromTakesThePassphraseFromFileEnvOrPrompt(t *testing.T) {
	dir := t.TempDir()
	enc := filepath.Join(dir, "enc")
	if _, err := GenerateEncryptedSigningKey(enc, []byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if _, err := GenerateSigningKey(plain); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	right, wrong := write("right", "s3cret\n"), write("wrong", "nope\n")
	const env = "EXITKIT_TEST_SIGN_PASSPHRASE"
	prompt := func(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }
	tests := []struct {
		name    string
		key     string
		env     string
		src     PassphraseSource
		wantErr string // "" for success
	}{
		{"a passphrase file unlocks the key", enc, "", PassphraseSource{File: right}, ""},
		{"the environment unlocks the key", enc, "s3cret", PassphraseSource{Env: []string{env}}, ""},
		{"a prompt unlocks the key", enc, "", PassphraseSource{Prompt: prompt("s3cret")}, ""},
		{"the file wins over the environment", enc, "nope", PassphraseSource{File: right, Env: []string{env}}, ""},
		{"the environment wins over the prompt", enc, "s3cret", PassphraseSource{Env: []string{env}, Prompt: prompt("nope")}, ""},
		{"an unencrypted key needs no passphrase", plain, "", PassphraseSource{}, ""},
		{"an unencrypted key ignores a passphrase given", plain, "", PassphraseSource{File: wrong}, ""},
		{"no source says how to give one", enc, "", PassphraseSource{FileFlag: "--key-passphrase-file", Env: []string{env}},
			"the signing key is encrypted: give its passphrase with --key-passphrase-file FILE (its first line) or the environment variable " + env + ", or run on a terminal to be asked"},
		{"a wrong file is named", enc, "", PassphraseSource{File: wrong}, "the passphrase from --key-passphrase-file " + wrong + " is wrong"},
		{"a wrong environment variable is named", enc, "nope", PassphraseSource{Env: []string{env}}, "the passphrase from " + env + " is wrong"},
		{"a missing passphrase file is an error", enc, "", PassphraseSource{File: filepath.Join(dir, "none")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(env, tt.env)
			_, err := LoadSignerFrom(tt.key, tt.src)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
			}
			if wantPass := !strings.Contains(tt.wantErr, "no such file"); errors.Is(err, ErrPassphrase) != wantPass {
				t.Errorf("errors.Is(%v, ErrPassphrase) = %v, want %v", err, !wantPass, wantPass)
			}
		})
	}
}
