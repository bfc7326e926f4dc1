// Package lock keeps published clause versions from changing. A contract
// cites a clause version by its fingerprint, so a published version must
// never change: the lock file, content/versions.lock, is the committed
// record of every published (or superseded) version's fingerprint in each
// language, taken over its library text (the canonical text of the library
// view, as the site shows it).
//
// Call Apply right after clause.Load: it verifies the lock and adds its
// findings to the library's, so that check, build, serve and module all
// report them (a locked version whose text changed is an error, an issued
// version not yet locked a warning). Write adds the versions not yet
// locked and never rewrites a locked line: to accept a changed text on
// purpose, delete its line first, and the diff of the lock shows that
// someone did.
//
// The file is text, one version per line, sorted by id (EM-2 before
// EM-10), version and language, so that its diff in review is the list of
// versions published:
//
//	# exitkit versions lock 1 ...
//	EM-10 1.1.0 en sha256:498be7...
//	EM-10 1.1.0 nl sha256:7d01c2...
package lock

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/site/clause"
)

// File is the lock's name in a content folder.
const File = "versions.lock"

// Codes of the lock's findings.
const (
	CodeLockChanged = "published-changed" // a locked version's text changed
	CodeLockMissing = "published-removed" // a locked version no longer exists as issued
	CodeNotLocked   = "not-locked"        // warning: an issued version is not in the lock
	CodeLockSyntax  = "lock-syntax"
)

// maxLockSize bounds the lock file read: a million versions' worth.
const maxLockSize = 128 << 20

const lockHeader = `# exitkit versions lock 1: the fingerprint of every published clause version.
# A published version never changes: to change its text, publish a new version.
# Written by 'exitsite check --write-lock', which adds new versions and never
# rewrites a line; 'exitsite check' verifies every line on every run.
# Each line: id version lang sha256:<hex of the version's library text>.
`

// Entry is one line of the lock.
type Entry struct {
	ID, Version, Lang, Fingerprint string
	Line                           int
}

var reFingerprint = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Parse reads a lock file's text; file names the findings.
func Parse(file string, r io.Reader) ([]Entry, []clause.Finding) {
	var out []Entry
	var fs []clause.Finding
	bad := func(line int, format string, args ...any) {
		fs = append(fs, clause.Finding{File: file, Line: line, Col: 1, Severity: clause.SeverityError, Rule: CodeLockSyntax,
			Message: fmt.Sprintf(format, args...),
			Hint:    "each line is 'ID VERSION LANG sha256:HEX'; restore the file from version control, or delete it and run 'exitsite check --write-lock'"})
	}
	sc := bufio.NewScanner(io.LimitReader(r, maxLockSize))
	sc.Buffer(make([]byte, 0, 4096), 4096)
	seen := map[string]int{}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			bad(n, "line has %d fields, not 4", len(f))
			continue
		}
		e := Entry{ID: f[0], Version: f[1], Lang: f[2], Fingerprint: f[3], Line: n}
		switch {
		case !clause.ValidID(e.ID):
			bad(n, "%q is not a clause id", e.ID)
			continue
		case !clause.ValidVersion(e.Version):
			bad(n, "%q is not a version", e.Version)
			continue
		case !reFingerprint.MatchString(e.Fingerprint):
			bad(n, "%q is not a sha256:<64 hex digits> fingerprint", e.Fingerprint)
			continue
		}
		k := e.ID + " " + e.Version + " " + e.Lang
		if first, ok := seen[k]; ok {
			bad(n, "%s is locked twice (first on line %d)", k, first)
			continue
		}
		seen[k] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		bad(n+1, "cannot read the lock: %v", err)
	}
	return out, fs
}

// Now returns the entry for every issued version of l as it renders
// today, sorted as the lock is.
func Now(l *clause.Library) []Entry {
	var out []Entry
	for _, c := range l.Clauses {
		if !c.Issued() {
			continue
		}
		r, err := c.Render(l, nil)
		if err != nil {
			continue // reported by validation
		}
		out = append(out, Entry{ID: c.ID, Version: c.Version, Lang: c.Lang, Fingerprint: r.Fingerprint})
	}
	sortEntries(out)
	return out
}

func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		return cmp.Or(clause.CompareIDs(a.ID, b.ID), clause.CompareVersions(a.Version, b.Version), cmp.Compare(a.Lang, b.Lang))
	})
}

// Apply verifies the lock of l's content folder and adds what it finds to
// l.Findings, sorted in with the rest, as if Load had found it.
func Apply(l *clause.Library) {
	l.Findings = append(l.Findings, Verify(l)...)
	clause.SortFindings(l.Findings)
}

// Verify checks l against the lock file of its content folder.
func Verify(l *clause.Library) []clause.Finding {
	var out []clause.Finding
	path := filepath.Join(l.Dir, File)
	data, err := os.ReadFile(path)
	now := Now(l)
	if errors.Is(err, fs.ErrNotExist) {
		if len(now) > 0 {
			out = append(out, clause.Finding{File: path, Severity: clause.SeverityWarning, Rule: CodeNotLocked,
				Message: fmt.Sprintf("no %s: the %d published clause versions are not locked, so a change to one would go unnoticed", File, len(now)),
				Hint:    "run 'exitsite check --write-lock' and commit " + path})
		}
		return out
	}
	if err != nil {
		out = append(out, clause.Finding{File: path, Severity: clause.SeverityError, Rule: CodeLockSyntax,
			Message: fmt.Sprintf("cannot read the lock: %v", err), Hint: "make the file readable"})
		return out
	}
	locked, syntax := Parse(path, bytes.NewReader(data))
	out = append(out, syntax...)
	byKey := map[string]Entry{}
	for _, e := range now {
		byKey[e.ID+" "+e.Version+" "+e.Lang] = e
	}
	inLock := map[string]bool{}
	for _, e := range locked {
		k := e.ID + " " + e.Version + " " + e.Lang
		inLock[k] = true
		cur, ok := byKey[k]
		c := l.Find(e.ID, e.Version, e.Lang)
		switch {
		case c != nil && c.Issued() && !ok:
			// It does not render: validation says why.
		case !ok:
			what := "no longer exists"
			if c != nil {
				what = "is now a " + c.Status
			}
			out = append(out, clause.Finding{File: path, Line: e.Line, Col: 1, Severity: clause.SeverityError, Rule: CodeLockMissing,
				Message: fmt.Sprintf("%s version %s (%s) was published and %s; contracts may cite it", e.ID, e.Version, e.Lang, what),
				Hint:    fmt.Sprintf("restore clauses/%s/%s-v%s.md as published or superseded (superseded withdraws a clause without removing it)", e.Lang, e.ID, e.Version)})
		case cur.Fingerprint != e.Fingerprint:
			line, col := c.Position("version")
			out = append(out, finding(c, clause.SeverityError, CodeLockChanged, line, col,
				fmt.Sprintf("a published version never changes: undo the edit and publish the change as a new version (a new file %s-v<next version>.md with a later effective date); %s line %d records the text contracts cite",
					e.ID, File, e.Line),
				"%s version %s (%s) is published and locked as %s, but its text now has %s", e.ID, e.Version, e.Lang, short(e.Fingerprint), short(cur.Fingerprint)))
		}
	}
	for _, e := range now {
		if inLock[e.ID+" "+e.Version+" "+e.Lang] {
			continue
		}
		c := l.Find(e.ID, e.Version, e.Lang)
		line, col := c.Position("status")
		out = append(out, finding(c, clause.SeverityWarning, CodeNotLocked, line, col,
			"run 'exitsite check --write-lock' and commit "+File+" with the new version",
			"%s version %s (%s) is published but not in %s", e.ID, e.Version, e.Lang, File))
	}
	return out
}

func finding(c *clause.Clause, sev, code string, line, col int, hint, format string, args ...any) clause.Finding {
	return clause.Finding{File: c.File, Line: line, Col: col, Severity: sev, Rule: code, Message: fmt.Sprintf(format, args...), Hint: hint}
}

func short(fp string) string {
	if len(fp) > len("sha256:")+12 {
		return fp[:len("sha256:")+12] + "…"
	}
	return fp
}

// Write adds every issued version of l not yet in the lock file of its
// content folder, creating the file if needed, and returns how many it
// added. Locked lines are kept
// as they are, even when the version's text changed (Load reports that as
// an error). Load the library again to see the new lock. The file is replaced atomically and never through a symbolic
// link.
func Write(l *clause.Library) (added int, err error) {
	path := filepath.Join(l.Dir, File)
	var locked []Entry
	mode := fs.FileMode(0o644)
	if st, err := os.Lstat(path); err == nil {
		if !st.Mode().IsRegular() {
			return 0, fmt.Errorf("write %s: not a regular file; replace it with the lock itself, not a link", path)
		}
		mode = st.Mode().Perm()
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("write %s: %w", path, err)
		}
		var syntax []clause.Finding
		locked, syntax = Parse(path, bytes.NewReader(data))
		if len(syntax) > 0 {
			return 0, fmt.Errorf("write %s: %s", path, syntax[0].String())
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	have := map[string]bool{}
	for _, e := range locked {
		have[e.ID+" "+e.Version+" "+e.Lang] = true
	}
	for _, e := range Now(l) {
		if !have[e.ID+" "+e.Version+" "+e.Lang] {
			locked = append(locked, e)
			added++
		}
	}
	sortEntries(locked)
	var b strings.Builder
	b.WriteString(lockHeader)
	for _, e := range locked {
		fmt.Fprintf(&b, "%s %s %s %s\n", e.ID, e.Version, e.Lang, e.Fingerprint)
	}
	if err := fsx.ReplaceFile(path, []byte(b.String()), mode); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return added, nil
}
