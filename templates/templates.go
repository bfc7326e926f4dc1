// Package templates holds the default HTML layouts and CSS: the legal
// website's Hugo layouts (site/), the per-customer module (module/) and a
// bundle's human-readable index (bundle/). They are compiled into the
// binaries so the commands work anywhere; a provider brands its output by
// pointing --templates at a folder whose files replace the defaults of the
// same path, one by one.
package templates

import (
	"embed"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
)

//go:embed all:site all:bundle all:module
var defaults embed.FS

// Default returns the embedded layouts.
func Default() fs.FS { return defaults }

// Open returns the embedded layouts overlaid with the files under dir:
// a file at dir/site/layouts/home.html replaces site/layouts/home.html.
// An empty dir means the defaults alone.
func Open(dir string) (fs.FS, error) {
	if dir == "" {
		return defaults, nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, &fs.PathError{Op: "open templates", Path: dir, Err: errors.New("not a folder")}
	}
	return overlay{top: os.DirFS(dir), base: defaults}, nil
}

// overlay serves a file from top when it exists there, else from base.
// Directory listings merge both.
type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if err == nil {
		info, serr := f.Stat()
		if serr == nil && !info.IsDir() {
			return f, nil
		}
		f.Close()
	}
	return o.base.Open(name)
}

func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	seen := map[string]bool{}
	var out []fs.DirEntry
	for _, fsys := range []fs.FS{o.top, o.base} {
		entries, err := fs.ReadDir(fsys, name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if !seen[e.Name()] {
				seen[e.Name()] = true
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		if _, err := fs.Stat(o.base, name); err != nil {
			if _, err2 := fs.Stat(o.top, name); err2 != nil {
				return nil, err
			}
		}
	}
	sortEntries(out)
	return out, nil
}

func sortEntries(es []fs.DirEntry) {
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}
