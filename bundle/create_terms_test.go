package bundle

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/module"
	"github.com/exitkit/exitkit/templates"
)

const sampleTerms = `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<meta name="exitkit:module-fingerprint" content="sha256:1111111111111111111111111111111111111111111111111111111111111111">
<title>Exit terms for ACME AG</title></head>
<body>
<section class="clause" data-clause-id="EM-1" data-clause-version="2.0.0" data-clause-lang="en" data-fingerprint="sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<h2>Retrieval period</h2><p>30 days.</p></section>
<section data-clause-id="EM-4" data-clause-version="1.1.0" data-clause-lang="en" data-fingerprint="sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"><p>Export format.</p></section>
<section class="other"><p>not a clause</p></section>
</body></html>
`

func TestParseTermsReadsModuleFingerprintAndClauses(t *testing.T) {
	got, err := parseTerms([]byte(sampleTerms))
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint != "sha256:1111111111111111111111111111111111111111111111111111111111111111" || got.File != TermsFile || len(got.SHA256) != 64 {
		t.Errorf("terms = %+v", got)
	}
	want := []ClauseRef{{ID: "EM-1", Version: "2.0.0", Lang: "en", Fingerprint: "sha256:" + strings.Repeat("a", 64)}, {ID: "EM-4", Version: "1.1.0", Lang: "en", Fingerprint: "sha256:" + strings.Repeat("b", 64)}}
	if len(got.Clauses) != len(want) {
		t.Fatalf("clauses = %+v", got.Clauses)
	}
	for i := range want {
		if got.Clauses[i] != want[i] {
			t.Errorf("clause %d = %+v, want %+v", i, got.Clauses[i], want[i])
		}
	}
}

// Modules for the terms tests are rendered at test time from site/module's
// fixture library: one customer, two clauses.
const (
	termsLib      = "../site/module/testdata/lib"
	termsCustomer = "Example Customer B.V."
	termsProvider = "Fixture Cloud B.V."
)

// renderTerms renders the fixture module naming key as its signer and as
// the key that signs exit bundles, and writes it to a new folder, signed
// by signWith (nil: unsigned). It returns the module's path.
func renderTerms(t *testing.T, key ssh.Signer, signWith ssh.Signer) string {
	t.Helper()
	lib, err := clause.Load(termsLib)
	if err != nil {
		t.Fatal(err)
	}
	p, err := clause.LoadProfile(filepath.Join(termsLib, "profiles", "customer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p.Provider.SigningKey = ""
	m, err := module.Render(lib, p, module.Options{Signer: ssh.FingerprintSHA256(key.PublicKey())})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "exit-terms.html")
	vtWrite(t, path, m.HTML)
	if signWith != nil {
		sig, err := terms.Sign(signWith, m.HTML)
		if err != nil {
			t.Fatal(err)
		}
		vtWrite(t, path+terms.SignatureSuffix, sig)
	}
	return path
}

func TestCreateChecksTheTermsAndEmbedsTheCheckedBytes(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	out := filepath.Join(t.TempDir(), "b")
	opts := crOptions(t, fx, out)
	opts.Info.Customer, opts.Info.Provider = "", "" // filled from the module
	opts.Terms = renderTerms(t, opts.Signer, opts.Signer)
	m, err := testCreate(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Terms == nil || len(m.Terms.Clauses) != 2 || m.Customer != termsCustomer || m.Provider != termsProvider {
		t.Fatalf("manifest: terms %+v, customer %q, provider %q; want two clauses, %q, %q", m.Terms, m.Customer, m.Provider, termsCustomer, termsProvider)
	}
	want, _ := os.ReadFile(opts.Terms)
	data, _ := os.ReadFile(filepath.Join(out, TermsFile))
	if !bytes.Equal(data, want) {
		t.Errorf("TERMS.html differs from the module")
	}
	if mod, err := terms.Read(bytes.NewReader(data)); err != nil || mod.BundleKey != ssh.FingerprintSHA256(opts.Signer.PublicKey()) {
		t.Errorf("TERMS.html does not name the key that signed the bundle (%v)", err)
	}
	tagman, _ := os.ReadFile(filepath.Join(out, TagManifestFile))
	if !strings.Contains(string(tagman), "  "+TermsFile+"\n") {
		t.Errorf("tag manifest does not list %s:\n%s", TermsFile, tagman)
	}
	checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
}

func TestCreateRefusesTermsThatDoNotFitBeforeExportingAnything(t *testing.T) {
	signer := testSigner(t)
	other := testSigner(t)
	notModule := filepath.Join(t.TempDir(), "terms.html")
	vtWrite(t, notModule, []byte("<!doctype html><title>Terms</title><p>30 days.</p>\n"))
	tampered := renderTerms(t, signer, nil)
	data, _ := os.ReadFile(tampered)
	i := bytes.Index(data, []byte(`id="module-canonical"`))
	j := bytes.Index(data[max(i, 0):], []byte("30"))
	if i < 0 || j < 0 {
		t.Fatalf("no canonical text with a 30 in the module:\n%s", data)
	}
	data[i+j] = '9' // 30 days become 90 in the text the fingerprint covers
	vtWrite(t, tampered, data)
	for _, tc := range []struct {
		name     string
		terms    string
		customer string
		want     error
		says     string
	}{
		{"a module of another customer", renderTerms(t, signer, signer), "ACME AG", terms.ErrMismatch, `is for customer "Example Customer B.V.", not "ACME AG"`},
		{"a module signed by another key", renderTerms(t, signer, other), "", terms.ErrMismatch, "not with " + ssh.FingerprintSHA256(signer.PublicKey())},
		{"a module naming another bundle key", renderTerms(t, other, other), "", terms.ErrMismatch, "this bundle is signed with " + ssh.FingerprintSHA256(signer.PublicKey())},
		{"a module whose text was changed", tampered, "", terms.ErrMismatch, "the text was changed after the module was issued"},
		{"a page that is no module", notModule, "", terms.ErrNotModule, "not an exitsite contract module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, t.TempDir(), 1<<20)
			out := filepath.Join(t.TempDir(), "b")
			opts := crOptions(t, fx, out)
			opts.Signer = signer
			opts.Info.Customer, opts.Info.Provider = tc.customer, ""
			opts.Terms = tc.terms
			_, err := testCreate(t.Context(), opts)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("create: %v\nwant an error wrapping %q that says %q", err, tc.want, tc.says)
			}
			if code := cli.Code(err); code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d", code, cli.ExitUsage)
			}
			for _, vm := range fx.source.vms {
				for _, f := range vm.files {
					if n := f.opens.Load(); n != 0 {
						t.Errorf("%s was opened %d times before the terms were refused", f.href, n)
					}
				}
			}
			if _, err := os.Lstat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the output %s was made before the terms were refused (%v)", out, err)
			}
		})
	}
}

func TestCreateBrandsTheIndexWithTheGivenTemplates(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bundle"), 0o755)
	os.WriteFile(filepath.Join(dir, "bundle", "index.css"), []byte("body { color: #123456 } /* brand-acme */\n"), 0o644)
	tmpl, err := templates.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b")
	opts := crOptions(t, fx, out)
	opts.Templates = tmpl
	if _, err := testCreate(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(out, IndexFile))
	if !strings.Contains(string(page), "brand-acme") {
		t.Errorf("index.html does not use the given templates:\n%.400s", page)
	}
	checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
}
