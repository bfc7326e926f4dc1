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
)

// Hostile output folders, made at test time: what someone with write
// access to a published folder could plant before the next build.

func site(files map[string]string) *Result {
	r := &Result{Files: map[string][]byte{}}
	for k, v := range files {
		r.Files[k] = []byte(v)
	}
	return r
}

func readOr(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(data)
}

func TestWriteNeverFollowsALinkInTheOutput(t *testing.T) {
	for _, tt := range []struct {
		name  string
		plant func(t *testing.T, out, outside string)
	}{
		{"a folder of the site replaced by a link out", func(t *testing.T, out, outside string) {
			os.RemoveAll(filepath.Join(out, "css"))
			os.Symlink(outside, filepath.Join(out, "css"))
		}},
		{"a page replaced by a link to a file outside", func(t *testing.T, out, outside string) {
			os.Remove(filepath.Join(out, "index.html"))
			os.Symlink(filepath.Join(outside, "victim.txt"), filepath.Join(out, "index.html"))
		}},
		{"a stale page replaced by a link to a file outside", func(t *testing.T, out, outside string) {
			os.Remove(filepath.Join(out, "old.html"))
			os.Symlink(filepath.Join(outside, "victim.txt"), filepath.Join(out, "old.html"))
		}},
		{"a planted marker listing a file behind a link", func(t *testing.T, out, outside string) {
			os.Symlink(outside, filepath.Join(out, "evil"))
			appendMarker(t, out, sum([]byte("precious outside")), "evil/victim.txt")
		}},
		{"the marker itself a link", func(t *testing.T, out, outside string) {
			os.Rename(filepath.Join(out, MarkerFile), filepath.Join(outside, MarkerFile))
			os.Symlink(filepath.Join(outside, MarkerFile), filepath.Join(out, MarkerFile))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, outside := filepath.Join(t.TempDir(), "public"), t.TempDir()
			os.WriteFile(filepath.Join(outside, "victim.txt"), []byte("precious outside"), 0o644)
			if err := site(map[string]string{"index.html": "v1", "old.html": "old", "css/site.css": "a{}"}).Write(out); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, out, outside)
			err := site(map[string]string{"index.html": "v2", "css/site.css": "b{}"}).Write(out)
			if !errors.Is(err, ErrLink) && !errors.Is(err, ErrNotBuildOutput) {
				t.Fatalf("Write = %v, want a refusal", err)
			}
			if got := readOr(filepath.Join(outside, "victim.txt")); got != "precious outside" {
				t.Errorf("the file outside --out is now %q", got)
			}
			if _, err := os.Stat(filepath.Join(outside, "site.css")); err == nil {
				t.Error("Write wrote site.css outside --out")
			}
		})
	}
}

func TestWriteRefusesAnOutputFolderThatIsALink(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "public")
	os.Symlink(real, link)
	if err := site(map[string]string{"index.html": "x"}).Write(link); !errors.Is(err, ErrLink) {
		t.Fatalf("Write = %v, want ErrLink", err)
	}
	if entries, _ := os.ReadDir(real); len(entries) > 0 {
		t.Errorf("Write wrote through the link: %v", entries)
	}
}

func appendMarker(t *testing.T, out, hash, p string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(out, MarkerFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(hash + "  " + p + "\n")
}

func TestAPlantedMarkerCannotMakeTheBuildDeleteOrReplaceAFile(t *testing.T) {
	for _, tt := range []struct {
		name, file, hash string
	}{
		{"a user's file listed without its hash", "thesis.docx", "-"},
		{"a user's file listed with a wrong hash", "thesis.docx", strings.Repeat("ab", 32)},
		{"a user's file where the next build writes a page", "index.html", strings.Repeat("cd", 32)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			os.WriteFile(filepath.Join(out, tt.file), []byte("precious"), 0o644)
			os.WriteFile(filepath.Join(out, MarkerFile), []byte(markerHeader+tt.hash+"  "+tt.file+"\n"), 0o644)
			err := site(map[string]string{"index.html": "site", "css/site.css": "a{}"}).Write(out)
			if !errors.Is(err, ErrNotBuildOutput) || !strings.Contains(err.Error(), tt.file) {
				t.Fatalf("Write = %v, want ErrNotBuildOutput naming %s", err, tt.file)
			}
			if got := readOr(filepath.Join(out, tt.file)); got != "precious" {
				t.Errorf("%s is now %q", tt.file, got)
			}
		})
	}
}

func TestWriteKeepsAPageEditedSinceTheLastBuild(t *testing.T) {
	out := t.TempDir()
	if err := site(map[string]string{"index.html": "v1", "about.html": "a"}).Write(out); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "about.html"), []byte("hand-edited"), 0o644)
	err := site(map[string]string{"index.html": "v2"}).Write(out)
	if !errors.Is(err, ErrNotBuildOutput) || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("Write = %v, want a refusal saying about.html changed", err)
	}
	if readOr(filepath.Join(out, "about.html")) != "hand-edited" || readOr(filepath.Join(out, "index.html")) != "v1" {
		t.Error("Write touched the folder it refused")
	}
}

func TestAnInterruptedBuildIsCleanedUpByTheNext(t *testing.T) {
	out := t.TempDir()
	if err := site(map[string]string{"index.html": "v1", "old.html": "old"}).Write(out); err != nil {
		t.Fatal(err)
	}
	// As an interrupted Write leaves it: the interim marker, one page new.
	root, _ := os.OpenRoot(out)
	writeMarker(root, map[string][]string{"index.html": {sum([]byte("v1")), sum([]byte("v2"))}, "old.html": {sum([]byte("old"))}, "new.html": {sum([]byte("new"))}})
	root.Close()
	os.WriteFile(filepath.Join(out, "index.html"), []byte("v2"), 0o644)
	if err := site(map[string]string{"index.html": "v3", "new.html": "new"}).Write(out); err != nil {
		t.Fatal(err)
	}
	if readOr(filepath.Join(out, "index.html")) != "v3" || readOr(filepath.Join(out, "new.html")) != "new" {
		t.Error("the next build did not finish the site")
	}
	if _, err := os.Stat(filepath.Join(out, "old.html")); err == nil {
		t.Error("the stale page is still there")
	}
	marker := readOr(filepath.Join(out, MarkerFile))
	if strings.Count(marker, "\n") != 3 || !strings.Contains(marker, sum([]byte("v3"))+"  index.html\n") {
		t.Errorf("the marker after a full build:\n%s", marker)
	}
}

// TestContentIsDataNotTemplates builds hostile content: shortcodes, raw
// HTML and script in every text a legal team writes, and then reads every
// built page: nothing of it may run.
func TestContentIsDataNotTemplates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "content")
	if err := os.CopyFS(dir, os.DirFS("module/testdata/lib")); err != nil {
		t.Fatal(err)
	}
	hostile := "Welcome. {{< youtube dQw4w9WgXcQ >}} {{% youtube dQw4w9WgXcQ %}} {{< param provider >}} " +
		"<script>alert(1)</script> <iframe src=\"https://evil.example/\"></iframe> <SCRIPT SRC=//evil.example/x.js></SCRIPT> " +
		"[click](javascript:alert(1)) `{{< youtube inline-code >}}`"
	siteYAML := strings.Replace(readOr(filepath.Join(dir, "site.yaml")), `intro: {en: "Fixture.", nl: "Fixture."}`,
		"intro:\n  en: |\n    "+hostile+"\n  nl: |\n    "+hostile+"\n", 1)
	os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(siteYAML), 0o644)
	for _, lang := range []string{"en", "nl"} {
		f := filepath.Join(dir, "clauses", lang, "FX-2-v1.0.0.md")
		// The clause syntax itself refuses {{< >}} in a body; raw HTML it
		// must drop.
		rawHTML := "<script>alert(1)</script> <iframe src=\"https://evil.example/\"></iframe> [click](javascript:alert(1))"
		body := readOr(f) + "\n\n2.3 " + rawHTML + "\n\n<iframe src=\"https://evil.example/\"></iframe>\n"
		body = strings.Replace(body, "status: published", "status: published\nsummary: \""+strings.ReplaceAll(hostile, `"`, `\"`)+"\"", 1)
		os.WriteFile(f, []byte(body), 0o644)
	}
	lib, err := clause.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := BuildLibrary(context.Background(), lib, Options{})
	if err != nil {
		t.Fatalf("build of the hostile content: %v", err)
	}
	bad := regexp.MustCompile(`(?i)<\s*(script|iframe)|youtube\.com|href="javascript:|src="[a-z]+:`)
	pages := 0
	for name, data := range res.Files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		pages++
		if m := bad.Find(data); m != nil {
			t.Errorf("%s contains %q", name, m)
		}
	}
	if pages < 5 {
		t.Fatalf("only %d pages built", pages)
	}
	home := string(res.Files["index.html"])
	if !strings.Contains(home, "Welcome.") || !strings.Contains(home, "youtube dQw4w9WgXcQ") {
		t.Errorf("the intro is not shown as text:\n%s", home)
	}
}

func TestShippedSiteHasNoScriptOrIframe(t *testing.T) {
	res := buildShipped(t)
	bad := regexp.MustCompile(`(?i)<\s*(script|iframe)`)
	for name, data := range res.Files {
		if strings.HasSuffix(name, ".html") && bad.Match(data) {
			t.Errorf("%s has a <script> or <iframe>", name)
		}
	}
}

// FuzzPreviousBuild reads planted markers: whatever one says, the reader
// returns only local paths with well-formed hashes, or an error.
func FuzzPreviousBuild(f *testing.F) {
	f.Add([]byte(markerHeader + strings.Repeat("ab", 32) + "  index.html\n-  old.html\n"))
	f.Add([]byte(markerHeader + "x  ../../etc/passwd\n"))
	f.Add([]byte("hello\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, MarkerFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		files, err := previousBuild(root, dir)
		if err != nil {
			return
		}
		for p, sums := range files {
			if !filepath.IsLocal(filepath.FromSlash(p)) || p == MarkerFile {
				t.Fatalf("accepted path %q", p)
			}
			for _, s := range sums {
				if !isHex64(s) {
					t.Fatalf("accepted hash %q", s)
				}
			}
		}
	})
}
