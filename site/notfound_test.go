package site

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/templates"
)

var hrefRE = regexp.MustCompile(`\b(?:href|src)="([^"]*)"`)

func TestNotFoundPagesLinkAbsolutelyUnderABaseURL(t *testing.T) {
	const base = "https://terms.example.com/exit/"
	res, err := Build(context.Background(), Options{Content: *contentDir, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for name, data := range res.Files {
		if filepath.Base(name) != "404.html" {
			continue
		}
		pages++
		links := hrefRE.FindAllStringSubmatch(string(data), -1)
		if len(links) < 5 {
			t.Fatalf("%s has only %d links", name, len(links))
		}
		for _, l := range links {
			u := strings.ReplaceAll(l[1], "&amp;", "&")
			if strings.HasPrefix(u, "#") {
				continue
			}
			rest, ok := strings.CutPrefix(u, base)
			if !ok {
				t.Errorf("%s links %q, not an absolute URL under %s", name, u, base)
				continue
			}
			if _, exists := res.Files[strings.SplitN(rest, "#", 2)[0]]; !exists {
				t.Errorf("%s links %q, which the site does not have", name, u)
			}
		}
	}
	if pages == 0 {
		t.Fatal("no 404.html built")
	}
	// Without a base URL the links stay relative, for a folder or USB stick.
	if !strings.Contains(string(buildShipped(t).Files["404.html"]), `href="./css/site.css"`) {
		t.Error("without a base URL, 404.html does not link its stylesheet relatively")
	}
}

func TestTheSiteNeverPublishesAModule(t *testing.T) {
	res := buildShipped(t)
	lib := loadShipped(t)
	profiles, _, err := clause.LoadProfiles(*contentDir, nil)
	if err != nil || len(profiles) == 0 {
		t.Fatalf("no shipped profiles: %v", err)
	}
	for name, data := range res.Files {
		if strings.Contains(string(data), moduleMarker) {
			t.Errorf("%s is a module", name)
		}
		for _, p := range profiles {
			if p.Customer.Name != "" && p.Customer.Name != lib.Site.Provider.Name && strings.Contains(string(data), p.Customer.Name) {
				t.Errorf("%s names the customer %q of %s", name, p.Customer.Name, p.File)
			}
		}
	}

	// A module slipped into the templates' static files stops the build.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "site", "static"), 0o755)
	os.WriteFile(filepath.Join(dir, "site", "static", "bank-terms.html"), []byte(`<meta name="exitkit:module-fingerprint" content="sha256:00">`), 0o644)
	fsys, err := templates.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), Options{Content: *contentDir, Templates: fsys}); !errors.Is(err, ErrModuleInSite) || !strings.Contains(err.Error(), "bank-terms.html") {
		t.Errorf("Build with a module in static/ = %v, want ErrModuleInSite naming it", err)
	}
}
