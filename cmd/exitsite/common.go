package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/lock"
	"github.com/exitkit/exitkit/templates"
)

// Helpers the subcommands share, so each reports the same failure the same
// way.

// loadLibrary loads the content folder and verifies its versions lock; a
// folder that cannot be read is a usage error.
func loadLibrary(dir string) (*clause.Library, error) {
	lib, err := clause.Load(dir)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("%w\nPass the content folder with --content.", err))
	}
	lock.Apply(lib)
	return lib, nil
}

// openTemplates opens the --templates override folder ("" for the
// built-in templates only).
func openTemplates(dir string) (fs.FS, error) {
	fsys, err := templates.Open(dir)
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--templates: %w", err))
	}
	return fsys, nil
}

// exitStatus maps the error of site.Build or module.Render to the exit
// status: findings that stopped it are printed to w and exit 1, anything
// else is unreadable input and exits 2.
func exitStatus(w io.Writer, err error) error {
	var fe *clause.FindingsError
	if errors.As(err, &fe) {
		printFindings(w, fe.Findings)
		return cli.Failed(err)
	}
	if err != nil {
		return cli.Usage(err)
	}
	return nil
}

// asOfFlag is the --as-of DATE flag that build, serve, module and check
// share: the day whose versions in force are used.
type asOfFlag struct{ t time.Time }

func (f *asOfFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.DateOnly)
}

func (f *asOfFlag) Set(s string) error {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("write the date as YYYY-MM-DD, e.g. 2027-01-12")
	}
	f.t = t
	return nil
}

func (f *asOfFlag) Type() string { return "DATE" }

func printFindings(w io.Writer, findings []clause.Finding) {
	for _, f := range findings {
		fmt.Fprintln(w, f)
	}
}

// plural says "1 note", "2 notes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// printable escapes control characters in s, which came from outside
// (a file name, a module's customer), so it cannot rewrite the terminal.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
