package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/module"
)

// fixture renders the small fixture library's customer module; shipped
// renders the shipped bank module, which prints to some thirty pages.
func fixture(t testing.TB) *module.Module {
	return renderModule(t, "../testdata/lib", "../testdata/lib/profiles/customer.yaml", module.Options{})
}

func shipped(t testing.TB) *module.Module {
	return renderModule(t, "../../../content", "../../../content/profiles/bank.yaml", module.Options{Agreement: "the Cloud Services Agreement no. 2027-014 of 15 January 2027"})
}

func renderModule(t testing.TB, lib, profile string, opt module.Options) *module.Module {
	t.Helper()
	l, err := clause.Load(lib)
	if err != nil {
		t.Fatal(err)
	}
	p, err := clause.LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	m, err := module.Render(l, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func printPDF(t testing.TB, m *module.Module) []byte {
	t.Helper()
	interop.Require(t, "chromium")
	pdf, err := PDF(context.Background(), m, PDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// printed keeps one print of each module for the tests that only read it:
// a print starts a browser, which a 2-core CI pays for.
var printed sync.Map

func cachedPDF(t testing.TB, name string, m func(testing.TB) *module.Module) (*module.Module, []byte) {
	t.Helper()
	type entry struct {
		m   *module.Module
		pdf []byte
	}
	if e, ok := printed.Load(name); ok {
		return e.(entry).m, e.(entry).pdf
	}
	mod := m(t)
	pdf := printPDF(t, mod)
	printed.Store(name, entry{mod, pdf})
	return mod, pdf
}

// tool runs a poppler tool on the PDF and returns its output.
func tool(t testing.TB, pdf []byte, name string, args ...string) string {
	t.Helper()
	path := interop.Require(t, name)[0]
	f := filepath.Join(t.TempDir(), "module.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, append(args, f, "-")...).Output()
	if name == "pdfinfo" || name == "pdffonts" {
		out, err = exec.Command(path, append(args, f)...).Output()
	}
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

func pageCount(t testing.TB, pdf []byte) int {
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(tool(t, pdf, "pdfinfo"))
	if m == nil {
		t.Fatal("pdfinfo reports no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func pageText(t testing.TB, pdf []byte, page int) string {
	return tool(t, pdf, "pdftotext", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), "-layout")
}

func TestPDFOpensWithPdfinfoAndHoldsTheCustomerAndEveryClause(t *testing.T) {
	start := time.Now()
	m, pdf := cachedPDF(t, "shipped", shipped)
	t.Logf("printed %d clauses to %d bytes in %v", len(m.Clauses), len(pdf), time.Since(start).Round(time.Millisecond))
	info := tool(t, pdf, "pdfinfo")
	if !strings.Contains(info, "(A4)") || !strings.Contains(info, "Tagged:          yes") {
		t.Errorf("pdfinfo does not report tagged A4 pages:\n%s", info)
	}
	if n := pageCount(t, pdf); n < 15 || n > 80 {
		t.Errorf("the bank module prints to %d pages, want 15 to 80", n)
	}
	text := tool(t, pdf, "pdftotext")
	for _, want := range []string{m.Customer, m.Provider, m.Fingerprint, "Cloud Services Agreement no. 2027-014"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext finds no %q", want)
		}
	}
	for _, c := range m.Clauses {
		if !strings.Contains(text, c.ID+" ·") {
			t.Errorf("pdftotext finds no clause %s", c.ID)
		}
	}
}

func TestPDFContentsGiveThePageOfEveryClause(t *testing.T) {
	m, pdf := cachedPDF(t, "shipped", shipped)
	contents := pageText(t, pdf, 2)
	for _, c := range m.Clauses {
		row := regexp.MustCompile(regexp.QuoteMeta(c.ID+" v"+c.Version) + `[ .]*(\d+)\s*$`)
		var page int
		for line := range strings.SplitSeq(contents, "\n") {
			if mm := row.FindStringSubmatch(strings.TrimSpace(line)); mm != nil {
				page, _ = strconv.Atoi(mm[1])
			}
		}
		if page == 0 {
			t.Errorf("the contents give no page for %s:\n%s", c.ID, contents)
			continue
		}
		if text := pageText(t, pdf, page); !strings.Contains(text, c.ID+" · ") {
			t.Errorf("the contents put %s on page %d, which does not hold it:\n%s", c.ID, page, text)
		}
	}
}

func TestPDFIsByteIdenticalOnRebuildAndDatedByTheModule(t *testing.T) {
	m, a := cachedPDF(t, "fixture", fixture)
	b := printPDF(t, m)
	if !bytes.Equal(a, b) {
		t.Fatal("two prints of the same module differ")
	}
	info := tool(t, a, "pdfinfo", "-isodates")
	want := m.Effective.Format("2006-01-02")
	for _, key := range []string{"CreationDate:", "ModDate:"} {
		if !regexp.MustCompile(key + `\s+` + want).MatchString(info) {
			t.Errorf("pdfinfo: %s is not the effective date %s:\n%s", key, want, info)
		}
	}
}

func TestPDFEmbedsOnlyDejaVuFonts(t *testing.T) {
	_, pdf := cachedPDF(t, "fixture", fixture)
	out := tool(t, pdf, "pdffonts")
	lines := strings.Split(strings.TrimSpace(out), "\n")[2:]
	if len(lines) == 0 {
		t.Fatal("pdffonts lists no font")
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if !strings.Contains(f[0], "DejaVu") || !strings.Contains(l, " yes ") {
			t.Errorf("font not DejaVu or not embedded: %s", l)
		}
	}
}

func TestPDFPrintsARunningHeaderAndPageNumbers(t *testing.T) {
	m, pdf := cachedPDF(t, "fixture", fixture)
	n := pageCount(t, pdf)
	for _, p := range []int{2, n} {
		text := pageText(t, pdf, p)
		for _, want := range []string{m.Customer, m.Fingerprint, fmt.Sprintf("Page %d of %d", p, n)} {
			if !strings.Contains(text, want) {
				t.Errorf("page %d lacks %q:\n%s", p, want, text)
			}
		}
	}
}

func TestPDFLinksTheContentsToTheClauses(t *testing.T) {
	m, pdf := cachedPDF(t, "fixture", fixture)
	dests, err := namedDestinations(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Clauses {
		if dests[c.ID] < 3 {
			t.Errorf("no destination for %s after the contents: %v", c.ID, dests)
		}
	}
	if !bytes.Contains(pdf, []byte("/Subtype /Link")) || !bytes.Contains(pdf, []byte("/Dest /"+m.Clauses[0].ID)) {
		t.Error("the PDF has no internal link to the first clause")
	}
}

func TestPDFWithoutChromiumSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := PDF(context.Background(), fixture(t), PDFOptions{})
	if !errors.Is(err, ErrNoTool) || !strings.Contains(err.Error(), "Debian package chromium") || !strings.Contains(err.Error(), "--browser") {
		t.Errorf("PDF without chromium = %v; want ErrNoTool naming the Debian package and --browser", err)
	}
	_, err = PDF(context.Background(), fixture(t), PDFOptions{Browser: "/nonexistent/chromium"})
	if !errors.Is(err, ErrNoTool) || !strings.Contains(err.Error(), "/nonexistent/chromium") {
		t.Errorf("PDF with a missing --browser = %v", err)
	}
}

func TestFixDatesKeepsEveryOffset(t *testing.T) {
	in := []byte("<</CreationDate (D:20261201212412+00'00')\n/ModDate (D:20261201212412+01'00')>>\ntrailer <</ID [<0123abcd><0123abcd>]>>")
	out, err := fixDates(in, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("length %d, was %d", len(out), len(in))
	}
	if !bytes.Contains(out, []byte("/CreationDate (D:20270201000000+00'00')")) || !bytes.Contains(out, []byte("/ModDate (D:20270201000000+00'00')")) {
		t.Errorf("dates not replaced: %s", out)
	}
	if bytes.Contains(out, []byte("0123abcd")) {
		t.Errorf("document ID not replaced: %s", out)
	}
	again, _ := fixDates(in, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	if !bytes.Equal(out, again) {
		t.Error("fixDates is not deterministic")
	}
}

func TestNamedDestinationsRejectsWhatIsNotAChromiumPDF(t *testing.T) {
	for name, data := range map[string]string{
		"empty":            "",
		"no xref":          "%PDF-1.4\nstartxref\n9\n%%EOF\n",
		"xref out of file": "%PDF-1.4\nstartxref\n999999\n%%EOF\n",
		"no trailer":       "%PDF-1.4\nxref\n0 1\n0000000000 65535 f \nstartxref\n9\n%%EOF\n",
	} {
		if _, err := namedDestinations([]byte(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzNamedDestinations(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R /Dests 3 0 R>>\nendobj\n2 0 obj\n<</Type /Pages /Kids [4 0 R]>>\nendobj\n3 0 obj\n<</EM-1 [4 0 R /XYZ 0 0 0]>>\nendobj\n4 0 obj\n<</Type /Page>>\nendobj\nxref\n0 5\n0000000000 65535 f \n0000000009 00000 n \n0000000069 00000 n \n0000000117 00000 n \n0000000163 00000 n \ntrailer\n<</Size 5 /Root 1 0 R>>\nstartxref\n192\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		namedDestinations(data) // must not panic or loop
	})
}

func TestAPDFWithAFallbackFontIsRefused(t *testing.T) {
	pdf := []byte("<</Type /Font /BaseFont /AAAAAA+DejaVuSans>> <</Type /Font /BaseFont /BAAAAA+LiberationSerif-Bold>>")
	if got := Fonts(pdf); strings.Join(got, " ") != "DejaVuSans LiberationSerif-Bold" {
		t.Errorf("Fonts = %v", got)
	}
	if err := checkFonts(pdf); err == nil || !strings.Contains(err.Error(), "LiberationSerif-Bold") || !strings.Contains(err.Error(), "fonts-dejavu-core") {
		t.Errorf("checkFonts = %v, want a refusal naming the font and fonts-dejavu-core", err)
	}
	if err := checkFonts([]byte("<</BaseFont /CAAAAA+DejaVuSerif>>")); err != nil {
		t.Errorf("checkFonts refused DejaVu: %v", err)
	}
}

func TestRenumberNodesKeepsOffsetsAndOrder(t *testing.T) {
	in := []byte("/ID (node00000484)>> /ID (node00000052)>> /Names [(node00000052) 4 0 R (node00000484) 5 0 R]")
	want := []byte("/ID (node00000002)>> /ID (node00000001)>> /Names [(node00000001) 4 0 R (node00000002) 5 0 R]")
	if got := renumberNodes(in); !bytes.Equal(got, want) {
		t.Errorf("renumberNodes =\n%s\nwant\n%s", got, want)
	}
}
