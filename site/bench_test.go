package site

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/templates"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// generateLibrary writes a content folder of n published English clauses
// (ids AA-1 ... in blocks of 500), each with a parameter, a cross-reference
// and a few paragraphs, and returns it with the clause bodies as plain
// Markdown, for the comparison with Hugo alone.
func generateLibrary(tb testing.TB, n int) (dir string, plain map[string]string) {
	tb.Helper()
	dir = tb.TempDir()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "clauses", "en"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(`provider: {name: Bench Cloud, address: "Somewhere 1", contact: "exit@bench.example", website: "https://bench.example"}
title: {en: "Exit terms"}
intro: {en: "A generated library for the benchmark."}
signing_keys: []
changelog: []
`), 0o644))
	must(os.WriteFile(filepath.Join(dir, "obligations.yaml"), []byte(`- ref: data-act/25/2/g
  regulation: data-act
  article: "Art. 25(2)(g)"
  owed_by_provider: true
  duty: {en: "A data retrieval period of at least 30 calendar days.", nl: "Ten minste 30 dagen."}
`), 0o644))
	id := func(i int) string {
		return fmt.Sprintf("%s-%d", []string{"AA", "AB", "AC", "AD", "AE", "AF"}[i/500], i%500+1)
	}
	plain = map[string]string{}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`%[1]d.1 The Provider keeps the Customer's data for the retrieval period of {{retrieval_period_days}} after the end of the transition, as set out in clause %[1]d.

%[1]d.2 During that period the Provider:

(a) keeps every export interface available;

(b) answers every question about the export within five working days; and

(c) charges nothing for access, except as agreed.

%[1]d.3 This clause works together with [[%[2]s]]. It survives the end of the Agreement.
`, i+1, id((i+1)%n))
		file := fmt.Sprintf(`---
id: %s
title: Generated Clause %d
version: 1.0.0
effective: 2026-01-12
status: published
lang: en
order: %d
covers: [data-act/25/2/g]
summary: A generated clause for the benchmark.
params:
  retrieval_period_days:
    type: days
    default: 60
    min: 30
    max: 365
    description: Days to retrieve data.
---
%s`, id(i), i+1, i+1, body)
		must(os.WriteFile(filepath.Join(dir, "clauses", "en", id(i)+"-v1.0.0.md"), []byte(file), 0o644))
		plain[id(i)] = strings.NewReplacer("{{retrieval_period_days}}", "60 days", "[["+id((i+1)%n)+"]]", "clause "+strconv.Itoa((i+1)%n+1)).Replace(body)
	}
	return dir, plain
}

// plainProject is the same clause texts as a Hugo site of Markdown pages
// with minimal layouts, one page per clause and one per version as in our
// site: what Hugo costs without exitkit's layer.
func plainProject(plain map[string]string) map[string][]byte {
	p := map[string][]byte{
		"hugo.toml":            []byte("baseURL = \"/\"\nrelativeURLs = true\ndisableKinds = [\"taxonomy\", \"term\", \"rss\", \"sitemap\", \"robotsTXT\"]\n"),
		"layouts/baseof.html":  []byte(`<!DOCTYPE html><html lang="en"><head><title>{{ .Title }}</title></head><body><main>{{ block "main" . }}{{ end }}</main></body></html>`),
		"layouts/page.html":    []byte(`{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}`),
		"layouts/section.html": []byte(`{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}`),
		"layouts/home.html":    []byte(`{{ define "main" }}<h1>{{ site.Title }}</h1>{{ end }}`),
	}
	// Our site has a page per clause and per clause version: so does this.
	for id, body := range plain {
		p["content/clauses/"+id+".md"] = []byte("---\ntitle: " + id + "\n---\n" + body)
		p["content/versions/"+id+"-v1.0.0.md"] = []byte("---\ntitle: " + id + " 1.0.0\n---\n" + body)
	}
	return p
}

// cpuTime is the CPU time this process has used, user and system: on a
// shared machine a fairer measure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS resets the kernel's peak resident set size of this process and
// returns a func reading it: the peak memory of what runs in between.
func peakRSS() func() float64 {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // Linux: reset VmHWM
	return func() float64 {
		f, err := os.Open("/proc/self/status")
		if err != nil {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return float64(ms.Sys) / (1 << 20)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				return kb / 1024
			}
		}
		return 0
	}
}

// BenchmarkBuild1000Clauses builds a generated library of 1,000 clauses
// (a clause page and a version page each, plus the index pages) and, in
// the same loop, Hugo alone building the same texts as plain Markdown.
// It reports both wall times, their ratio (the cost of exitkit's layer:
// loading, validating and rendering clauses, richer layouts) and the
// process's peak RSS during the exitkit build.
func BenchmarkBuild1000Clauses(b *testing.B) {
	dir, plain := generateLibrary(b, 1000)
	lib, err := clause.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range lib.Findings {
		if f.Severity == clause.SeverityError {
			b.Fatalf("generated library: %v", f)
		}
	}
	proj := plainProject(plain)
	var ours, hugo, oursCPU, hugoCPU time.Duration
	var peak float64
	pages := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		read := peakRSS()
		start, c := time.Now(), cpuTime()
		res, err := Build(context.Background(), Options{Content: dir, Templates: templates.Default()})
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		oursCPU += cpuTime() - c
		peak = max(peak, read())
		if i == 0 {
			if problems := checkLinks(res.Files); len(problems) > 0 {
				b.Fatalf("the generated site has %d broken links, first: %s", len(problems), problems[0])
			}
		}
		pages = 0
		for name := range res.Files {
			if strings.HasSuffix(name, ".html") {
				pages++
			}
		}

		runtime.GC()
		start, c = time.Now(), cpuTime()
		if _, err := runHugo(proj, nil); err != nil {
			b.Fatal(err)
		}
		hugo += time.Since(start)
		hugoCPU += cpuTime() - c
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(ours.Seconds()/n, "exitkit-s/op")
	b.ReportMetric(hugo.Seconds()/n, "hugo-plain-s/op")
	b.ReportMetric(ours.Seconds()/hugo.Seconds(), "wall-ratio")
	b.ReportMetric(oursCPU.Seconds()/n, "exitkit-cpu-s/op")
	b.ReportMetric(hugoCPU.Seconds()/n, "hugo-plain-cpu-s/op")
	b.ReportMetric(oursCPU.Seconds()/hugoCPU.Seconds(), "cpu-ratio")
	b.ReportMetric(peak, "peak-RSS-MiB")
	b.ReportMetric(float64(pages), "html-pages")
	b.ReportMetric(float64(len(proj)-5), "plain-md-pages")
}
