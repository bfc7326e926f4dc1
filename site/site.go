// Package site publishes the clause library as a website, with Hugo.
//
// Call Build to render the site in memory from a content folder, then
// Result.Write to put it in an output folder; Serve does the same on every
// change and serves the result for a live preview. The per-customer module
// is not part of the site: see package site/module.
//
// The site is a Hugo project laid out from the library (one page per
// clause, per clause version and per redline, plus the compliance matrix,
// glossary, change log and signing-key pages) and built in-process by Hugo
// in an in-memory filesystem, so nothing is read from or written to disk
// outside the content folder, the templates folder and the output folder.
// Its layouts, CSS and interface strings are the site/ folder of package
// templates, laid out as a Hugo project: site/layouts/ (Hugo templates;
// each page names its layout: clause, version, redline, clauses, coverage,
// glossary, changes, keys), site/static/css/site.css (with a print
// stylesheet), site/i18n/<lang>.toml. A --templates folder replaces any of
// them file by file; site/static/css/brand.css, when given, is linked after
// the default stylesheet. Every page's data is in its front matter params
// (see project.go), so a layout needs no logic beyond presentation.
//
// Output is a pure function of the input: the same content, templates and
// AsOf day give byte-identical files, so a published site can be rebuilt
// and compared, and a diff of two builds shows only real changes. The day
// matters because "current" means in force: a version published ahead of
// its effective date is shown as upcoming until that day.
package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"time"

	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/lock"
	"github.com/exitkit/exitkit/templates"
)

// Options says what to build.
type Options struct {
	Content   string // the content folder for Build: clauses/, obligations.yaml, site.yaml
	Templates fs.FS  // from templates.Open; nil means the embedded defaults
	BaseURL   string // e.g. https://example.com/exit/; empty for a site that works from any folder
	// AsOf is the day whose versions in force the site marks current (and
	// later ones upcoming); zero means today, in UTC.
	AsOf time.Time
	Log  io.Writer
}

// Result is a built site, in memory.
type Result struct {
	Files    map[string][]byte // slash-separated paths relative to the site root
	Warnings []clause.Finding  // findings that did not stop the build
}

// Paths lists the built files in order.
func (r *Result) Paths() []string { return slices.Sorted(maps.Keys(r.Files)) }

// ErrInvalid reports clause files with errors: the site is not built from
// terms that do not validate. The findings say what to fix.
var ErrInvalid = errors.New("the clause library has errors")

// ErrModuleInSite reports a file of the site that is a customer's
// contract module: modules are per customer and never published.
var ErrModuleInSite = errors.New("a customer module would be published with the site")

// moduleMarker is the meta element every exitsite module carries (see
// package internal/terms).
const moduleMarker = "exitkit:module-fingerprint"

// noModules refuses a site that would publish a module, e.g. one copied
// into a --templates folder's site/static/.
func noModules(files map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if bytes.Contains(files[name], []byte(moduleMarker)) {
			return fmt.Errorf("%w: %s is an exitsite module (it carries %s); modules are per customer: remove it from the templates or content", ErrModuleInSite, name, moduleMarker)
		}
	}
	return nil
}

// Build loads the library from opts.Content and renders the site. Clause
// files with errors stop it with a *clause.FindingsError; warnings are returned
// in Result.Warnings.
func Build(ctx context.Context, opts Options) (*Result, error) {
	lib, err := clause.Load(opts.Content)
	if err != nil {
		return nil, err // it names the folder and what is wrong with it
	}
	lock.Apply(lib)
	return BuildLibrary(ctx, lib, opts)
}

// BuildLibrary renders the site of an already loaded library (loaded with
// clause.Load, then lock.Apply, so that a changed published version stops
// it).
func BuildLibrary(ctx context.Context, lib *clause.Library, opts Options) (*Result, error) {
	var warnings, errs []clause.Finding
	for _, f := range lib.Findings {
		if f.Severity == clause.SeverityError {
			errs = append(errs, f)
		} else {
			warnings = append(warnings, f)
		}
	}
	if len(errs) > 0 {
		return nil, &clause.FindingsError{Err: ErrInvalid, Findings: lib.Findings, Fix: "run 'exitsite check' for details"}
	}
	tpl := opts.Templates
	if tpl == nil {
		tpl = templates.Default()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	asOf := opts.AsOf
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	proj, err := layout(lib, tpl, opts.BaseURL, asOf)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := runHugo(proj, opts.Log)
	if err != nil {
		return nil, err
	}
	if opts.BaseURL != "" {
		if err := absoluteLinks(files, opts.BaseURL); err != nil {
			return nil, err
		}
	}
	if err := noModules(files); err != nil {
		return nil, err
	}
	return &Result{Files: files, Warnings: warnings}, nil
}
