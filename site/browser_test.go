package site

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/module"
	"github.com/exitkit/exitkit/site/module/printer"
)

// newBrowser starts Debian's chromium, headless, with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	chromium := interop.Require(t, "chromium")[0]
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// seen is what a reader sees on a page.
type seen struct {
	Title, Lang, H1, Text string
	Switch                []string // the language switcher's link texts
}

func look(t *testing.T, ctx context.Context, url string) seen {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	var s seen
	s.Title = run(t, ctx, chromedp.Title())
	s.Lang = run(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	s.H1 = run(t, ctx, chromedp.Evaluate[string](`(document.querySelector("h1")||{}).innerText||""`))
	s.Text = run(t, ctx, chromedp.Evaluate[string](`document.body.innerText`))
	s.Switch = run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".switcher a")).map(a => a.innerText)`))
	return s
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type printCheck struct{ navHidden, textShown bool }

// printView switches the page to print media and reports whether the
// navigation is hidden and the clause text still shown.
func printView() chromedp.Action[printCheck] {
	return func(ctx context.Context, tg *chromedp.Target) (printCheck, error) {
		if _, err := media("print")(ctx, tg); err != nil {
			return printCheck{}, err
		}
		nav, err := chromedp.Evaluate[bool](`getComputedStyle(document.querySelector(".site-nav")).display === "none" && getComputedStyle(document.querySelector(".switcher")).display === "none"`)(ctx, tg)
		if err != nil {
			return printCheck{}, err
		}
		text, err := chromedp.Evaluate[bool](`getComputedStyle(document.querySelector(".clause-text")).display !== "none" && document.querySelector(".clause-text").innerText.length > 100`)(ctx, tg)
		return printCheck{nav, text}, err
	}
}

func media(m string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	})
}

// screenshot saves the page as name.png under $EXITSITE_SCREENSHOTS, for
// a person to look at; without the variable it does nothing.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("EXITSITE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// follow clicks the language switcher's link to lang and returns the URL
// the browser lands on.
func follow(t *testing.T, ctx context.Context, lang string) string {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.switcher a[hreflang="`+lang+`"]`)),
		chromedp.WaitReady(chromedp.CSS(`html[lang="`+lang+`"]`)),
	)
	if err != nil {
		t.Fatalf("switch to %s: %v", lang, err)
	}
	return run(t, ctx, chromedp.Location())
}

func TestBrowserReadsTheSiteAndModulesInBothLanguages(t *testing.T) {
	ctx := newBrowser(t)
	res := buildShipped(t)
	lib := loadShipped(t)
	dir := filepath.Join(t.TempDir(), "public")
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	// The site is opened from the folder, as from a USB stick.
	file := func(p string) string { return "file://" + filepath.Join(dir, filepath.FromSlash(p)) }

	titles := map[string]string{"en": lib.Site.Title["en"], "nl": lib.Site.Title["nl"]}
	other := map[string]string{"en": "nl", "nl": "en"}
	prefix := map[string]string{"en": "", "nl": "nl/"}

	// A clause with a redline in both languages.
	var redlined *clause.Clause
	for _, c := range lib.Current("en") {
		if len(lib.Versions(c.ID, "en")) > 1 && len(lib.Versions(c.ID, "nl")) > 1 {
			redlined = c
			break
		}
	}
	if redlined == nil {
		t.Fatal("the shipped content has no clause with two versions in both languages")
	}

	for _, lang := range []string{"en", "nl"} {
		t.Run(lang, func(t *testing.T) {
			home := look(t, ctx, file(prefix[lang]+"index.html"))
			screenshot(t, ctx, "home-"+lang)
			if home.Lang != lang || !strings.Contains(home.Title, titles[lang]) || home.H1 != titles[lang] {
				t.Errorf("home: lang %q, title %q, h1 %q; want %s and %q", home.Lang, home.Title, home.H1, lang, titles[lang])
			}
			for _, c := range lib.Current(lang) {
				if !strings.Contains(home.Text, c.Title) {
					t.Errorf("home does not list %s %q", c.ID, c.Title)
				}
			}
			if len(home.Switch) != 1 {
				t.Errorf("home switcher offers %v", home.Switch)
			}
			if got := follow(t, ctx, other[lang]); !strings.HasSuffix(got, "/"+prefix[other[lang]]+"index.html") {
				t.Errorf("the switcher on the home page led to %s", got)
			}

			c := lib.Current(lang)[0]
			r, _ := c.Render(lib, nil)
			page := look(t, ctx, file(prefix[lang]+"clauses/"+c.ID+"/index.html"))
			screenshot(t, ctx, "clause-"+lang)
			if page.H1 != c.Title || !strings.HasPrefix(page.Title, c.Title) || page.Lang != lang {
				t.Errorf("clause page: h1 %q, title %q, lang %q; want %q", page.H1, page.Title, page.Lang, c.Title)
			}
			if !strings.Contains(page.Text, r.Fingerprint) {
				t.Error("the clause page does not show the fingerprint")
			}
			printed := run(t, ctx, printView())
			if !printed.navHidden || !printed.textShown {
				t.Errorf("the print view of the clause page: navigation hidden %v, text shown %v", printed.navHidden, printed.textShown)
			}
			screenshot(t, ctx, "print-clause-"+lang)
			run(t, ctx, media(""))

			want := "clauses/" + c.ID + "/index.html"
			if got := follow(t, ctx, other[lang]); !strings.HasSuffix(got, "/"+prefix[other[lang]]+want) {
				t.Errorf("the switcher on the clause page led to %s, want the same clause", got)
			}

			vs := lib.Versions(redlined.ID, lang)
			last := vs[len(vs)-1]
			red := look(t, ctx, file(prefix[lang]+"clauses/"+redlined.ID+"/v"+last.Version+"/redline/index.html"))
			if !strings.Contains(red.H1, last.Title) || !strings.Contains(red.H1, vs[len(vs)-2].Version) || red.Lang != lang {
				t.Errorf("redline page: h1 %q, lang %q", red.H1, red.Lang)
			}
			marks := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".diff ins, .diff del").length`))
			if marks == 0 {
				t.Error("the redline page marks no insertion or deletion")
			}
			if len(red.Switch) != 1 {
				t.Errorf("redline switcher offers %v", red.Switch)
			}
			// A lawyer reads text, not Markdown, and every header cell has text.
			diffText := run(t, ctx, chromedp.Evaluate[string](`document.querySelector(".diff").innerText`))
			if strings.Contains(diffText, "# "+redlined.ID) || strings.Contains(diffText, "**") {
				t.Errorf("the redline shows Markdown: %.200q", diffText)
			}
			if n := run(t, ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("th")).filter(th => th.innerText.trim() === "").length`)); n != 0 {
				t.Errorf("the redline has %d empty table header cells", n)
			}
			screenshot(t, ctx, "redline-"+lang)

			// A version published ahead of its effective date is upcoming,
			// and points to the version in force until then.
			up := lib.Upcoming(lang, reviewDay)
			if len(up) == 0 {
				t.Fatalf("the shipped content has no %s version upcoming on %s", lang, clause.ISODate(reviewDay))
			}
			u, inForce := up[0], lib.VersionOn(up[0].ID, lang, reviewDay)
			look(t, ctx, file(prefix[lang]+"clauses/"+u.ID+"/v"+u.Version+"/index.html"))
			screenshot(t, ctx, "upcoming-"+lang)
			notice := run(t, ctx, chromedp.Evaluate[string](`(document.querySelector(".notice.upcoming")||{}).innerText||""`))
			if !strings.Contains(notice, clause.LongDate(u.Effective, lang)) {
				t.Errorf("%s %s says %q, not when it takes effect", u.ID, u.Version, notice)
			}
			if inForce != nil {
				if !strings.Contains(notice, inForce.Version) {
					t.Errorf("%s %s says %q, not which version is in force", u.ID, u.Version, notice)
				}
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".notice.upcoming a")), chromedp.WaitReady(chromedp.CSS(".notice.current"))); err != nil {
					t.Fatalf("follow the link to the version in force: %v", err)
				}
				if got := run(t, ctx, chromedp.Location()); !strings.HasSuffix(got, "/clauses/"+u.ID+"/v"+inForce.Version+"/index.html") {
					t.Errorf("the link to the version in force led to %s", got)
				}
			}
		})
	}

	for _, lang := range []string{"en", "nl"} {
		t.Run("module-"+lang, func(t *testing.T) {
			p, err := clause.LoadProfile(filepath.Join(*contentDir, "profiles", "bank.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := module.Render(lib, p, module.Options{Lang: lang})
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "module-"+lang+".html")
			os.WriteFile(f, m.HTML, 0o644)
			got := look(t, ctx, "file://"+f)
			if got.Lang != lang || !strings.Contains(got.Title, p.Customer.Name) || !strings.Contains(got.H1, p.Provider.Name) {
				t.Errorf("module: lang %q, title %q, h1 %q", got.Lang, got.Title, got.H1)
			}
			sections := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.clause").length`))
			if sections != len(m.Clauses) {
				t.Errorf("the browser sees %d clauses, the module has %d", sections, len(m.Clauses))
			}
			if !strings.Contains(got.Text, m.Fingerprint) || !strings.Contains(got.Text, m.Clauses[0].Title) {
				t.Error("the module does not show its fingerprint or its first clause")
			}
			if strings.Contains(got.Text, "# "+m.Clauses[0].ID+" ") {
				t.Error("the browser shows a clause's machine-readable canonical text")
			}
		})
	}
}

// TestBrowserPrintsTheModuleToPDFPagesThatLookRight renders the first
// pages of the bank module's PDF to images with poppler's pdftoppm, as a
// reader's viewer would, and checks what a glance shows: A4 pages, neither
// blank nor flooded, a running header and a page number in the margins.
// With EXITSITE_SCREENSHOTS set, the images are kept there to look at.
func TestBrowserPrintsTheModuleToPDFPagesThatLookRight(t *testing.T) {
	interop.Require(t, "chromium")
	pdftoppm := interop.Require(t, "pdftoppm")[0]
	lib := loadShipped(t)
	p, err := clause.LoadProfile(filepath.Join(*contentDir, "profiles", "bank.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := module.Render(lib, p, module.Options{Agreement: "the Cloud Services Agreement no. 2027-014 of 15 January 2027"})
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := printer.PDF(context.Background(), m, printer.PDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "module.pdf")
	os.WriteFile(file, pdf, 0o600)
	if out, err := exec.Command(pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "3", file, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	shots, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if len(shots) != 3 {
		t.Fatalf("pdftoppm made %d images of the first 3 pages", len(shots))
	}
	for _, shot := range shots {
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", shot, err)
		}
		b := img.Bounds()
		if ratio := float64(b.Dy()) / float64(b.Dx()); ratio < 1.39 || ratio > 1.43 {
			t.Errorf("%s: %dx%d is not an A4 page", filepath.Base(shot), b.Dx(), b.Dy())
		}
		ink := func(y0, y1 int) float64 { // share of dark pixels in rows y0..y1
			dark, all := 0, 0
			for y := b.Min.Y + y0; y < b.Min.Y+y1; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if (r+g+bl)/3 < 0x8000 {
						dark++
					}
					all++
				}
			}
			return float64(dark) / float64(all)
		}
		h := b.Dy()
		if all := ink(0, h); all < 0.005 || all > 0.25 {
			t.Errorf("%s: %.1f%% of the page is ink; want a page of text", filepath.Base(shot), 100*all)
		}
		if ink(0, h*6/100) == 0 {
			t.Errorf("%s: no running header in the top margin", filepath.Base(shot))
		}
		if ink(h*94/100, h) == 0 {
			t.Errorf("%s: no page number in the bottom margin", filepath.Base(shot))
		}
		if dir := os.Getenv("EXITSITE_SCREENSHOTS"); dir != "" {
			data, _ := os.ReadFile(shot)
			os.WriteFile(filepath.Join(dir, "module-pdf-"+filepath.Base(shot)), data, 0o644)
		}
	}
}
