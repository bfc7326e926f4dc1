package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/lint"
	"github.com/exitkit/exitkit/site/clause/lock"
	"github.com/exitkit/exitkit/templates"
)

// ServeOptions says what to preview.
type ServeOptions struct {
	Content      string        // the content folder, watched
	TemplatesDir string        // a --templates folder, watched; "" for the defaults
	Log          io.Writer     // rebuilds, errors and lint findings, for the terminal
	Poll         time.Duration // how often to look for changes; 0 means 300ms
	// AsOf is the day whose versions in force the preview marks current,
	// and whose versions unpinned profiles are linted with; zero means
	// today, on every rebuild.
	AsOf time.Time
}

// Serve previews the site on ln until ctx is cancelled. It rebuilds when a
// file under the content or templates folder changes (clauses, profiles,
// obligations, layouts), and open pages reload themselves through a small
// script that only the preview adds. A build error is shown in place of
// every page, and lint findings (of 'exitsite check', profiles included)
// in a banner on every page, so the server keeps running while the legal
// team fixes them.
func Serve(ctx context.Context, ln net.Listener, opts ServeOptions) error {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Poll <= 0 {
		opts.Poll = 300 * time.Millisecond
	}
	s := &server{opts: opts, changed: make(chan struct{})}
	// The first snapshot is taken before the first build, so a change made
	// while it runs triggers another.
	last := s.snapshot()
	s.rebuild(ctx)

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go s.watch(ctx, last)

	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.close()
		_ = srv.Shutdown(shutdown)
		return nil
	case err := <-errc:
		s.close()
		return fmt.Errorf("serve: %w", err)
	}
}

type server struct {
	opts ServeOptions

	mu       sync.Mutex
	version  int
	files    map[string][]byte
	buildErr error
	findings []clause.Finding
	changed  chan struct{} // closed and replaced on every rebuild
	closed   bool
}

func (s *server) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.changed)
	}
}

// rebuild builds the site and lints the library with every profile.
func (s *server) rebuild(ctx context.Context) {
	start := time.Now()
	var (
		files    map[string][]byte
		findings []clause.Finding
	)
	err := func() error {
		tpl, err := templates.Open(s.opts.TemplatesDir)
		if err != nil {
			return fmt.Errorf("--templates: %w", err)
		}
		lib, err := clause.Load(s.opts.Content)
		if err != nil {
			return err
		}
		lock.Apply(lib)
		profiles, unparsed, err := clause.LoadProfiles(s.opts.Content, nil)
		if err != nil {
			return err
		}
		for _, p := range profiles {
			p.AsOf = s.opts.AsOf
		}
		findings = append(unparsed, lint.Check(lib, profiles)...)
		res, err := BuildLibrary(ctx, lib, Options{Templates: tpl, Log: s.opts.Log, AsOf: s.opts.AsOf})
		if err != nil {
			return err
		}
		files = res.Files
		return nil
	}()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.version++
	s.buildErr = err
	s.findings = findings
	if err == nil {
		s.files = files
		noun := "files"
		if len(files) == 1 {
			noun = "file"
		}
		fmt.Fprintf(s.opts.Log, "built %d %s in %v\n", len(files), noun, time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Fprintf(s.opts.Log, "build failed: %v\n", err)
		var fe *clause.FindingsError
		if errors.As(err, &fe) {
			s.findings = fe.Findings
		}
	}
	for _, f := range s.findings {
		if f.Severity != clause.SeverityInfo {
			fmt.Fprintln(s.opts.Log, f)
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// watch polls the watched folders and rebuilds on any change. Polling
// needs no platform support, sees editors' rename-on-save, and a legal
// library is small.
func (s *server) watch(ctx context.Context, last [32]byte) {
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if cur := s.snapshot(); cur != last {
			last = cur
			s.rebuild(ctx)
		}
	}
}

// snapshot digests the names, sizes and modification times of every file
// under the watched folders.
func (s *server) snapshot() [32]byte {
	h := sha256.New()
	for _, root := range []string{s.opts.Content, s.opts.TemplatesDir} {
		if root == "" {
			continue
		}
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, info.Size(), info.ModTime().UnixNano())
			return nil
		})
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

const waitPath = "/__exitsite/wait"

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == waitPath {
		s.wait(w, r)
		return
	}
	s.mu.Lock()
	version, files, buildErr, findings := s.version, s.files, s.buildErr, s.findings
	s.mu.Unlock()

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if strings.HasSuffix(r.URL.Path, "/") || name == "" {
		name = path.Join(name, "index.html")
	}
	data, ok := files[name]
	if !ok && files[path.Join(name, "index.html")] != nil {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if buildErr != nil && (ctype == "" || strings.HasPrefix(ctype, "text/html")) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, errorPage(buildErr, findings, version))
		return
	}
	if !ok {
		data, ok = files["404.html"]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write(inject(data, findings, version))
		return
	}
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasPrefix(ctype, "text/html") {
		data = inject(data, findings, version)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

// wait answers when the site's version differs from ?v=, or after 25
// seconds with the same version: the reload script's long poll.
func (s *server) wait(w http.ResponseWriter, r *http.Request) {
	seen, _ := strconv.Atoi(r.URL.Query().Get("v"))
	timer := time.NewTimer(25 * time.Second)
	defer timer.Stop()
	for {
		s.mu.Lock()
		version, changed, closed := s.version, s.changed, s.closed
		s.mu.Unlock()
		if version != seen || closed {
			break
		}
		select {
		case <-changed:
			continue
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
		break
	}
	s.mu.Lock()
	version := s.version
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, version)
}

// reloadScript is the only JavaScript of the preview; the built site has none.
func reloadScript(version int) string {
	return `<script>/* exitsite serve: reload on change */(function(){var v=` + strconv.Itoa(version) +
		`;function w(){fetch("` + waitPath + `?v="+v,{cache:"no-store"}).then(function(r){return r.text()}).then(function(t){if(t!==String(v)){location.reload()}else{w()}}).catch(function(){setTimeout(w,1000)})}w()})();</script>`
}

const bannerStyle = `position:sticky;top:0;z-index:100;margin:0;padding:.6rem 1rem;font:14px/1.4 system-ui,sans-serif;background:#fff3e6;color:#5c2700;border-bottom:2px solid #8a3b00;max-height:40vh;overflow:auto;white-space:pre-wrap`

// inject adds the findings banner after <body> and the reload script
// before </body>.
func inject(page []byte, findings []clause.Finding, version int) []byte {
	var banner bytes.Buffer
	var shown []clause.Finding
	for _, f := range findings {
		if f.Severity != clause.SeverityInfo {
			shown = append(shown, f)
		}
	}
	if len(shown) > 0 {
		fmt.Fprintf(&banner, `<div id="exitsite-findings" role="status" style="%s"><strong>exitsite check: %d finding(s)</strong>`, bannerStyle, len(shown))
		for _, f := range shown {
			banner.WriteString("\n" + html.EscapeString(f.String()))
		}
		banner.WriteString("</div>")
	}
	out := make([]byte, 0, len(page)+banner.Len()+512)
	rest := page
	if i := bytes.Index(rest, []byte("<body")); i >= 0 {
		if j := bytes.IndexByte(rest[i:], '>'); j >= 0 {
			out = append(out, rest[:i+j+1]...)
			out = append(out, banner.Bytes()...)
			rest = rest[i+j+1:]
		}
	}
	script := []byte(reloadScript(version))
	if i := bytes.LastIndex(rest, []byte("</body>")); i >= 0 {
		out = append(out, rest[:i]...)
		out = append(out, script...)
		return append(out, rest[i:]...)
	}
	out = append(out, rest...)
	return append(out, script...)
}

func errorPage(err error, findings []clause.Finding, version int) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Build failed · exitsite serve</title></head><body style="font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem">`)
	b.WriteString(`<main><h1 style="color:#a4161a">The site did not build</h1><p>Fix the problem below and save: this page reloads by itself.</p>`)
	fmt.Fprintf(&b, `<pre id="exitsite-error" style="white-space:pre-wrap;background:#fdecec;padding:1rem;border-left:4px solid #a4161a">%s</pre>`, html.EscapeString(err.Error()))
	if len(findings) > 0 {
		b.WriteString(`<h2>Findings</h2><pre style="white-space:pre-wrap;background:#f4f6f9;padding:1rem">`)
		for _, f := range findings {
			b.WriteString(html.EscapeString(f.String()) + "\n")
		}
		b.WriteString("</pre>")
	}
	b.WriteString("</main>")
	b.WriteString(reloadScript(version))
	b.WriteString("</body></html>")
	return b.String()
}
