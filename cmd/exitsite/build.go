package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site"
)

func newBuildCmd() *cobra.Command {
	var (
		content, tpl, out, baseURL string
		asOf                       asOfFlag
	)
	cmd := &cobra.Command{
		Use:   "build [--content DIR] [--templates DIR] [--out DIR] [--base-url URL] [--as-of DATE]",
		Short: "Publish the clause library as a static legal website",
		Long: `build renders the clause library into a static website, in every language
that has published clauses (English at the root, Dutch under /nl/):

  /                               the exit commitments and the list of clauses
  /clauses/<id>/                  each clause at the version in force today
                                  (library view: values as placeholders with their
                                  defaults), summary, effective date, fingerprint
                                  and the regulations it covers
  /clauses/<id>/v<version>/       every published and superseded version, never
                                  moved or changed, linked to its predecessor and
                                  successor, marked in force, upcoming from its
                                  effective date, or superseded on its successor's
  /clauses/<id>/v<version>/redline/  changes from the previous version
  /coverage/                      the compliance matrix: each Data Act, DORA, EBA
                                  and GDPR obligation against the clauses meeting it
  /glossary/  /changes/  /signing-keys/
  /clauses.json                   every clause version for machines

Drafts never appear. "Current" means in force: a version published ahead of
its effective date is shown as upcoming until that day, so the site depends
on the day it is built (today, or --as-of DATE); rebuild it when a version
takes effect. The site needs no JavaScript and no network: open index.html
from a folder or a USB stick, or serve the folder from any web server. The
same input and day always give byte-identical output.

A published version must never change: build stops when a version locked in
DIR/versions.lock has a new text (see 'exitsite check --write-lock').

The layouts, CSS and interface strings are built in. To brand the site, pass
--templates DIR where DIR/site/ mirrors the built-in files you want to
replace, e.g. DIR/site/static/css/brand.css (extra CSS, loaded after the
default), DIR/site/static/css/site.css, DIR/site/layouts/home.html or
DIR/site/i18n/nl.toml. Files you do not provide keep their default.

--out must be a new or empty folder, or the output of an earlier build (it
holds a .exitsite-build file listing, in sha256sum format, every file the
build wrote and its sha256). build replaces or removes only files that are
still exactly what it wrote before, never deletes anything else, and never
follows a symbolic link inside --out. .exitsite-build holds only the names
and hashes of the public files; leave it out when publishing if you like
(rsync --exclude .exitsite-build), but keep it in --out.

Content is data: Hugo shortcodes, templates or raw HTML in site.yaml or the
clauses never run, and no page has a <script> or <iframe>. Customer modules
are never published. With --base-url, 404.html links absolutely, so a web
server can show it for any missing address.

Exit status: 0 on success, 1 when clause files have errors (see
'exitsite check'), 2 for usage errors, unreadable input or a template error.`,
		Example: `  exitsite build
  exitsite build --content content --out public --base-url https://example.com/exit/
  exitsite build --templates branding --out /media/usb/exit-terms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fsys, err := openTemplates(tpl)
			if err != nil {
				return err
			}
			lib, err := loadLibrary(content)
			if err != nil {
				return err
			}
			res, err := site.BuildLibrary(cmd.Context(), lib, site.Options{
				Templates: fsys, BaseURL: baseURL, AsOf: asOf.t, Log: cmd.ErrOrStderr(),
			})
			if err := exitStatus(cmd.ErrOrStderr(), err); err != nil {
				return err
			}
			printFindings(cmd.ErrOrStderr(), res.Warnings)
			if err := res.Write(out); err != nil {
				return cli.Usage(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "built %s into %s\n", plural(len(res.Files), "file", "files"), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&content, "content", "content", "the content folder `DIR`: clauses/<lang>/*.md, obligations.yaml, site.yaml")
	f.StringVar(&tpl, "templates", "", "a folder `DIR` whose site/ files replace the built-in layouts, CSS and strings one by one")
	f.StringVar(&out, "out", "public", "the output folder `DIR`: new, empty, or an earlier build's output")
	f.StringVar(&baseURL, "base-url", "", "the site's public `URL` (e.g. https://example.com/exit/), for canonical links and absolute URLs in clauses.json; links stay relative")
	f.Var(&asOf, "as-of", "mark the versions in force on `DATE` (YYYY-MM-DD) as current instead of today's")
	return cmd
}
