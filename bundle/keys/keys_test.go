package keys

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/interop"
)

func TestGenerateSigningKeyWritesOpenSSHKeyThatLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sign")
	pub, err := GenerateSigningKey(path)
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
	signer, err := LoadSigner(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(signer.PublicKey()) != Fingerprint(pub) {
		t.Errorf("loaded key differs from generated key")
	}
	line, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	parsed, _, _, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(parsed) != Fingerprint(pub) {
		t.Errorf(".pub holds another key")
	}
	if !strings.HasPrefix(Fingerprint(pub), "SHA256:") {
		t.Errorf("fingerprint %q lacks SHA256: prefix", Fingerprint(pub))
	}
}

func TestGenerateRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"sign", "sign2.pub", "age"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := GenerateSigningKey(filepath.Join(dir, "sign")); !errors.Is(err, ErrExists) {
		t.Errorf("over private key: err = %v, want ErrExists", err)
	}
	if _, err := GenerateSigningKey(filepath.Join(dir, "sign2")); !errors.Is(err, ErrExists) {
		t.Errorf("over .pub: err = %v, want ErrExists", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sign2")); err == nil {
		t.Errorf("private key written although .pub existed")
	}
	if _, err := GenerateAgeIdentity(filepath.Join(dir, "age")); !errors.Is(err, ErrExists) {
		t.Errorf("over age identity: err = %v, want ErrExists", err)
	}
	for _, name := range []string{"sign", "sign2.pub", "age"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "keep" {
			t.Errorf("%s was changed", name)
		}
	}
}

func TestGenerateAgeIdentityIsX25519AndParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.txt")
	id, err := GenerateAgeIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("identity mode = %v, want 0600", st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := ids[0].(*age.X25519Identity)
	if !ok || x.Recipient().String() != id.Recipient().String() {
		t.Errorf("identity file does not hold the generated X25519 identity")
	}
}

func TestLoadSignerAsksForPassphraseOfEncryptedKey(t *testing.T) {
	keygen := interop.Require(t, "ssh-keygen")[0]
	path := filepath.Join(t.TempDir(), "enc")
	out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "s3cret pass", "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	tests := []struct {
		name    string
		pass    func() ([]byte, error)
		wantErr error
	}{
		{"no passphrase source", nil, ErrPassphrase},
		{"wrong passphrase", func() ([]byte, error) { return []byte("nope"), nil }, ErrPassphrase},
		{"right passphrase", func() ([]byte, error) { return []byte("s3cret pass"), nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSigner(path, tt.pass)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestFingerprintMatchesSSHKeygen(t *testing.T) {
	keygen := interop.Require(t, "ssh-keygen")[0]
	path := filepath.Join(t.TempDir(), "sign")
	pub, err := GenerateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(keygen, "-l", "-f", path+".pub").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -l: %v\n%s", err, out)
	}
	if fields := strings.Fields(string(out)); len(fields) < 2 || fields[1] != Fingerprint(pub) {
		t.Errorf("ssh-keygen -l says %q, Fingerprint says %q", out, Fingerprint(pub))
	}
}

func TestParseRecipient(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	pub, err := GenerateSigningKey(filepath.Join(dir, "k"))
	if err != nil {
		t.Fatal(err)
	}
	sshLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " someone@example"
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"age X25519", id.Recipient().String(), true},
		{"ssh-ed25519 with comment", sshLine, true},
		{"surrounding space", "  " + id.Recipient().String() + "\n", true},
		{"garbage", "hello", false},
		{"bad age checksum", id.Recipient().String()[:20] + "qqqqqqqqqq", false},
		{"private key", id.String(), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecipient(tt.in)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
				t.Errorf("error echoes a private key: %v", err)
			}
		})
	}
}

func TestReadRecipientsFileSkipsCommentsAndNamesLine(t *testing.T) {
	id1, _ := age.GenerateX25519Identity()
	id2, _ := age.GenerateX25519Identity()
	path := filepath.Join(t.TempDir(), "r.txt")
	content := "# customer\n" + id1.Recipient().String() + "\n\n" + id2.Recipient().String() + "\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, names, err := ReadRecipientsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || names[0] != id1.Recipient().String() || names[1] != id2.Recipient().String() {
		t.Errorf("got %d recipients, names %v", len(recs), names)
	}
	if err := os.WriteFile(path, []byte("# nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRecipientsFile(path); err == nil {
		t.Errorf("a file without recipients was accepted")
	}
}

func FuzzParseRecipient(f *testing.F) {
	f.Add("age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN x")
	f.Add("ssh-rsa AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		ParseRecipient(s)
	})
}

func TestParseSignerAcceptsFingerprintLineAndFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sign")
	pub, err := GenerateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxKeyFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in, wantFP, wantErr string
		wantKey                   bool
	}{
		{"empty", "  ", "", "", false},
		{"fingerprint", "SHA256:abc", "SHA256:abc", "", false},
		{"authorized_keys line", line, "", "", true},
		{"public key file", path + ".pub", "", "", true},
		{"missing file", filepath.Join(dir, "nope.pub"), "", "give a public key file", false},
		{"file too large", big, "", "not a key file", false},
		{"not a key", path, "", "not an OpenSSH public key", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fp, err := ParseSigner(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fp != tc.wantFP {
				t.Errorf("fingerprint = %q, want %q", fp, tc.wantFP)
			}
			if (got != nil) != tc.wantKey || (got != nil && Fingerprint(got) != Fingerprint(pub)) {
				t.Errorf("key = %v, want the generated key: %v", got, tc.wantKey)
			}
		})
	}
}

func TestReadPassphraseFileTakesTheFirstLine(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want, wantErr string
	}{
		{"one line", "correct horse\n", "correct horse", ""},
		{"crlf", "battery staple\r\nsecond", "battery staple", ""},
		{"no newline", "pass", "pass", ""},
		{"empty first line", "\nlater", "", "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadPassphraseFile(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
