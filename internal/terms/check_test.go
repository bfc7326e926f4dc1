package terms_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/module"
)

// The modules here are rendered at test time from site/module's fixture
// library: one customer, two clauses.
const (
	fixtureLib      = "../../site/module/testdata/lib"
	fixtureCustomer = "Example Customer B.V."
	fixtureProvider = "Fixture Cloud B.V."
)

func newSigner(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// render renders the fixture module, naming signer (when not nil) as its
// signer and as the bundle signing key.
func render(t testing.TB, signer ssh.Signer, edit func(*clause.Profile)) []byte {
	t.Helper()
	lib, err := clause.Load(fixtureLib)
	if err != nil {
		t.Fatal(err)
	}
	p, err := clause.LoadProfile(filepath.Join(fixtureLib, "profiles", "customer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p.Provider.SigningKey = ""
	if edit != nil {
		edit(p)
	}
	var opt module.Options
	if signer != nil {
		opt.Signer = ssh.FingerprintSHA256(signer.PublicKey())
	}
	m, err := module.Render(lib, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return m.HTML
}

// write puts a module and, when sig is not nil, its signature in a folder.
func write(t testing.TB, data, sig []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "TERMS.html")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if sig != nil {
		if err := os.WriteFile(path+".sig", sig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func sign(t testing.TB, s ssh.Signer, data []byte) []byte {
	t.Helper()
	sig, err := terms.Sign(s, data)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestCheckAcceptsTheBundlesOwnSignedModuleAndFillsTheParties(t *testing.T) {
	key := newSigner(t)
	data := render(t, key, nil)
	path := write(t, data, sign(t, key, data))
	c, err := terms.Check(path, terms.Want{Signer: key.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Signed || c.Customer != fixtureCustomer || c.Provider != fixtureProvider || !bytes.Equal(c.Data, data) {
		t.Errorf("Check = signed %v, customer %q, provider %q; want signed, %q, %q and the file's bytes", c.Signed, c.Customer, c.Provider, fixtureCustomer, fixtureProvider)
	}
	if c.Signer != ssh.FingerprintSHA256(key.PublicKey()) || len(c.Clauses) != 2 {
		t.Errorf("Check = signer %s, %d clauses", c.Signer, len(c.Clauses))
	}
	// The same parties, given, and an unsigned module are fine too.
	if _, err := terms.Check(path, terms.Want{Signer: key.PublicKey(), Customer: " Example  Customer B.V.", Provider: fixtureProvider}); err != nil {
		t.Errorf("Check with the module's own parties: %v", err)
	}
	unsigned := write(t, render(t, nil, nil), nil)
	if c, err := terms.Check(unsigned, terms.Want{Signer: key.PublicKey()}); err != nil || c.Signed {
		t.Errorf("Check of an unsigned module = %v, signed %v", err, c != nil && c.Signed)
	}
}

func TestCheckRefusesWhatDoesNotGovernThisBundle(t *testing.T) {
	key, other := newSigner(t), newSigner(t)
	data := render(t, key, nil)
	sig := sign(t, key, data)
	for _, tt := range []struct {
		name      string
		data, sig []byte
		want      terms.Want
		says      string
	}{
		{"a module of another customer", data, sig, terms.Want{Signer: key.PublicKey(), Customer: "ACME AG"}, `for customer "Example Customer B.V.", not "ACME AG"`},
		{"a module of another provider", data, sig, terms.Want{Signer: key.PublicKey(), Provider: "Other Cloud"}, `provider is "Fixture Cloud B.V.", not "Other Cloud"`},
		{"a module signed by another key", render(t, other, nil), sign(t, other, render(t, other, nil)), terms.Want{Signer: key.PublicKey()}, "not with " + ssh.FingerprintSHA256(key.PublicKey())},
		{"a module naming our key but signed by another", data, sign(t, other, data), terms.Want{Signer: key.PublicKey()}, "made with key " + ssh.FingerprintSHA256(other.PublicKey())},
		{"a module changed after signing", bytes.Replace(data, []byte("90 days"), []byte("10 days"), 1), sig, terms.Want{Signer: key.PublicKey()}, "changed after it was signed"},
		{"a signed module without its signature", data, nil, terms.Want{Signer: key.PublicKey()}, "no signature file beside it"},
		{"a corrupt signature", data, []byte("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"), terms.Want{Signer: key.PublicKey()}, "corrupt"},
		{"a bundle signature passed off as a module's", data, bundleSig(t, key, data), terms.Want{Signer: key.PublicKey()}, `made for "exitbundle"`},
		{"a module naming another bundle signing key", render(t, nil, func(p *clause.Profile) { p.Provider.SigningKey = ssh.FingerprintSHA256(other.PublicKey()) }), nil, terms.Want{Signer: key.PublicKey()}, "take the bundle for a forgery"},
		{"a clause text edited without re-issuing", bytes.Replace(render(t, nil, nil), []byte("retrieve its data for 90 days"), []byte("retrieve its data for 10 days"), 2), nil, terms.Want{Signer: key.PublicKey()}, "clause FX-1 1.0.0: fingerprint"},
		{"a canonical text edited without re-issuing", bytes.Replace(render(t, nil, nil), []byte("customer: Example Customer B.V."), []byte("customer: ACME AG"), 1), nil, terms.Want{}, "canonical text hashes to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := terms.Check(write(t, tt.data, tt.sig), tt.want)
			var ce *terms.CheckError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Check = %v\nwant a *CheckError saying %q", err, tt.says)
			}
		})
	}
}

func bundleSig(t testing.TB, s ssh.Signer, data []byte) []byte {
	sig, err := sshsig.Sign(bytes.NewReader(data), s, sshsig.HashSHA512, "exitbundle")
	if err != nil {
		t.Fatal(err)
	}
	return sshsig.Armor(sig)
}

func TestCheckRefusesWhatIsNotAModule(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	os.WriteFile(page, []byte("<html><body>public site</body></html>"), 0o644)
	if _, err := terms.Check(page, terms.Want{}); !errors.Is(err, terms.ErrNotModule) {
		t.Errorf("Check of a plain page = %v, want ErrNotModule", err)
	}
	link := filepath.Join(dir, "link.html")
	os.Symlink(write(t, render(t, nil, nil), nil), link)
	if _, err := terms.Check(link, terms.Want{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Check through a symlink = %v", err)
	}
	if _, err := terms.Check(filepath.Join(dir, "missing.html"), terms.Want{}); err == nil || !strings.Contains(err.Error(), "missing.html") {
		t.Errorf("Check of a missing file = %v", err)
	}
}

// TestSignedModuleVerifiesWithSSHKeygen runs the stock check the help and
// README print.
func TestSignedModuleVerifiesWithSSHKeygen(t *testing.T) {
	sshKeygen := interop.Require(t, "ssh-keygen")[0]
	key := newSigner(t)
	data := render(t, key, nil)
	path := write(t, data, sign(t, key, data))
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(allowed, []byte("provider "+string(ssh.MarshalAuthorizedKey(key.PublicKey()))), 0o644)
	verify := func(file string) ([]byte, error) {
		cmd := exec.Command(sshKeygen, "-Y", "verify", "-f", allowed, "-I", "provider", "-n", terms.SignatureNamespace, "-s", path+".sig")
		f, _ := os.Open(file)
		defer f.Close()
		cmd.Stdin = f
		return cmd.CombinedOutput()
	}
	if out, err := verify(path); err != nil {
		t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
	tampered := write(t, bytes.Replace(data, []byte("90 days"), []byte("10 days"), 1), nil)
	if out, err := verify(tampered); err == nil {
		t.Errorf("ssh-keygen accepted a changed module:\n%s", out)
	}

	// And the other way: a signature ssh-keygen makes verifies here.
	keyFile := filepath.Join(t.TempDir(), "key")
	if out, err := exec.Command(sshKeygen, "-q", "-t", "ed25519", "-N", "", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -t ed25519: %v\n%s", err, out)
	}
	fresh := write(t, data, nil)
	if out, err := exec.Command(sshKeygen, "-Y", "sign", "-f", keyFile, "-n", terms.SignatureNamespace, fresh).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	pubData, _ := os.ReadFile(keyFile + ".pub")
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := os.ReadFile(fresh + ".sig")
	if err := terms.VerifySignature(data, sig, pub); err != nil {
		t.Errorf("a signature by ssh-keygen -Y sign does not verify: %v", err)
	}
}

func TestVerifyFileChecksAnySignedDocument(t *testing.T) {
	key, other := newSigner(t), newSigner(t)
	fp := ssh.FingerprintSHA256(key.PublicKey())
	html := render(t, key, nil)
	pdf := []byte("%PDF-1.4 not really, but any bytes can be signed")
	htmlPath, pdfPath := write(t, html, sign(t, key, html)), write(t, pdf, sign(t, key, pdf))

	if v, err := terms.VerifyFile(htmlPath, nil, ""); err != nil || v.Signer != fp || v.SignerFrom != "module" || v.Module == nil {
		t.Errorf("VerifyFile(html, no signer) = %+v, %v", v, err)
	}
	if v, err := terms.VerifyFile(pdfPath, key.PublicKey(), ""); err != nil || v.Signer != fp || v.Module != nil {
		t.Errorf("VerifyFile(pdf, key) = %+v, %v", v, err)
	}
	if _, err := terms.VerifyFile(pdfPath, nil, fp); err != nil {
		t.Errorf("VerifyFile(pdf, fingerprint) = %v", err)
	}
	if _, err := terms.VerifyFile(pdfPath, nil, ""); err == nil || !strings.Contains(err.Error(), "--signer") {
		t.Errorf("VerifyFile(pdf, no signer) = %v, want a request for --signer", err)
	}
	for name, err := range map[string]error{
		"another key": func() error { _, err := terms.VerifyFile(pdfPath, other.PublicKey(), ""); return err }(),
		"another fingerprint": func() error {
			_, err := terms.VerifyFile(pdfPath, nil, ssh.FingerprintSHA256(other.PublicKey()))
			return err
		}(),
		"no signature": func() error { _, err := terms.VerifyFile(write(t, pdf, nil), key.PublicKey(), ""); return err }(),
	} {
		if !errors.Is(err, terms.ErrBadSignature) {
			t.Errorf("%s: VerifyFile = %v, want ErrBadSignature", name, err)
		}
	}
}

func FuzzCheckBytes(f *testing.F) {
	f.Add(render(f, nil, nil), []byte(nil))
	f.Add([]byte(`<meta name="exitkit:module-fingerprint" content="sha256:`+strings.Repeat("0", 64)+`"><section data-clause-id="A" data-clause-version="1" data-fingerprint="sha256:`+strings.Repeat("1", 64)+`"><pre class="canonical-text" hidden>x</pre></section><pre id="module-canonical">exitkit-module/1
clause: A 1 sha256:`+strings.Repeat("1", 64)+"\n</pre>"), []byte("-----BEGIN SSH SIGNATURE-----\n"))
	key := newSigner(f)
	f.Fuzz(func(t *testing.T, data, sig []byte) {
		c, err := terms.CheckBytes(data, sig, terms.Want{Signer: key.PublicKey()})
		if err == nil && len(sig) > 0 {
			t.Fatalf("a signature not made by the key passed: %+v", c)
		}
	})
}
