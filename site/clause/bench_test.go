package clause

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yuin/goldmark"

	"github.com/exitkit/exitkit/site/clause/yamlpos"
)

// benchInstances returns 1,000 clause files (the shipped library's, or the
// fixture's, repeated) with their languages.
func benchInstances(b *testing.B) (files [][]byte, langs []string, total int64) {
	b.Helper()
	paths, _ := filepath.Glob(filepath.Join(contentDir, "clauses", "*", "*.md"))
	if len(paths) == 0 {
		paths, _ = filepath.Glob(filepath.Join("testdata", "lib", "clauses", "*", "*.md"))
	}
	for i := 0; len(files) < 1000; i++ {
		p := paths[i%len(paths)]
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		langs = append(langs, filepath.Base(filepath.Dir(p)))
		total += int64(len(data))
	}
	return files, langs, total
}

// BenchmarkRenderValidate1000 parses, validates and renders 1,000 clause
// instances in both views (HTML, canonical text, fingerprint): the work of
// exitsite check plus a site build. Compare with BenchmarkGoldmarkPlain1000.
func BenchmarkRenderValidate1000(b *testing.B) {
	files, langs, total := benchInstances(b)
	lib := load(b, contentDir)
	prof := &Profile{Values: map[string]any{}}
	ids := map[string]bool{}
	for _, c := range lib.Clauses {
		ids[c.ID] = true
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, data := range files {
			c, _ := parseClause("bench.md", data, langs[i])
			if c == nil {
				b.Fatal("unparsable clause")
			}
			_ = c.validateBody(lib, ids)
			if _, err := c.Render(lib, nil); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Render(lib, prof); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGoldmarkPlain1000 renders the same 1,000 bodies to HTML with
// stock goldmark, twice (as the two views above), without the extension.
func BenchmarkGoldmarkPlain1000(b *testing.B) {
	files, _, total := benchInstances(b)
	bodies := make([][]byte, len(files))
	for i, data := range files {
		_, start, ok := yamlpos.SplitFrontMatter(yamlpos.Normalize(data))
		if !ok {
			b.Fatal("no front matter")
		}
		bodies[i] = yamlpos.Normalize(data)[start:]
	}
	md := goldmark.New()
	var buf bytes.Buffer
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, body := range bodies {
			for range 2 {
				buf.Reset()
				if err := md.Convert(body, &buf); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkOverheadRatio runs both workloads above alternately in each
// iteration, so a busy machine slows both alike, and reports the time of
// ours over stock goldmark's as "x-goldmark".
func BenchmarkOverheadRatio(b *testing.B) {
	files, langs, _ := benchInstances(b)
	lib := load(b, contentDir)
	prof := &Profile{Values: map[string]any{}}
	ids := map[string]bool{}
	for _, c := range lib.Clauses {
		ids[c.ID] = true
	}
	md := goldmark.New()
	var buf bytes.Buffer
	var ours, stock time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		for i, data := range files {
			c, _ := parseClause("bench.md", data, langs[i])
			_ = c.validateBody(lib, ids)
			_, _ = c.Render(lib, nil)
			_, _ = c.Render(lib, prof)
		}
		t1 := time.Now()
		for _, data := range files {
			data = yamlpos.Normalize(data)
			_, start, _ := yamlpos.SplitFrontMatter(data)
			for range 2 {
				buf.Reset()
				_ = md.Convert(data[start:], &buf)
			}
		}
		ours += t1.Sub(t0)
		stock += time.Since(t1)
	}
	b.ReportMetric(float64(ours)/float64(stock), "x-goldmark")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
	b.ReportMetric(float64(stock.Nanoseconds())/float64(b.N), "goldmark-ns/op")
}
