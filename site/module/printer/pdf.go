package printer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/site/module"
)

// PDFOptions adjusts PDF.
type PDFOptions struct {
	// Browser is the Chromium to print with; "" looks for chromium,
	// chromium-browser, google-chrome and headless_shell on PATH.
	Browser string
	// Log receives the browser's own output; nil discards it.
	Log io.Writer
}

// FindBrowser returns the Chromium PDF would print with.
func FindBrowser(given string) (string, error) {
	return find(given, "Chromium", "chromium", "--browser", "chromium", "chromium-browser", "google-chrome", "headless_shell")
}

// maxPasses bounds the print, number the contents, print again loop: page
// numbers settle after one reprint unless the contents themselves grow.
const maxPasses = 4

// printTimeout bounds a whole PDF, every pass included.
const printTimeout = 3 * time.Minute

// PDF prints m with headless Chromium from the module's own print
// stylesheet: A4, a cover page, the contents with page numbers, a running
// header with the customer and the module fingerprint, "page N of M" at the
// foot, every internal reference a PDF link, DejaVu fonts embedded.
//
// Chromium cannot number the contents itself (it has no CSS
// target-counter()), so PDF prints, reads the page of every contents
// target from the PDF's named destinations, fills the numbers in and
// prints again until they hold. Chromium's creation and modification
// dates are replaced by the module's effective date, so the same module
// always gives the same bytes.
func PDF(ctx context.Context, m *module.Module, opt PDFOptions) ([]byte, error) {
	browser, err := FindBrowser(opt.Browser)
	if err != nil {
		return nil, err
	}
	tmp, err := fsx.MkdirTemp("", "exitsite-pdf-")
	if err != nil {
		return nil, fmt.Errorf("print PDF: %w", err)
	}
	defer fsx.RemoveAll(tmp)
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	// A browser that hangs (a broken install, a full disk) must not hang
	// the command: a module prints in seconds.
	ctx, cancel := context.WithTimeoutCause(ctx, printTimeout, fmt.Errorf("Chromium did not finish printing within %v", printTimeout))
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Env("TZ=UTC"),
		chromedp.CombinedOutput(logw),
	)
	defer cancelAlloc()
	bctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	if err := chromedp.Do(bctx); err != nil {
		return nil, fmt.Errorf("print PDF: start %s: %w", browser, err)
	}

	doc := filepath.Join(tmp, "module.html")
	numbers := map[string]int{}
	var pdf []byte
	for pass := 1; ; pass++ {
		if err := fsx.ReplaceFile(doc, numberContents(m.HTML, numbers), 0o600); err != nil {
			return nil, fmt.Errorf("print PDF: %w", err)
		}
		pdf, err = printOnce(bctx, "file://"+doc, m)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && ctx.Err() == context.DeadlineExceeded {
				err = cause
			}
			return nil, fmt.Errorf("print PDF with %s: %w", browser, err)
		}
		dests, err := namedDestinations(pdf)
		if err != nil {
			return nil, fmt.Errorf("print PDF: read the pages of the contents: %w", err)
		}
		if equalPages(dests, numbers, m.HTML) {
			break
		}
		if pass == maxPasses {
			return nil, fmt.Errorf("print PDF: the contents' page numbers did not settle after %d prints", maxPasses)
		}
		numbers = dests
	}
	if err := checkFonts(pdf); err != nil {
		return nil, err
	}
	return fixDates(pdf, m.Effective)
}

func printOnce(ctx context.Context, url string, m *module.Module) ([]byte, error) {
	t := true
	return chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			return nil, err
		}
		// Fonts load asynchronously; print only once they have.
		if _, err := chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)(ctx, tg); err != nil {
			return nil, err
		}
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{
			DisplayHeaderFooter:     &t,
			PrintBackground:         &t,
			PreferCSSPageSize:       &t,
			GenerateTaggedPDF:       &t,
			GenerateDocumentOutline: &t,
			PaperWidth:              8.2677, // A4, for a stylesheet that sets no size
			PaperHeight:             11.6929,
			HeaderTemplate:          headerTemplate(m),
			FooterTemplate:          footerTemplate(m),
		})
		if err != nil {
			return nil, err
		}
		return res.Data, nil
	})
}

// The header and footer are printed in the page margins, outside the
// document, so they carry their own style.
const marginStyle = `font-family:'DejaVu Sans',sans-serif;font-size:7.5pt;color:#4a5361;width:100%;margin:0 20mm;display:flex;justify-content:space-between;gap:8mm;`

func headerTemplate(m *module.Module) string {
	return `<div style="` + marginStyle + `"><span>` + html.EscapeString(m.Customer) + ` · ` + html.EscapeString(m.Title) +
		`</span><span style="font-family:'DejaVu Sans Mono',monospace;font-size:6.5pt">` + html.EscapeString(m.Fingerprint) + `</span></div>`
}

func footerTemplate(m *module.Module) string {
	return `<div style="` + marginStyle + `"><span>` + html.EscapeString(m.Provider) + `</span><span>` +
		html.EscapeString(m.Words["page"]) + ` <span class="pageNumber"></span> ` + html.EscapeString(m.Words["of"]) + ` <span class="totalPages"></span></span></div>`
}

var pageSlot = regexp.MustCompile(`<span class="pg" data-for="([^"]+)">[^<]*</span>`)

// numberContents fills the contents' page slots from numbers; a slot
// without a number yet gets a placeholder of the same width.
func numberContents(doc []byte, numbers map[string]int) []byte {
	return pageSlot.ReplaceAllFunc(doc, func(slot []byte) []byte {
		id := string(pageSlot.FindSubmatch(slot)[1])
		n := "00"
		if p, ok := numbers[html.UnescapeString(id)]; ok {
			n = strconv.Itoa(p)
		}
		return []byte(`<span class="pg" data-for="` + id + `">` + n + `</span>`)
	})
}

// equalPages reports whether the pages the PDF puts the contents' targets
// on are those the contents printed.
func equalPages(dests, numbers map[string]int, doc []byte) bool {
	for _, m := range pageSlot.FindAllSubmatch(doc, -1) {
		id := html.UnescapeString(string(m[1]))
		p, ok := dests[id]
		if !ok || numbers[id] != p {
			return false
		}
	}
	return true
}

// ---- the few PDF structures read back ----
//
// Chromium writes PDFs with Skia: a classic cross-reference table, no
// object streams, the catalog's /Dests dictionary mapping every link
// target (an element id) to [page /XYZ x y z]. That is all that is read.

var (
	startXRef = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	refRE     = regexp.MustCompile(`(\d+) 0 R`)
	destRE    = regexp.MustCompile(`/((?:[^\s/\[\]<>()#]|#[0-9A-Fa-f]{2})+)\s*\[\s*(\d+) 0 R\s*/XYZ`)
)

type pdfFile struct {
	data    []byte
	offsets map[int]int
	trailer []byte
}

func parsePDF(data []byte) (*pdfFile, error) {
	m := startXRef.FindSubmatch(data)
	if m == nil {
		return nil, fmt.Errorf("no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off <= 0 || off >= len(data) || !bytes.HasPrefix(data[off:], []byte("xref")) {
		return nil, fmt.Errorf("no cross-reference table at %d", off)
	}
	f := &pdfFile{data: data, offsets: map[int]int{}}
	rest := data[off+len("xref"):]
	end := bytes.Index(rest, []byte("trailer"))
	if end < 0 {
		return nil, fmt.Errorf("no trailer")
	}
	f.trailer = rest[end:]
	lines := strings.Fields(string(rest[:end]))
	for i := 0; i+1 < len(lines); {
		first, err1 := strconv.Atoi(lines[i])
		count, err2 := strconv.Atoi(lines[i+1])
		if err1 != nil || err2 != nil || i+2+3*count > len(lines) {
			return nil, fmt.Errorf("malformed cross-reference table")
		}
		for k := 0; k < count; k++ {
			e := lines[i+2+3*k : i+5+3*k]
			if e[2] == "n" {
				o, err := strconv.Atoi(e[0])
				if err != nil || o >= len(data) {
					return nil, fmt.Errorf("malformed cross-reference entry %v", e)
				}
				f.offsets[first+k] = o
			}
		}
		i += 2 + 3*count
	}
	return f, nil
}

// object returns the body of object n up to its endobj (or stream).
func (f *pdfFile) object(n int) ([]byte, error) {
	off, ok := f.offsets[n]
	if !ok {
		return nil, fmt.Errorf("no object %d", n)
	}
	body := f.data[off:]
	if end := bytes.Index(body, []byte("endobj")); end >= 0 {
		body = body[:end]
	}
	if s := bytes.Index(body, []byte("stream")); s >= 0 {
		body = body[:s]
	}
	return body, nil
}

func (f *pdfFile) ref(dict []byte, key string) (int, bool) {
	re := regexp.MustCompile(regexp.QuoteMeta(key) + `\s+(\d+) 0 R`)
	m := re.FindSubmatch(dict)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, true
}

// pages returns the page objects in order.
func (f *pdfFile) pages() ([]int, error) {
	root, ok := f.ref(f.trailer, "/Root")
	if !ok {
		return nil, fmt.Errorf("no /Root")
	}
	cat, err := f.object(root)
	if err != nil {
		return nil, err
	}
	top, ok := f.ref(cat, "/Pages")
	if !ok {
		return nil, fmt.Errorf("no /Pages")
	}
	var out []int
	seen := map[int]bool{}
	var walk func(n, depth int) error
	walk = func(n, depth int) error {
		if depth > 32 || seen[n] {
			return fmt.Errorf("malformed page tree at object %d", n)
		}
		seen[n] = true
		obj, err := f.object(n)
		if err != nil {
			return err
		}
		if !bytes.Contains(obj, []byte("/Type /Pages")) {
			out = append(out, n)
			return nil
		}
		i := bytes.Index(obj, []byte("/Kids"))
		if i < 0 {
			return fmt.Errorf("page tree node %d has no /Kids", n)
		}
		kids := obj[i:]
		if j := bytes.IndexByte(kids, ']'); j >= 0 {
			kids = kids[:j]
		}
		for _, k := range refRE.FindAllSubmatch(kids, -1) {
			kn, _ := strconv.Atoi(string(k[1]))
			if err := walk(kn, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(top, 0)
}

// namedDestinations maps every named destination of a Chromium PDF to its
// page number, counted from 1.
func namedDestinations(data []byte) (map[string]int, error) {
	f, err := parsePDF(data)
	if err != nil {
		return nil, err
	}
	pages, err := f.pages()
	if err != nil {
		return nil, err
	}
	index := map[int]int{}
	for i, p := range pages {
		index[p] = i + 1
	}
	root, _ := f.ref(f.trailer, "/Root")
	cat, err := f.object(root)
	if err != nil {
		return nil, err
	}
	dn, ok := f.ref(cat, "/Dests")
	if !ok {
		return nil, fmt.Errorf("the PDF has no named destinations (/Dests)")
	}
	dests, err := f.object(dn)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, m := range destRE.FindAllSubmatch(dests, -1) {
		pn, _ := strconv.Atoi(string(m[2]))
		if p, ok := index[pn]; ok {
			out[unescapeName(string(m[1]))] = p
		}
	}
	return out, nil
}

func unescapeName(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var baseFontRE = regexp.MustCompile(`/BaseFont /(?:[A-Z]{6}\+)?([^\s/\]>]+)`)

// Fonts returns the base font names a PDF uses, without subset prefixes.
func Fonts(pdf []byte) []string {
	var out []string
	for _, m := range baseFontRE.FindAllSubmatch(pdf, -1) {
		if n := string(m[1]); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// checkFonts refuses a PDF printed with anything but DejaVu: a missing
// font would otherwise silently fall back to whatever the machine has.
func checkFonts(pdf []byte) error {
	for _, f := range Fonts(pdf) {
		if !strings.HasPrefix(f, "DejaVu") {
			return fmt.Errorf("print PDF: the PDF would use the font %s instead of DejaVu, which the module's print stylesheet pins; install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core), or, if a --templates stylesheet asks for %s in print, make it ask for DejaVu Serif, DejaVu Sans or DejaVu Sans Mono", f, f)
		}
	}
	return nil
}

var (
	pdfDate = regexp.MustCompile(`/(CreationDate|ModDate) \(D:\d{14}(Z|[+-]\d\d'\d\d'?)?\)`)
	pdfID   = regexp.MustCompile(`/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]`)
)

// utcSuffix writes UTC in each length a PDF date's time zone may take.
var utcSuffix = map[int]string{0: "", 1: "Z", 6: "+00'00", 7: "+00'00'"}

// fixDates replaces what Chromium stamps into a PDF that differs from one
// print to the next: the creation and modification dates (by the module's
// effective date), the structure elements' IDs (see renumberNodes) and a
// document ID if it writes one, keeping every byte offset, so the
// cross-reference table stays valid.
func fixDates(pdf []byte, date time.Time) ([]byte, error) {
	stamp := date.UTC().Format("20060102150405")
	out := pdfDate.ReplaceAllFunc(bytes.Clone(pdf), func(old []byte) []byte {
		m := pdfDate.FindSubmatch(old)
		return []byte("/" + string(m[1]) + " (D:" + stamp + utcSuffix[len(m[2])] + ")")
	})
	out = renumberNodes(out)
	if loc := pdfID.FindSubmatchIndex(out); loc != nil {
		sum := sha256.Sum256(out)
		id := strings.Repeat(hex.EncodeToString(sum[:]), 4)
		for _, g := range [][2]int{{loc[2], loc[3]}, {loc[4], loc[5]}} {
			copy(out[g[0]:g[1]], strings.ToUpper(id[:g[1]-g[0]]))
		}
	}
	return out, nil
}

// nodeID is how Chromium names a tagged PDF's structure elements: after
// the renderer's DOM node numbers, which depend on everything the browser
// built before (earlier prints, timing), not on the document.
var nodeID = regexp.MustCompile(`\(node(\d{8})\)`)

// renumberNodes gives the structure elements the numbers 1, 2, 3... in
// the order of their old numbers: the same width, so no offset moves, and
// the same order, so the ID tree stays sorted.
func renumberNodes(pdf []byte) []byte {
	var ids []string
	seen := map[string]bool{}
	for _, m := range nodeID.FindAllSubmatch(pdf, -1) {
		if id := string(m[1]); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	renum := make(map[string]string, len(ids))
	for i, id := range ids {
		renum[id] = fmt.Sprintf("%08d", i+1)
	}
	return nodeID.ReplaceAllFunc(pdf, func(m []byte) []byte {
		return []byte("(node" + renum[string(m[5:13])] + ")")
	})
}
