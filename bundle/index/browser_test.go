package index

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestIndexFitsAPhoneAndItsLinksResolve opens index.html in headless
// Chromium at 390 px, a phone's width: nothing may stick out sideways
// (WCAG 1.4.10 reflow), no table may need scrolling, every fingerprint and
// key is shown whole in a monospace font, and every link of the table of
// contents lands on a section (or a file beside the index).
// EXITKIT_SCREENSHOTS=DIR saves index-390.png there for a person to look at.
func TestIndexFitsAPhoneAndItsLinksResolve(t *testing.T) {
	chromium := interop.Require(t, "chromium")[0]
	page, readme, err := Render(sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"index.html": page, "README.txt": readme, "TERMS.html": []byte("<!DOCTYPE html><title>terms</title>")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("hide-scrollbars", true), chromedp.WindowSize(390, 844))
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer func() { cancelTimeout(); cancelCtx(); cancelAlloc() }()
	url := "file://" + filepath.Join(dir, "index.html")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	eval := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	for _, problem := range eval(`(() => {
	  const out = [];
	  const w = document.documentElement.clientWidth;
	  if (w > 390) out.push("viewport is " + w + " px wide, not 390");
	  if (document.documentElement.scrollWidth > w) out.push("the page is " + document.documentElement.scrollWidth + " px wide at " + w + " px");
	  for (const t of document.querySelectorAll("table, pre")) {
	    if (t.scrollWidth > t.clientWidth + 1) out.push(t.tagName + " needs scrolling: " + t.scrollWidth + " > " + t.clientWidth + ": " + t.innerText.slice(0, 60));
	    if (t.getBoundingClientRect().right > w + 1) out.push(t.tagName + " sticks out: " + t.innerText.slice(0, 60));
	  }
	  const codes = document.querySelectorAll("td code, p code");
	  if (codes.length < 5) out.push("only " + codes.length + " code spans: fingerprints are not set as code");
	  for (const c of codes) {
	    const r = c.getBoundingClientRect();
	    if (r.right > w + 1) out.push("cut off: " + c.innerText);
	    if (!getComputedStyle(c).fontFamily.includes("monospace")) out.push("not monospace: " + c.innerText);
	  }
	  const links = document.querySelectorAll("a[href]");
	  if (links.length < 8) out.push("only " + links.length + " links");
	  for (const a of links) {
	    const h = a.getAttribute("href");
	    if (h.startsWith("#")) {
	      if (!document.getElementById(h.slice(1))) out.push("link to a missing section: " + h);
	    } else if (!["TERMS.html", "README.txt"].includes(h)) out.push("link out of the bundle: " + h);
	  }
	  return out;
	})()`) {
		t.Error(problem)
	}
	w := eval(`[String(document.documentElement.clientWidth), String(document.documentElement.scrollWidth), String(window.innerWidth)]`)
	t.Logf("layout width %s px, content %s px, window %s px", w[0], w[1], w[2])
	fp := eval(`Array.from(document.querySelectorAll("td code")).map(c => c.innerText).filter(s => s.startsWith("SHA256:"))`)
	if len(fp) == 0 || fp[0] != sampleManifest().Signer.Fingerprint {
		t.Errorf("the signer fingerprint is not shown whole: %q", fp)
	}
	// Following a TOC link scrolls its section to the top.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="#vm-2"]`))); err != nil {
		t.Fatal(err)
	}
	top := eval(`[String(Math.round(document.getElementById("vm-2").getBoundingClientRect().top)), location.hash]`)
	if px, err := strconv.Atoi(top[0]); err != nil || top[1] != "#vm-2" || px < 0 || px > 50 {
		t.Errorf("the link to the second VM landed with its heading at %s px (%s), not at the top", top[0], top[1])
	}
	if shots := os.Getenv("EXITKIT_SCREENSHOTS"); shots != "" {
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "index-390.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
