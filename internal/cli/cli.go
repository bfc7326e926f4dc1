// Package cli is what the two commands share: Run, which maps every error
// to an exit code through one table (Code), --version, and telling a
// terminal from a log.
//
// A command returns the library's error as it is: Code knows the errors
// of a received bundle (exit 1) and of input that is not one (exit 2). A
// command marks what only it can judge with Usage(err) (bad flags,
// unreadable input: exit 2) or Failed(err) (a check ran and found
// problems: exit 1). Anything else exits 2, because an unexpected error is
// almost always something about the input the user can fix.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/internal/version"
)

// Exit codes shared by exitsite and exitbundle.
const (
	ExitOK     = 0
	ExitFailed = 1 // a check ran and failed: verification, lint
	ExitUsage  = 2 // usage or input error; the message says what to fix
)

// ExitError carries an exit code through cobra's error return.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Usage marks err as a usage or input error (exit 2).
func Usage(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// Failed marks a failed check (exit 1). A nil err means the command has
// already printed its findings and only the exit code is left to set.
func Failed(err error) error { return &ExitError{Code: ExitFailed, Err: err} }

// Run executes root with the process's arguments, stops on Ctrl-C through
// the context, prints the error once, and returns the exit code.
func Run(root *cobra.Command, args []string, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root.Version = version.String()
	root.SetVersionTemplate(root.Name() + " {{.Version}}\n")
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetArgs(args)
	root.SetFlagErrorFunc(flagError)
	if len(args) == 0 || (args[0] != cobra.ShellCompRequestCmd && args[0] != cobra.ShellCompNoDescRequestCmd) {
		refuseRepeats(root) // completion parses the flags twice, and must not fail
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := Code(err)
	var ee *ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return code
	}
	// An error may quote a received bundle (a file name, a manifest
	// value): control characters are printed escaped, line breaks kept.
	fmt.Fprintf(stderr, "%s: %s\n", root.Name(), manifest.EscapeLines(Message(err)))
	return code
}

// jargon rewrites the words Go's context package leaves in a wrapped
// error after Ctrl-C or a timeout into what a person reads, longest
// first so "interrupted (context canceled)" loses its Go half entirely.
var jargon = strings.NewReplacer(
	"interrupted ("+context.Canceled.Error()+")", "interrupted",
	"interrupted: "+context.Canceled.Error(), "interrupted",
	"interrupted ("+context.DeadlineExceeded.Error()+")", "timed out",
	"interrupted: "+context.DeadlineExceeded.Error(), "timed out",
	context.Canceled.Error(), "interrupted",
	context.DeadlineExceeded.Error(), "timed out",
)

// Message is err as the commands print it: Go's "context canceled" and
// "context deadline exceeded" become "interrupted" and "timed out".
func Message(err error) string {
	if err == nil {
		return ""
	}
	return jargon.Replace(err.Error())
}

// exitCodes is the one table from errors to exit codes, checked in order
// after an explicit Usage or Failed mark. A received bundle that fails a
// check exits 1; a path that holds no bundle at all, or a create that
// could not read its sources, exits 2. Exit terms that create refuses
// (another customer's module, a signature by another key, fingerprints
// that do not recompute) exit 2: input the provider fixes before any VM
// is exported, not a received bundle that failed.
var exitCodes = []struct {
	err  error
	code int
}{
	{terms.ErrMismatch, ExitUsage},
	{terms.ErrBadSignature, ExitUsage},
	{terms.ErrNotModule, ExitUsage},
	{manifest.ErrNotABundle, ExitUsage},
	{manifest.ErrIncomplete, ExitFailed},
	{manifest.ErrSignature, ExitFailed},
	{manifest.ErrIntegrity, ExitFailed},
	{manifest.ErrUnsafe, ExitFailed},
}

// Code is the exit code for err: 0 for nil, the code of an ExitError,
// else the first entry of the table err wraps, else 2.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	for _, e := range exitCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return ExitUsage
}

// IsTerminal reports whether w is a terminal, so progress can redraw a
// line in place there and print plain lines in CI and logs.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
