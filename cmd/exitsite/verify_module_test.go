package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// signingKey makes an OpenSSH key pair with ssh-keygen, as a provider has.
func signingKey(t *testing.T) (key, pub string) {
	t.Helper()
	sshKeygen := interop.Require(t, "ssh-keygen")[0]
	key = filepath.Join(t.TempDir(), "exit-signing-key")
	if out, err := exec.Command(sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "provider", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return key, key + ".pub"
}

func TestModuleSignsEveryFormatAndVerifyModuleChecksThem(t *testing.T) {
	interop.Require(t, "chromium", "pandoc")
	key, pub := signingKey(t)
	base := filepath.Join(t.TempDir(), "bank")
	code, _, stderr := runExitsite(t, "module", "--content", shippedContent, "--profile", shippedContent+"/profiles/bank.yaml",
		"--format", "html", "--format", "pdf,docx", "--sign-key", key, "--out", base)
	if code != 0 {
		t.Fatalf("module: exit %d\n%s", code, stderr)
	}
	for _, ext := range []string{".html", ".pdf", ".docx"} {
		if !strings.Contains(stderr, "wrote "+base+ext+": ") || !strings.Contains(stderr, base+ext+".sig") {
			t.Errorf("module did not report %s and its signature:\n%s", base+ext, stderr)
		}
		code, stdout, stderr := runExitsite(t, "verify-module", base+ext, "--signer", pub)
		if code != 0 || !strings.HasPrefix(stdout, "OK: ") {
			t.Errorf("verify-module %s: exit %d\n%s%s", ext, code, stdout, stderr)
		}
	}
	// A changed file, another signer and a missing signature exit 1.
	data, _ := os.ReadFile(base + ".html")
	os.WriteFile(base+".html", []byte(strings.Replace(string(data), "Zuiderzee", "Zuiderzee Holding", 1)), 0o644)
	_, otherPub := signingKey(t)
	for name, args := range map[string][]string{
		"a changed module": {base + ".html", "--signer", pub},
		"another signer":   {base + ".pdf", "--signer", otherPub},
	} {
		if code, _, stderr := runExitsite(t, append([]string{"verify-module"}, args...)...); code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", name, code, stderr)
		}
	}
	os.Remove(base + ".docx.sig")
	if code, _, stderr := runExitsite(t, "verify-module", base+".docx", "--signer", pub); code != 1 || !strings.Contains(stderr, "unsigned") {
		t.Errorf("a missing signature: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runExitsite(t, "verify-module", filepath.Join(t.TempDir(), "none.pdf")); code != 2 {
		t.Errorf("a missing file: exit %d, want 2\n%s", code, stderr)
	}
}

func TestModuleNeedsOutForPDFAndRefusesUnknownFormats(t *testing.T) {
	profile := shippedContent + "/profiles/bank.yaml"
	for name, args := range map[string][]string{
		"pdf to standard output": {"--format", "pdf"},
		"several formats":        {"--format", "html,docx"},
		"an unknown format":      {"--format", "odt", "--out", filepath.Join(t.TempDir(), "m")},
		"a missing key":          {"--sign-key", filepath.Join(t.TempDir(), "nokey"), "--out", filepath.Join(t.TempDir(), "m.html")},
	} {
		code, _, stderr := runExitsite(t, append([]string{"module", "--content", shippedContent, "--profile", profile}, args...)...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", name, code, stderr)
		}
	}
}

func TestModuleReadsAnEncryptedSigningKeyFromFileOrEnvironment(t *testing.T) {
	sshKeygen := interop.Require(t, "ssh-keygen")[0]
	dir := t.TempDir()
	key := filepath.Join(dir, "enc-key")
	if out, err := exec.Command(sshKeygen, "-q", "-t", "ed25519", "-N", "s3cret", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("s3cret\n"), 0o600)
	stdin, _ := os.Open(os.DevNull)
	old := os.Stdin
	os.Stdin = stdin
	t.Cleanup(func() { os.Stdin = old; stdin.Close() })
	tests := []struct {
		name               string
		siteEnv, bundleEnv string
		args               []string
		wantCode           int
		want               string
	}{
		{"no passphrase says how to give it", "", "", nil, 2, "the signing key is encrypted: give its passphrase with --key-passphrase-file"},
		{"a passphrase file unlocks it", "", "", []string{"--key-passphrase-file", passFile}, 0, "signed: "},
		{"EXITSITE_SIGN_PASSPHRASE unlocks it", "s3cret", "", nil, 0, "signed: "},
		{"exitbundle's variable unlocks it too", "", "s3cret", nil, 0, "signed: "},
		{"a wrong passphrase is named", "nope", "", nil, 2, "the passphrase from EXITSITE_SIGN_PASSPHRASE is wrong"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("EXITSITE_SIGN_PASSPHRASE", tt.siteEnv)
			t.Setenv("EXITBUNDLE_SIGN_PASSPHRASE", tt.bundleEnv)
			out := filepath.Join(dir, fmt.Sprintf("m%d.html", i))
			args := append([]string{"module", "--content", shippedContent, "--profile", shippedContent + "/profiles/bank.yaml", "--sign-key", key, "--out", out}, tt.args...)
			code, _, stderr := runExitsite(t, args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d and %q\n%s", code, tt.wantCode, tt.want, stderr)
			}
		})
	}
}
