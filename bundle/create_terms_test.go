package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func TestCreateEmbedsTerms(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	termsPath := filepath.Join(t.TempDir(), "terms.html")
	os.WriteFile(termsPath, []byte(sampleTerms), 0o644)
	out := filepath.Join(t.TempDir(), "b")
	opts := crOptions(t, fx, out)
	opts.Terms = termsPath
	m, err := testCreate(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Terms == nil || len(m.Terms.Clauses) != 2 {
		t.Fatalf("manifest terms = %+v", m.Terms)
	}
	data, _ := os.ReadFile(filepath.Join(out, TermsFile))
	if string(data) != sampleTerms {
		t.Errorf("TERMS.html differs from the module")
	}
	tagman, _ := os.ReadFile(filepath.Join(out, TagManifestFile))
	if !strings.Contains(string(tagman), "  "+TermsFile+"\n") {
		t.Errorf("tag manifest does not list %s:\n%s", TermsFile, tagman)
	}
	checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
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
