package site

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/site/clause"
)

// The signing-keys page publishes each key's full public key line beside
// its fingerprint, so that a trustee's stock-tool check can build
// allowed_signers from the published key; a line whose fingerprint is
// not the one published beside it is an error, not a page.
func TestTheSigningKeysPagePublishesTheKeyLineOfItsFingerprint(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sk))) + " exit-signing-2026"
	fp := ssh.FingerprintSHA256(sk)
	other := "SHA256:" + strings.Repeat("A", 43)

	for _, tc := range []struct {
		name, fingerprint, key string
		ok                     bool
	}{
		{"a key line with its fingerprint is published", fp, line, true},
		{"a key line of another fingerprint is refused", other, line, false},
		{"two key lines are refused", fp, line + `\n` + line, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "content")
			if err := os.CopyFS(dir, os.DirFS("module/testdata/lib")); err != nil {
				t.Fatal(err)
			}
			siteYAML, err := os.ReadFile(filepath.Join(dir, "site.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			keys := "signing_keys:\n  - fingerprint: \"" + tc.fingerprint + "\"\n    comment: \"exit bundle signing key 2026\"\n    valid_from: 2026-01-01\n    public_key: \"" + tc.key + "\"\n"
			edited := strings.Replace(string(siteYAML), "signing_keys: []\n", keys, 1)
			if edited == string(siteYAML) {
				t.Fatal("module/testdata/lib/site.yaml has no 'signing_keys: []' line")
			}
			os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(edited), 0o644)
			lib, err := clause.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			for _, f := range lib.Findings {
				if f.Severity == clause.SeverityError {
					errs = append(errs, f.Message)
				}
			}
			if !tc.ok {
				if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "public_key") {
					t.Fatalf("accepted; findings %q", errs)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors: %q", errs)
			}
			res, err := BuildLibrary(context.Background(), lib, Options{})
			if err != nil {
				t.Fatal(err)
			}
			page := html.UnescapeString(string(res.Files["signing-keys/index.html"]))
			if !strings.Contains(page, fp) || !strings.Contains(page, `<code class="pubkey">`+line+`</code>`) {
				t.Errorf("the page does not show the key line beside its fingerprint:\n%s", page)
			}
		})
	}
}
