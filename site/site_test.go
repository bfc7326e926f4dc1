package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/internal/htmltest"
	"github.com/exitkit/exitkit/templates"
)

var contentDir = flag.String("content", "../content", "the content folder the tests build")

// reviewDay is the day the tests build the site as of: the newcomer
// review's, when EM-13 2.0.0 was published but not yet in force.
var reviewDay = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// shipped builds the shipped content once for the tests that only read it.
var shipped = sync.OnceValues(func() (*Result, error) {
	return Build(context.Background(), Options{Content: *contentDir, AsOf: reviewDay})
})

func buildShipped(t testing.TB) *Result {
	t.Helper()
	res, err := shipped()
	if err != nil {
		t.Fatalf("build %s: %v", *contentDir, err)
	}
	return res
}

func loadShipped(t testing.TB) *clause.Library {
	t.Helper()
	lib, err := clause.Load(*contentDir)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestBuildPublishesEveryPageOfTheShippedContent(t *testing.T) {
	res := buildShipped(t)
	lib := loadShipped(t)
	want := []string{
		"index.html", "clauses/index.html", "coverage/index.html", "glossary/index.html",
		"changes/index.html", "signing-keys/index.html", "clauses.json", "css/site.css", "404.html",
	}
	for _, lang := range lib.Languages() {
		if len(lib.Current(lang)) == 0 {
			continue
		}
		prefix := ""
		if lang != "en" {
			prefix = lang + "/"
			want = append(want, prefix+"index.html", prefix+"coverage/index.html", prefix+"glossary/index.html")
		}
		for _, c := range lib.Current(lang) {
			want = append(want, prefix+"clauses/"+c.ID+"/index.html")
		}
		for _, c := range lib.Clauses {
			if c.Lang != lang || c.Status == clause.StatusDraft {
				continue
			}
			want = append(want, prefix+"clauses/"+c.ID+"/v"+c.Version+"/index.html")
			if vs := lib.Versions(c.ID, lang); vs[0] != c {
				want = append(want, prefix+"clauses/"+c.ID+"/v"+c.Version+"/redline/index.html")
			}
		}
	}
	for _, p := range want {
		if _, ok := res.Files[p]; !ok {
			t.Errorf("missing %s", p)
		}
	}
}

func TestClausePageShowsSummaryEffectiveDateFingerprintAndCovers(t *testing.T) {
	res := buildShipped(t)
	lib := loadShipped(t)
	for _, c := range lib.InForce("en", reviewDay) { // a clause's page shows the version in force
		page := string(res.Files["clauses/"+c.ID+"/index.html"])
		r, err := c.Render(lib, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			html.EscapeString(c.Title), r.Fingerprint, `datetime="` + c.Effective.Format("2006-01-02") + `"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s page lacks %q", c.ID, want)
			}
		}
		if c.Summary != "" && !strings.Contains(page, html.EscapeString(strings.Fields(c.Summary)[0])) {
			t.Errorf("%s page lacks its summary", c.ID)
		}
		for _, ref := range c.Covers {
			if !strings.Contains(page, "#"+coverageAnchor(ref)) {
				t.Errorf("%s page does not link its covered obligation %s", c.ID, ref)
			}
		}
	}
}

func TestDraftsNeverAppear(t *testing.T) {
	res := buildShipped(t)
	lib := loadShipped(t)
	drafts := 0
	for _, c := range lib.Clauses {
		if c.Status != clause.StatusDraft {
			continue
		}
		drafts++
		if lib.Find(c.ID, c.Version, c.Lang) != c {
			continue
		}
		// A draft version that no published text shares must not appear anywhere.
		published := false
		for _, o := range lib.Clauses {
			if o.ID == c.ID && o.Version == c.Version && o.Status != clause.StatusDraft {
				published = true
			}
		}
		if published {
			continue
		}
		for name, data := range res.Files {
			if strings.Contains(name, "/v"+c.Version+"/") && strings.Contains(name, "/"+c.ID+"/") {
				t.Errorf("draft %s v%s published at %s", c.ID, c.Version, name)
			}
			if strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".json") {
				if bytes.Contains(data, []byte(c.ID+"/v"+c.Version+"/")) {
					t.Errorf("%s links the draft %s v%s", name, c.ID, c.Version)
				}
			}
		}
	}
	if drafts == 0 {
		t.Log("the content has no draft; the test checked nothing")
	}
}

func TestClausesJSONListsEveryPublishedVersion(t *testing.T) {
	res := buildShipped(t)
	lib := loadShipped(t)
	var doc struct {
		Clauses []indexEntry `json:"clauses"`
	}
	if err := json.Unmarshal(res.Files["clauses.json"], &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]indexEntry{}
	for _, e := range doc.Clauses {
		got[e.Lang+" "+e.ID+" "+e.Version] = e
		if e.Status == clause.StatusDraft {
			t.Errorf("clauses.json lists draft %s v%s", e.ID, e.Version)
		}
		if !strings.HasPrefix(e.Fingerprint, "sha256:") || e.Effective == "" {
			t.Errorf("clauses.json entry %+v incomplete", e)
		}
		target := strings.TrimPrefix(e.URL, "/") + "index.html"
		if _, ok := res.Files[target]; !ok {
			t.Errorf("clauses.json URL %s has no page", e.URL)
		}
	}
	for _, c := range lib.Clauses {
		if c.Status == clause.StatusDraft || lib.Find(c.ID, c.Version, c.Lang) != c {
			continue
		}
		if _, ok := got[c.Lang+" "+c.ID+" "+c.Version]; !ok {
			t.Errorf("clauses.json lacks %s %s v%s", c.Lang, c.ID, c.Version)
		}
	}
}

func TestEveryInternalLinkAndAnchorResolves(t *testing.T) {
	res := buildShipped(t)
	if problems := checkLinks(res.Files); len(problems) > 0 {
		for _, p := range problems {
			t.Error(p)
		}
	}
}

// checkLinks follows every href and src of every HTML page and reports
// the ones that do not resolve to a built file, or to an id in it.
func checkLinks(files map[string][]byte) []string {
	ids := map[string]map[string]bool{}
	links := map[string][]string{}
	for name, data := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		page := htmltest.Scan(data)
		ids[name], links[name] = page.IDs, page.Links
	}
	var problems []string
	for _, page := range slices.Sorted(maps.Keys(links)) {
		for _, link := range links[page] {
			u, err := url.Parse(link)
			if err != nil {
				problems = append(problems, page+": unparsable link "+link)
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue // external: mailto, https
			}
			if strings.HasPrefix(u.Path, "/") {
				problems = append(problems, page+": root-relative link "+link+" breaks when the site is opened from a folder")
				continue
			}
			target := page
			if u.Path != "" {
				target = path.Join(path.Dir(page), u.Path)
				if strings.HasSuffix(u.Path, "/") {
					problems = append(problems, page+": folder link "+link+" shows a listing when opened from a folder")
					target = path.Join(target, "index.html")
				}
			}
			if _, ok := files[target]; !ok {
				problems = append(problems, page+": broken link "+link+" (no "+target+")")
				continue
			}
			if u.Fragment != "" && !ids[target][u.Fragment] {
				problems = append(problems, page+": broken anchor "+link+" (no id "+u.Fragment+" in "+target+")")
			}
		}
	}
	return problems
}

func TestRebuildIsByteIdentical(t *testing.T) {
	first := buildShipped(t)
	second, err := Build(context.Background(), Options{Content: *contentDir, AsOf: reviewDay})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.Paths(), second.Paths()) {
		t.Fatalf("file lists differ:\n%v\n%v", first.Paths(), second.Paths())
	}
	for _, p := range first.Paths() {
		if !bytes.Equal(first.Files[p], second.Files[p]) {
			t.Errorf("%s differs between two builds of the same input", p)
		}
	}
	// On disk too, marker included.
	a, b := t.TempDir(), t.TempDir()
	if err := first.Write(a); err != nil {
		t.Fatal(err)
	}
	if err := second.Write(b); err != nil {
		t.Fatal(err)
	}
	ma, _ := os.ReadFile(filepath.Join(a, MarkerFile))
	mb, _ := os.ReadFile(filepath.Join(b, MarkerFile))
	if !bytes.Equal(ma, mb) {
		t.Error("the build markers differ")
	}
}

func TestPagesCarryNoTimestampsGeneratorOrScripts(t *testing.T) {
	res := buildShipped(t)
	for name, data := range res.Files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, bad := range []string{`name="generator"`, "<script", "http://", "https://fonts", "cdn"} {
			if bytes.Contains(data, []byte(bad)) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

func TestPagesHaveLandmarksOneH1AndNoSkippedHeadingLevels(t *testing.T) {
	res := buildShipped(t)
	for name, data := range res.Files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		var h1, mains, headers, navs int
		lang := ""
		last := 0
		z := html.NewTokenizer(bytes.NewReader(data))
	scan:
		for {
			switch z.Next() {
			case html.ErrorToken:
				break scan
			case html.StartTagToken:
				tok := z.Token()
				switch tok.Data {
				case "html":
					for _, a := range tok.Attr {
						if a.Key == "lang" {
							lang = a.Val
						}
					}
				case "main":
					mains++
				case "header":
					headers++
				case "nav":
					navs++
				case "h1", "h2", "h3", "h4", "h5", "h6":
					level := int(tok.Data[1] - '0')
					if level == 1 {
						h1++
					}
					if level > last+1 {
						t.Errorf("%s: <%s> follows <h%d>", name, tok.Data, last)
					}
					last = level
				}
			}
		}
		if lang == "" || mains != 1 || h1 != 1 || headers == 0 || navs == 0 {
			t.Errorf("%s: lang=%q, %d <main>, %d <h1>, %d <header>, %d <nav>", name, lang, mains, h1, headers, navs)
		}
	}
}

func TestWriteReplacesItsOwnOutputAndKeepsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	old := &Result{Files: map[string][]byte{"index.html": []byte("old"), "gone/index.html": []byte("stale")}}
	if err := old.Write(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CNAME"), []byte("example.com"), 0o644); err != nil {
		t.Fatal(err)
	}
	next := &Result{Files: map[string][]byte{"index.html": []byte("new"), "a/b.html": []byte("b")}}
	if err := next.Write(dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"index.html": "new", "a/b.html": "b", "CNAME": "example.com"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "gone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale page's folder is still there: %v", err)
	}
}

func TestWriteRefusesFoldersItDidNotWrite(t *testing.T) {
	tests := []struct {
		name  string
		setup func(dir string)
	}{
		{"a folder with someone's files", func(dir string) {
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
		}},
		{"a marker not written by a build", func(dir string) {
			os.WriteFile(filepath.Join(dir, MarkerFile), []byte("hello\n"), 0o644)
		}},
		{"a previous build plus a user file where a page goes", func(dir string) {
			(&Result{Files: map[string][]byte{"old.html": nil}}).Write(dir)
			os.WriteFile(filepath.Join(dir, "index.html"), []byte("mine"), 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(dir)
			err := (&Result{Files: map[string][]byte{"index.html": []byte("site")}}).Write(dir)
			if !errors.Is(err, ErrNotBuildOutput) {
				t.Fatalf("Write = %v, want ErrNotBuildOutput", err)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "index.html")); string(got) == "site" {
				t.Error("Write wrote into a folder it refused")
			}
		})
	}
}

func TestBuildReadsAndWritesNothingOutsideItsFolders(t *testing.T) {
	home, cache, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("HUGO_TITLE", "from the environment") // Hugo must not read the environment
	content := copyContent(t)
	before := snapshotTree(t, content)
	res, err := Build(context.Background(), Options{Content: content})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(res.Files["index.html"], []byte("from the environment")) {
		t.Error("a HUGO_ environment variable changed the site")
	}
	for _, dir := range []string{home, cache, tmp} {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("the build wrote into %s: %v", dir, entries)
		}
	}
	if after := snapshotTree(t, content); !slices.Equal(before, after) {
		t.Errorf("the build changed the content folder:\n%v\n%v", before, after)
	}
}

func copyContent(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "content")
	if err := os.CopyFS(dst, os.DirFS(*contentDir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func snapshotTree(t testing.TB, root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestTemplatesFolderOverridesFileByFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		full := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("site/static/css/brand.css", "body { background: #fafafa; }")
	write("site/i18n/en.toml", strings.Replace(readDefault(t, "site/i18n/en.toml"), `clauseList = "The clauses"`, `clauseList = "Our promises"`, 1))
	fsys, err := templates.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(context.Background(), Options{Content: *contentDir, Templates: fsys})
	if err != nil {
		t.Fatal(err)
	}
	home := string(res.Files["index.html"])
	if !strings.Contains(home, "css/brand.css") || string(res.Files["css/brand.css"]) != "body { background: #fafafa; }" {
		t.Error("brand.css is not served and linked")
	}
	if !strings.Contains(home, "Our promises") {
		t.Error("the overridden string is not used")
	}
	if !strings.Contains(home, "css/site.css") {
		t.Error("the default stylesheet was lost")
	}
}

func TestALayoutErrorNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "site", "layouts"), 0o755)
	os.WriteFile(filepath.Join(dir, "site", "layouts", "clause.html"), []byte(`{{ define "main" }}{{ .Params.nope.deeper }}{{ end`), 0o644)
	fsys, _ := templates.Open(dir)
	_, err := Build(context.Background(), Options{Content: *contentDir, Templates: fsys, Log: io.Discard})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Build = %v, want a *BuildError", err)
	}
	if !strings.Contains(err.Error(), "clause.html") {
		t.Errorf("the error does not name the layout: %v", err)
	}
	if strings.Contains(err.Error(), hugoRoot) {
		t.Errorf("the error shows Hugo's in-memory paths: %v", err)
	}
}

func readDefault(t testing.TB, name string) string {
	data, err := templatesDefaultRead(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func templatesDefaultRead(name string) ([]byte, error) {
	f, err := templates.Default().Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func TestCheckLinksFindsBrokenLinksAndAnchors(t *testing.T) {
	files := map[string][]byte{
		"index.html":   []byte(`<a href="a/index.html#x">ok</a><a href="a/index.html#nope">bad anchor</a><a href="missing.html">gone</a><a href="a/">folder</a><a href="/abs.html">abs</a><a href="https://example.com/">ext</a>`),
		"a/index.html": []byte(`<h1 id="x">x</h1><a href="../index.html">up</a><a href="#y">self</a>`),
	}
	got := strings.Join(checkLinks(files), "\n")
	for _, want := range []string{"broken anchor a/index.html#nope", "broken link missing.html", "folder link a/", "root-relative link /abs.html", "broken anchor #y"} {
		if !strings.Contains(got, want) {
			t.Errorf("checkLinks missed %q; reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, "example.com") || strings.Contains(got, "#x") {
		t.Errorf("checkLinks reported a good link:\n%s", got)
	}
}

// TestRebuildInAnotherProcessIsByteIdentical compares a build with one
// made by a fresh process, where no Hugo cache or global state is shared.
func TestRebuildInAnotherProcessIsByteIdentical(t *testing.T) {
	if os.Getenv("EXITSITE_TEST_DIGEST") != "" {
		return
	}
	res := buildShipped(t)
	out := filepath.Join(t.TempDir(), "site")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriteBuild$", "-content="+*contentDir)
	cmd.Env = append(os.Environ(), "EXITSITE_TEST_DIGEST="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the second process failed: %v\n%s", err, msg)
	}
	for _, p := range res.Paths() {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, res.Files[p]) {
			t.Errorf("%s differs between processes (%v)", p, err)
		}
	}
}

func TestHelperWriteBuild(t *testing.T) {
	out := os.Getenv("EXITSITE_TEST_DIGEST")
	if out == "" {
		t.Skip("helper for TestRebuildInAnotherProcessIsByteIdentical")
	}
	if err := buildShipped(t).Write(out); err != nil {
		t.Fatal(err)
	}
}

func TestCoverageMatrixShowsAGapPlainly(t *testing.T) {
	content := copyContent(t)
	f, err := os.OpenFile(filepath.Join(content, "obligations.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`
- ref: data-act/99
  regulation: data-act
  article: "Art. 99"
  owed_by_provider: true
  duty:
    en: "An obligation no clause covers."
    nl: "Een verplichting die geen artikel regelt."
`)
	f.Close()
	// On 2027-02-01 the versions in force cover every other obligation.
	res, err := Build(context.Background(), Options{Content: content, AsOf: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	page := string(res.Files["coverage/index.html"])
	row := regexp.MustCompile(`(?s)<tr id="ob-data-act-99" class="gap">.*?</tr>`).FindString(page)
	if row == "" || !strings.Contains(row, "Not covered") {
		t.Errorf("the uncovered obligation is not marked as a gap:\n%s", row)
	}
	if !strings.Contains(page, "not covered by any current clause: 1") {
		t.Error("the matrix does not count the gap")
	}
}

func TestBaseURLMakesCanonicalAndJSONURLsAbsoluteAndKeepsLinksRelative(t *testing.T) {
	res, err := Build(context.Background(), Options{Content: *contentDir, BaseURL: "https://terms.example.com/exit/"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(res.Files["clauses/EM-1/index.html"], []byte(`<link rel="canonical" href="https://terms.example.com/exit/clauses/EM-1/">`)) {
		t.Error("no absolute canonical link")
	}
	if !bytes.Contains(res.Files["clauses.json"], []byte(`"url": "https://terms.example.com/exit/clauses/EM-1/v`)) {
		t.Error("clauses.json URLs are not absolute")
	}
	if problems := checkLinks(res.Files); len(problems) > 0 {
		t.Errorf("%d broken links with a base URL, first: %s", len(problems), problems[0])
	}
	if _, err := Build(context.Background(), Options{Content: *contentDir, BaseURL: "example.com"}); err == nil {
		t.Error("a base URL without a scheme was accepted")
	}
}

func TestBuildStopsOnClauseErrors(t *testing.T) {
	content := copyContent(t)
	file := filepath.Join(content, "clauses", "en", "EM-1-v1.0.0.md")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, append(data, []byte("\nAnd {{no_such_value}}.\n")...), 0o644)
	_, err = Build(context.Background(), Options{Content: content})
	var fe *clause.FindingsError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Build = %v, want a *clause.FindingsError", err)
	}
	found := false
	for _, f := range fe.Findings {
		found = found || (f.Severity == clause.SeverityError && strings.HasSuffix(f.File, "EM-1-v1.0.0.md"))
	}
	if !found {
		t.Errorf("no error names EM-1-v1.0.0.md: %v", fe.Findings)
	}
}

// TestVersionPagesSayWhatIsInForceOnTheBuildDay is the newcomer's EM-13
// case on 2026-12-01: 2.0.0 is published but takes effect on 12 January
// 2027, so 1.0.0 is the version in force.
func TestVersionPagesSayWhatIsInForceOnTheBuildDay(t *testing.T) {
	res := buildShipped(t)
	lib := loadShipped(t)
	text := func(p string) string {
		data, ok := res.Files[p]
		if !ok {
			t.Fatalf("no %s", p)
		}
		return html.UnescapeString(string(data))
	}
	tests := []struct{ page, want string }{
		{"clauses/EM-13/v2.0.0/index.html", "This version takes effect on 12 January 2027. Until then, version 1.0.0 is in force."},
		{"clauses/EM-13/v2.0.0/index.html", "2.0.0 (upcoming from 12 January 2027)"},
		{"clauses/EM-13/v1.0.0/index.html", "This version is in force."},
		{"clauses/EM-10/v1.0.0/index.html", "This version was superseded on 1 June 2026 by version 1.1.0."},
		{"clauses/EM-13/index.html", "Version 2.0.0 takes effect on 12 January 2027."},
		{"nl/clauses/EM-13/v2.0.0/index.html", "Deze versie wordt van kracht op 12 januari 2027. Tot dan is versie 1.0.0 van kracht."},
	}
	for _, tc := range tests {
		if !strings.Contains(text(tc.page), tc.want) {
			t.Errorf("%s does not say %q", tc.page, tc.want)
		}
	}
	if strings.Contains(text("clauses/EM-13/v2.0.0/index.html"), "This is the current version") {
		t.Error("an upcoming version says it is current")
	}
	// The clause page shows the text in force, with its fingerprint.
	r, err := lib.Find("EM-13", "1.0.0", "en").Render(lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text("clauses/EM-13/index.html"), r.Fingerprint) {
		t.Error("the EM-13 page does not show the fingerprint of 1.0.0, the version in force")
	}
	// A versioned permalink links to the permalinks of the versions in
	// force when it took effect, never to a moving clause page.
	v2 := text("clauses/EM-13/v2.0.0/index.html")
	if !strings.Contains(v2, `class="xref" href="../../../clauses/EM-10/v1.1.0/index.html"`) || strings.Contains(v2, `class="xref" href="../../../clauses/EM-10/index.html"`) {
		t.Error("EM-13 2.0.0 does not link to EM-10 1.1.0's permalink")
	}
}
