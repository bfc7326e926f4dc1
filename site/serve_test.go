package site

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe serves a copy of the shipped content and returns its URL,
// the copy's folder and the templates folder it watches.
func startServe(t *testing.T) (base, content, tpl string) {
	t.Helper()
	return startServeAsOf(t, time.Time{})
}

// startServeAsOf is startServe previewing the site as on day asOf.
func startServeAsOf(t *testing.T, asOf time.Time) (base, content, tpl string) {
	t.Helper()
	content = copyContent(t)
	tpl = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, ServeOptions{Content: content, TemplatesDir: tpl, Log: io.Discard, Poll: 50 * time.Millisecond, AsOf: asOf})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after Ctrl-C: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), content, tpl
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// eventually polls url until its body contains want; it fails after a
// generous deadline, which bounds a hang rather than measuring speed.
func eventually(t *testing.T, url, want string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := get(t, url)
		if strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q; last body:\n%.2000s", url, want, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var titleLine = regexp.MustCompile(`(?m)^title: .*$`)

func TestServeShowsAnEditedClause(t *testing.T) {
	base, content, _ := startServe(t)
	code, body := get(t, base+"/clauses/EM-1/")
	if code != http.StatusOK || !strings.Contains(body, "<h1>") {
		t.Fatalf("GET /clauses/EM-1/ = %d\n%.500s", code, body)
	}
	if !strings.Contains(body, "/__exitsite/wait") {
		t.Error("the preview page lacks its reload script")
	}
	// Edit every English version, so the page shows the edit whichever
	// version is current.
	files, _ := filepath.Glob(filepath.Join(content, "clauses", "en", "EM-1-v*.md"))
	if len(files) == 0 {
		t.Fatal("no EM-1 clause in the shipped content")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		edited := titleLine.ReplaceAll(data, []byte("title: Words We Define Carefully"))
		if err := os.WriteFile(file, edited, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// EM-1 1.0.0 is published and locked: the preview says so instead.
	eventually(t, base+"/clauses/EM-1/", "published-changed")
	// Without the lock (a library before its first lock), the edit shows.
	if err := os.Remove(filepath.Join(content, "versions.lock")); err != nil {
		t.Fatal(err)
	}
	eventually(t, base+"/clauses/EM-1/", "Words We Define Carefully")
}

func TestServeShowsATemplateErrorAndRecovers(t *testing.T) {
	base, _, tpl := startServe(t)
	eventually(t, base+"/", "<main")
	layout := filepath.Join(tpl, "site", "layouts", "home.html")
	os.MkdirAll(filepath.Dir(layout), 0o755)
	if err := os.WriteFile(layout, []byte(`{{ define "main" }}{{ if }}{{ end }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	body := eventually(t, base+"/", "The site did not build")
	if !strings.Contains(body, "home.html") {
		t.Errorf("the error page does not name the layout:\n%.2000s", body)
	}
	if err := os.WriteFile(layout, []byte(`{{ define "main" }}<h1>Fixed home</h1>{{ end }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, base+"/", "Fixed home")
}

func TestServeWaitAnswersWhenTheSiteChanges(t *testing.T) {
	base, content, _ := startServe(t)
	_, v := get(t, base+waitPath+"?v=-1") // differs from any version: answers at once
	done := make(chan string, 1)
	go func() {
		// Each wait answers after a change or a 25-second timeout; a
		// loaded machine may need more than one.
		for range 4 {
			resp, err := http.Get(base + waitPath + "?v=" + v)
			if err != nil {
				done <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != v {
				done <- string(b)
				return
			}
		}
		done <- v
	}()
	f := filepath.Join(content, "site.yaml")
	data, _ := os.ReadFile(f)
	os.WriteFile(f, append(data, []byte("\n# touched\n")...), 0o644)
	select {
	case got := <-done:
		if got == v {
			t.Errorf("wait answered with the old version %s", v)
		}
	case <-time.After(120 * time.Second):
		t.Fatal("wait did not answer after a change")
	}
}

func TestServeShowsLintFindingsOfAProfileInABanner(t *testing.T) {
	base, content, _ := startServe(t)
	eventually(t, base+"/", "<main")
	data, err := os.ReadFile(filepath.Join(content, "profiles", "bank.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "retrieval_period_days: 90", "retrieval_period_days: 3", 1)
	if bad == string(data) {
		t.Skip("bank.yaml no longer sets retrieval_period_days: 90")
	}
	os.WriteFile(filepath.Join(content, "profiles", "bank.yaml"), []byte(bad), 0o644)
	body := eventually(t, base+"/", "DA-RETRIEVAL-MIN")
	if !strings.Contains(body, `id="exitsite-findings"`) || !strings.Contains(body, "bank.yaml") {
		t.Errorf("the banner does not name the profile:\n%.3000s", body)
	}
}

func TestServeAsOfPreviewsTheVersionsInForceOnThatDay(t *testing.T) {
	base, _, _ := startServeAsOf(t, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	eventually(t, base+"/clauses/EM-13/v2.0.0/", "This version is in force.")
	eventually(t, base+"/clauses/EM-13/v1.0.0/", "This version was superseded on 12 January 2027 by version 2.0.0.")
}
