package module

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/golden"

	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/internal/htmltest"
)

var contentDir = flag.String("content", "../../content", "the content folder the tests use")

func load(t testing.TB, profile string) (*clause.Library, *clause.Profile) {
	t.Helper()
	lib, err := clause.Load(*contentDir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := clause.LoadProfile(filepath.Join(*contentDir, "profiles", profile))
	if err != nil {
		t.Fatal(err)
	}
	return lib, p
}

func render(t testing.TB, profile, lang string) (*clause.Library, *clause.Profile, *Module) {
	t.Helper()
	lib, p := load(t, profile)
	m, err := Render(lib, p, Options{Lang: lang})
	if err != nil {
		t.Fatalf("Render %s %s: %v", profile, lang, err)
	}
	return lib, p, m
}

func TestModuleMarkersMatchTheRenderedClauses(t *testing.T) {
	for _, tt := range []struct{ profile, lang string }{
		{"bank.yaml", "en"}, {"bank.yaml", "nl"}, {"small-business.yaml", "en"}, {"small-business.yaml", "nl"},
	} {
		t.Run(tt.profile+"/"+tt.lang, func(t *testing.T) {
			lib, p, m := render(t, tt.profile, tt.lang)
			info, err := terms.Read(bytes.NewReader(m.HTML))
			if err != nil {
				t.Fatal(err)
			}
			if info.Fingerprint != m.Fingerprint || info.Lang != tt.lang {
				t.Errorf("markers say %s %s, want %s %s", info.Fingerprint, info.Lang, m.Fingerprint, tt.lang)
			}
			if len(info.Clauses) != len(m.Clauses) || len(m.Clauses) == 0 {
				t.Fatalf("markers list %d clauses, module has %d", len(info.Clauses), len(m.Clauses))
			}
			for i, c := range info.Clauses {
				cl := lib.Find(c.ID, c.Version, c.Lang)
				if cl == nil || c.Lang != tt.lang {
					t.Fatalf("marker %+v names no clause of the library", c)
				}
				r, err := cl.Render(lib, p)
				if err != nil {
					t.Fatal(err)
				}
				if c.Fingerprint != r.Fingerprint || c.Fingerprint != m.Clauses[i].Fingerprint {
					t.Errorf("%s: marker fingerprint %s, customer view %s", c.ID, c.Fingerprint, r.Fingerprint)
				}
			}
		})
	}
}

var canonicalPre = regexp.MustCompile(`(?s)<pre id="module-canonical">(.*?)</pre>`)

func TestModuleFingerprintIsTheSHA256OfThePrintedCanonicalText(t *testing.T) {
	_, _, m := render(t, "bank.yaml", "en")
	match := canonicalPre.FindSubmatch(m.HTML)
	if match == nil {
		t.Fatal("the module does not print its canonical text")
	}
	text := html.UnescapeString(string(match[1]))
	if text != m.Canonical {
		t.Fatalf("printed canonical text differs:\n%q\n%q", text, m.Canonical)
	}
	sum := sha256.Sum256([]byte(text))
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != m.Fingerprint {
		t.Errorf("sha256 of the printed text = %s, module says %s", got, m.Fingerprint)
	}
	for _, c := range m.Clauses {
		if !strings.Contains(text, "clause: "+c.ID+" "+c.Version+" "+c.Fingerprint+"\n") {
			t.Errorf("canonical text lacks %s", c.ID)
		}
	}
}

func TestSha256sumOfTheCanonicalTextGivesTheModuleFingerprint(t *testing.T) {
	tool := interop.Require(t, "sha256sum")[0]
	_, _, m := render(t, "small-business.yaml", "nl")
	text := html.UnescapeString(string(canonicalPre.FindSubmatch(m.HTML)[1]))
	file := filepath.Join(t.TempDir(), "module.txt")
	os.WriteFile(file, []byte(text), 0o644)
	out, err := exec.Command(tool, file).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := "sha256:" + strings.Fields(string(out))[0]; got != m.Fingerprint {
		t.Errorf("sha256sum says %s, the module %s", got, m.Fingerprint)
	}
}

func TestModuleIsSelfContained(t *testing.T) {
	_, _, m := render(t, "bank.yaml", "en")
	page := htmltest.Scan(m.HTML)
	for _, el := range page.Elements {
		switch el {
		case "script", "link", "img", "iframe":
			t.Errorf("the module has a <%s> element", el)
		}
	}
	for _, l := range page.Links {
		if !strings.HasPrefix(l, "#") {
			t.Errorf("link %q leaves the document", l)
		} else if !page.IDs[l[1:]] {
			t.Errorf("link %q has no target", l)
		}
	}
	if !bytes.Contains(m.HTML, []byte("<style>")) || !bytes.Contains(m.HTML, []byte("@media print")) {
		t.Error("the module lacks its inline print stylesheet")
	}
}

func TestModuleShowsPartiesValuesAndEffectiveDate(t *testing.T) {
	_, p, m := render(t, "bank.yaml", "en")
	page := string(m.HTML)
	for _, want := range []string{
		html.EscapeString(p.Provider.Name), html.EscapeString(p.Customer.Name),
		p.Effective.Format("2006-01-02"), "notice_period_days", "60 days",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the module lacks %q", want)
		}
	}
}

func TestModuleRefusesAProfileWithErrors(t *testing.T) {
	lib, p := load(t, "bank.yaml")
	p.Values["retrieval_period_days"] = 3 // below the Data Act's 30 days
	_, err := Render(lib, p, Options{Lang: "en"})
	var fe *clause.FindingsError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Render = %v, want a *clause.FindingsError", err)
	}
}

func TestModuleRefusesAClauseItCannotFind(t *testing.T) {
	lib, p := load(t, "bank.yaml")
	p.Clauses = []string{"EM-1", "XX-999"}
	if _, err := Render(lib, p, Options{Lang: "en"}); err == nil || !strings.Contains(err.Error(), "XX-999") {
		t.Fatalf("Render = %v, want an error naming XX-999", err)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	_, _, a := render(t, "bank.yaml", "nl")
	_, _, b := render(t, "bank.yaml", "nl")
	if !bytes.Equal(a.HTML, b.HTML) {
		t.Error("two renderings of the same module differ")
	}
}

// TestModuleMatchesGolden renders the fixture library's customer module
// in both languages: a diff of a golden file is a change in what
// customers receive.
func TestModuleMatchesGolden(t *testing.T) {
	lib, err := clause.Load("testdata/lib")
	if err != nil {
		t.Fatal(err)
	}
	p, err := clause.LoadProfile("testdata/lib/profiles/customer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "nl"} {
		m, err := Render(lib, p, Options{Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "customer-"+lang+".html", m.HTML)
	}
}

func TestReferencesToClausesOutsideTheModuleBecomePlainText(t *testing.T) {
	in := `see <a class="xref" href="#FX-1" data-clause="FX-1">clause 1 (Retrieval)</a> and <a class="xref" href="` + unselected + `" data-clause="FX-9">clause 9 (Other)</a>.`
	want := `see <a class="xref" href="#FX-1" data-clause="FX-1">clause 1 (Retrieval)</a> and <span class="xref" data-clause="FX-9">clause 9 (Other)</span>.`
	if got := plainUnselected(in); got != want {
		t.Errorf("plainUnselected =\n%s\nwant\n%s", got, want)
	}
}

func TestModuleListsNegotiatedValuesAndLeftOutClauses(t *testing.T) {
	lib, p := load(t, "bank.yaml")
	all := lib.Current("en")
	var left *clause.Clause
	for _, c := range all {
		if c.ID == "EM-9" { // verification: the one clause no owed obligation needs
			left = c
		}
	}
	p.Clauses, p.Pins = nil, nil // every clause at its version in force, but EM-9
	for _, c := range all {
		if c != left {
			p.Clauses = append(p.Clauses, c.ID)
		}
	}
	m, err := Render(lib, p, Options{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Omitted) != 1 || m.Omitted[0].ID != left.ID {
		t.Errorf("Omitted = %+v, want only %s", m.Omitted, left.ID)
	}
	var notice *Negotiated
	for i, n := range m.Negotiated {
		if n.Name == "notice_period_days" {
			notice = &m.Negotiated[i]
		}
		if n.Standard == n.Agreed {
			t.Errorf("%s is listed as negotiated with the standard value %s", n.Name, n.Agreed)
		}
	}
	if notice == nil || notice.Agreed != "59 days" || notice.Standard == "" {
		t.Fatalf("the bank's 59-day notice is not a negotiated term: %+v", m.Negotiated)
	}
	section := string(m.HTML[bytes.Index(m.HTML, []byte(`id="negotiated"`)):bytes.Index(m.HTML, []byte("<main>"))])
	for _, want := range []string{notice.Standard, "<strong>59 days</strong>", html.EscapeString(left.Title), left.ID + " v" + left.Version} {
		if !strings.Contains(section, want) {
			t.Errorf("the negotiated terms section lacks %q", want)
		}
	}
}

func TestModuleWithStandardValuesSaysSo(t *testing.T) {
	lib, p := load(t, "small-business.yaml")
	given := p.Values
	p.Values = map[string]any{} // the standard values, and those that have none
	for _, c := range lib.Current("en") {
		for _, prm := range c.Params {
			if prm.Default == nil {
				if v, ok := given[prm.Name]; ok {
					p.Values[prm.Name] = v
				}
			}
		}
	}
	m, err := Render(lib, p, Options{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Negotiated) != 0 || len(m.Omitted) != 0 || !bytes.Contains(m.HTML, []byte("Every value is the standard value.")) || !bytes.Contains(m.HTML, []byte("Every standard clause is included.")) {
		t.Errorf("a standard module lists negotiated %+v, omitted %+v", m.Negotiated, m.Omitted)
	}
}

func TestModuleCoverNamesTheAgreementTheSignerAndHasSignatureBlocks(t *testing.T) {
	lib, p := load(t, "small-business.yaml")
	p.Provider.SigningKey = ""
	signer := "SHA256:" + strings.Repeat("A", 43)
	m, err := Render(lib, p, Options{Lang: "en", Agreement: "the Cloud Agreement no. 7 of 1 March 2027", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	info, err := terms.Read(bytes.NewReader(m.HTML))
	if err != nil {
		t.Fatal(err)
	}
	if info.Signer != signer || info.BundleKey != signer {
		t.Errorf("markers: signer %q, bundle key %q; want %s for both (the profile names no signing_key)", info.Signer, info.BundleKey, signer)
	}
	if problems := info.Recompute(); len(problems) > 0 {
		t.Errorf("the module's fingerprints do not recompute: %v", problems)
	}
	page := string(m.HTML)
	for _, want := range []string{"schedule to the Cloud Agreement no. 7 of 1 March 2027.", `id="module-signer">` + signer, `id="signatures"`, "For <strong>" + html.EscapeString(p.Customer.Name)} {
		if !strings.Contains(page, want) {
			t.Errorf("the module lacks %q", want)
		}
	}
	m2, _ := Render(lib, p, Options{Lang: "en"})
	if !strings.Contains(string(m2.HTML), "schedule to the agreement between the parties dated ____") {
		t.Error("without --agreement the cover has no blanks for the agreement")
	}
}

func TestNegotiationCopyIsMarkedAndCarriesNoMachineText(t *testing.T) {
	_, _, m := render(t, "bank.yaml", "en")
	if !bytes.Contains(m.NegotiationHTML, []byte("Negotiation copy: the signed HTML/PDF prevails.")) || bytes.Contains(m.HTML, []byte("Negotiation copy")) {
		t.Error("only the negotiation copy must be marked as one")
	}
	if bytes.Contains(m.NegotiationHTML, []byte("canonical-text")) || !bytes.Contains(m.HTML, []byte(`<pre class="canonical-text" hidden>`)) {
		t.Error("the signed module carries the clauses' canonical texts, the negotiation copy does not")
	}
}
