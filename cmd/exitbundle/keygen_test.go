package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/interop"
)

func TestKeygenSignEncryptsWhenGivenAPassphraseAndSaysSoWhenNot(t *testing.T) {
	keygen := interop.Require(t, "ssh-keygen")[0]
	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(passFile, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        string
		args       []string
		wantPass   string // the passphrase ssh-keygen -y needs; "" for an unencrypted key
		wantStderr string
	}{
		{"a passphrase file encrypts the key", "", []string{"--key-passphrase-file", passFile}, "from a file", "encrypted with the passphrase from " + passFile},
		{"the environment encrypts the key", "from the env", nil, "from the env", "encrypted with the passphrase from " + signPassphraseEnv},
		{"the file wins over the environment", "from the env", []string{"--key-passphrase-file", passFile}, "from a file", "encrypted"},
		{"no passphrase writes an unencrypted key and says how to encrypt it", "", nil, "", "is not encrypted"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(signPassphraseEnv, tt.env)
			key := filepath.Join(dir, "sign"+string(rune('a'+i)))
			code, out, stderr := runExitbundle(t, append([]string{"keygen", "--type", "sign", "--out", key}, tt.args...)...)
			if code != cli.ExitOK || !strings.Contains(out, "SHA256:") {
				t.Fatalf("exit %d\n%s%s", code, out, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q, want it to say %q", stderr, tt.wantStderr)
			}
			if tt.wantPass == "" && !strings.Contains(stderr, "ssh-keygen -p -f "+key) {
				t.Errorf("stderr %q does not say how to encrypt the key", stderr)
			}
			if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("key mode: %v %v, want 0600", st.Mode(), err)
			}
			if msg, err := exec.Command(keygen, "-y", "-f", key, "-P", tt.wantPass).CombinedOutput(); err != nil {
				t.Errorf("ssh-keygen -y -P %q: %v\n%s", tt.wantPass, err, msg)
			}
			if tt.wantPass != "" {
				if err := exec.Command(keygen, "-y", "-f", key, "-P", "").Run(); err == nil {
					t.Error("ssh-keygen read the key without its passphrase: it is not encrypted")
				}
			}
		})
	}
}

// noTerminal makes standard input /dev/null for the test, so that a run
// from a developer's terminal does not stop at a passphrase prompt.
func noTerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = old; f.Close() })
}

func TestKeygenRefusesWhatItCannotDo(t *testing.T) {
	noTerminal(t)
	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("p\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"nothing reports every missing flag", nil, []string{"--type sign|age", "--out PATH", "are required"}},
		{"no --out reports it alone", []string{"--type", "sign"}, []string{"is required: give --out PATH"}},
		{"--passphrase without a terminal says what to use", []string{"--type", "sign", "--out", filepath.Join(dir, "k1"), "--passphrase"}, []string{"not a terminal", "--key-passphrase-file"}},
		{"both passphrase flags are refused", []string{"--type", "sign", "--out", filepath.Join(dir, "k2"), "--passphrase", "--key-passphrase-file", passFile}, []string{"not both"}},
		{"a passphrase for an age identity is refused", []string{"--type", "age", "--out", filepath.Join(dir, "k3"), "--key-passphrase-file", passFile}, []string{"apply to --type sign"}},
		{"an empty passphrase file is refused", []string{"--type", "sign", "--out", filepath.Join(dir, "k4"), "--key-passphrase-file", os.DevNull}, []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(signPassphraseEnv, "")
			code, _, stderr := runExitbundle(t, append([]string{"keygen"}, tt.args...)...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want 2\n%s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q, want it to say %q", stderr, w)
				}
			}
		})
	}
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		if _, err := os.Lstat(filepath.Join(dir, k)); err == nil {
			t.Errorf("%s was written although keygen refused", k)
		}
	}
}

func TestCreateReadsAnEncryptedSigningKeyAndSaysHowToUnlockIt(t *testing.T) {
	noTerminal(t)
	work := t.TempDir()
	writeOVFSource(t, filepath.Join(work, "src", "vm1"))
	key := filepath.Join(work, "sign")
	passFile, wrongFile := filepath.Join(work, "pass"), filepath.Join(work, "wrong")
	os.WriteFile(passFile, []byte("s3cret\n"), 0o600)
	os.WriteFile(wrongFile, []byte("nope\n"), 0o600)
	t.Setenv(signPassphraseEnv, "")
	if code, _, stderr := runExitbundle(t, "keygen", "--type", "sign", "--out", key, "--key-passphrase-file", passFile); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	tests := []struct {
		name     string
		env      string
		args     []string
		wantCode int
		want     string
	}{
		{"no passphrase says how to give it", "", nil, cli.ExitUsage, "the signing key is encrypted: give its passphrase with --key-passphrase-file FILE (its first line) or the environment variable " + signPassphraseEnv},
		{"a wrong passphrase file is named", "", []string{"--key-passphrase-file", wrongFile}, cli.ExitUsage, "the passphrase from --key-passphrase-file " + wrongFile + " is wrong"},
		{"a wrong environment variable is named", "nope", nil, cli.ExitUsage, "the passphrase from " + signPassphraseEnv + " is wrong"},
		{"the environment unlocks it", "s3cret", nil, cli.ExitOK, ""},
		{"a passphrase file unlocks it", "", []string{"--key-passphrase-file", passFile}, cli.ExitOK, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(signPassphraseEnv, tt.env)
			out := filepath.Join(work, "b"+string(rune('a'+i)))
			args := append([]string{"create", "--source", filepath.Join(work, "src"), "--out", out, "--sign-key", key}, tt.args...)
			code, _, stderr := runExitbundle(t, args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want %d and %q\n%s", code, tt.wantCode, tt.want, stderr)
			}
			if tt.wantCode == cli.ExitOK {
				if _, err := os.Stat(filepath.Join(out, "tagmanifest-sha256.txt.sig")); err != nil {
					t.Errorf("no signature: %v", err)
				}
			}
		})
	}
}
