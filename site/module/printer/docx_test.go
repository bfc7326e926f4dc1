package printer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/site/module"
)

// readBack converts a DOCX to HTML with pandoc, as a reviewer's tool would.
func readBack(t testing.TB, docx []byte) string {
	t.Helper()
	pandoc := interop.Require(t, "pandoc")[0]
	f := filepath.Join(t.TempDir(), "module.docx")
	if err := os.WriteFile(f, docx, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pandoc, "--from=docx", "--to=html", f).Output()
	if err != nil {
		t.Fatalf("pandoc cannot read the DOCX back: %v", err)
	}
	return string(out)
}

var headingRE = regexp.MustCompile(`(?s)<h([1-6])[^>]*>(.*?)</h[1-6]>`)

func TestDOCXReadsBackWithEveryClauseAsAWordHeading(t *testing.T) {
	interop.Require(t, "pandoc")
	m := shipped(t)
	docx, err := DOCX(context.Background(), m, DOCXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back := readBack(t, docx)
	headings := map[string]bool{}
	for _, h := range headingRE.FindAllStringSubmatch(back, -1) {
		text := html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(h[2], ""))
		headings[strings.Join(strings.Fields(text), " ")] = true
	}
	for _, c := range m.Clauses {
		want := strings.Join(strings.Fields(strconv.Itoa(c.Order)+". "+c.Title), " ")
		if !headings[want] {
			t.Errorf("no Word heading %q; headings: %v", want, headings)
		}
	}
	text := html.UnescapeString(back)
	for _, want := range []string{"Negotiation copy: the signed HTML/PDF prevails.", m.Customer, m.Fingerprint} {
		if !strings.Contains(text, want) {
			t.Errorf("the DOCX lacks %q", want)
		}
	}
	if strings.Contains(text, "# "+m.Clauses[0].ID+" ") {
		t.Error("the DOCX shows the machine-readable canonical text of a clause")
	}
}

func TestDOCXIsByteIdenticalOnRebuild(t *testing.T) {
	interop.Require(t, "pandoc")
	m := fixture(t)
	a, err := DOCX(context.Background(), m, DOCXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := DOCX(context.Background(), m, DOCXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two conversions of the same module differ")
	}
}

func TestDOCXWithoutPandocSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := DOCX(context.Background(), fixture(t), DOCXOptions{})
	if !errors.Is(err, ErrNoTool) || !strings.Contains(err.Error(), "Debian package pandoc") {
		t.Errorf("DOCX without pandoc = %v", err)
	}
}

func TestOutputNames(t *testing.T) {
	for _, tt := range []struct {
		out     string
		formats []string
		want    string
	}{
		{"bank.html", []string{"html"}, "bank.html"},
		{"bank", []string{"pdf"}, "bank"},
		{"bank", []string{"html", "pdf"}, "bank.html bank.pdf"},
		{"out/bank.pdf", []string{"html", "pdf", "docx"}, "out/bank.html out/bank.pdf out/bank.docx"},
		{"bank.v2", []string{"html", "docx"}, "bank.v2.html bank.v2.docx"},
	} {
		if got := strings.Join(OutputNames(tt.out, tt.formats), " "); got != tt.want {
			t.Errorf("OutputNames(%q, %v) = %q, want %q", tt.out, tt.formats, got, tt.want)
		}
	}
	for _, bad := range [][]string{{"odt"}, {"pdf,rtf"}} {
		if _, err := NormalizeFormats(bad); err == nil {
			t.Errorf("NormalizeFormats(%v) accepted", bad)
		}
	}
	if got, _ := NormalizeFormats([]string{"pdf,html", "pdf"}); strings.Join(got, " ") != "pdf html" {
		t.Errorf("NormalizeFormats = %v", got)
	}
}

func testSigner(t testing.TB) ssh.Signer {
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

func TestIssueWritesEveryFormatWithASignatureBesideIt(t *testing.T) {
	interop.Require(t, "chromium", "pandoc")
	signer := testSigner(t)
	m := renderModule(t, "../testdata/lib", "../testdata/lib/profiles/customer.yaml", module.Options{Signer: ssh.FingerprintSHA256(signer.PublicKey())})
	out := filepath.Join(t.TempDir(), "customer")
	docs, err := Issue(context.Background(), m, IssueOptions{Formats: []string{"html", "pdf", "docx"}, Out: out, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("Issue made %d documents", len(docs))
	}
	for _, ext := range []string{".html", ".pdf", ".docx"} {
		data, err := os.ReadFile(out + ext)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := os.ReadFile(out + ext + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		if err := terms.VerifySignature(data, sig, signer.PublicKey()); err != nil {
			t.Errorf("%s: %v", ext, err)
		}
		parsed, _ := sshsig.Unarmor(sig)
		if parsed.Namespace != "exitkit-module" {
			t.Errorf("%s.sig is in namespace %q", ext, parsed.Namespace)
		}
	}
}

func TestIssueWritesNothingWhenAnOutputExists(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "customer")
	os.WriteFile(out+".pdf", []byte("the signed PDF of last year"), 0o644)
	_, err := Issue(context.Background(), fixture(t), IssueOptions{Formats: []string{"html", "pdf"}, Out: out})
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Issue = %v, want a refusal naming --force", err)
	}
	if _, err := os.Stat(out + ".html"); err == nil {
		t.Error("Issue wrote the HTML although the PDF exists")
	}
	if data, _ := os.ReadFile(out + ".pdf"); string(data) != "the signed PDF of last year" {
		t.Error("the existing PDF was touched")
	}
}

func TestIssueNeverWritesThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	os.WriteFile(victim, []byte("keep"), 0o644)
	out := filepath.Join(dir, "customer.html")
	os.Symlink(victim, out)
	for _, force := range []bool{false, true} {
		if _, err := Issue(context.Background(), fixture(t), IssueOptions{Out: out, Force: force}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("force %v: Issue = %v, want a refusal of the link", force, err)
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Error("the link's target was overwritten")
	}
}
