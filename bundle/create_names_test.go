package bundle

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var safeName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"web-01.vmdk", "web-01.vmdk"},
		{"web server disk 1.vmdk", "web_server_disk_1.vmdk"},
		{"../../etc/passwd", "x.._.._etc_passwd"},
		{"..", "x.."},
		{"", "x"},
		{".hidden", "x.hidden"},
		{"-rf", "x-rf"},
		{"Größe.vmdk", "Gr__e.vmdk"},
		{"a/b\\c:d", "a_b_c_d"},
		{"line\nbreak%20", "line_break_20"},
	}
	for _, tt := range tests {
		if got := SanitizeName(tt.in); got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSanitizeNameKeepsLongNamesDistinct(t *testing.T) {
	a := SanitizeName(strings.Repeat("a", 300) + "1")
	b := SanitizeName(strings.Repeat("a", 300) + "2")
	if a == b || len(a) > maxNameLen || len(b) > maxNameLen {
		t.Errorf("long names: %q (%d), %q (%d)", a, len(a), b, len(b))
	}
}

func TestUniqueNameAvoidsCaseInsensitiveClashes(t *testing.T) {
	taken := map[string]bool{}
	got := []string{uniqueName("Disk.vmdk", taken), uniqueName("disk.vmdk", taken), uniqueName("disk.vmdk", taken)}
	want := []string{"Disk.vmdk", "disk-2.vmdk", "disk-3.vmdk"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("uniqueName #%d = %q, want %q", i, got[i], want[i])
		}
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"web.vmdk", "../x", "", ".", "\x00", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeName(s)
		if !safeName.MatchString(got) || got == "." || got == ".." || len(got) > maxNameLen {
			t.Fatalf("SanitizeName(%q) = %q: not a safe name", s, got)
		}
		if SanitizeName(s) != got {
			t.Fatalf("not deterministic")
		}
	})
}

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
	want := []ClauseRef{{"EM-1", "2.0.0", "en", "sha256:" + strings.Repeat("a", 64)}, {"EM-4", "1.1.0", "en", "sha256:" + strings.Repeat("b", 64)}}
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
	m, err := Create(t.Context(), opts)
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
