// Package cli is what the two commands share: mapping errors to the exit
// codes of DESIGN.md in one place, and telling a terminal from a log.
//
// A command returns Usage(err) for bad flags or unreadable input (exit 2),
// Failed(err) when a check ran and found problems (exit 1), and any other
// error also exits 2 after printing it, because an unexpected error is
// almost always something about the input the user can fix.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"golang.org/x/term"
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
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return Usage(fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath()))
	})
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := ExitUsage
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	return code
}

// IsTerminal reports whether w is a terminal, so progress can redraw a
// line in place there and print plain lines in CI and logs.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
