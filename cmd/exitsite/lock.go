package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/lock"
)

// writeLock adds lib's unlocked versions to its lock file and reloads the
// library, so the check that follows sees the new lock.
func writeLock(w io.Writer, lib *clause.Library) (*clause.Library, error) {
	n, err := lock.Write(lib)
	if err != nil {
		return nil, cli.Usage(err)
	}
	fmt.Fprintf(w, "locked %d new published versions in %s\n", n, filepath.Join(lib.Dir, lock.File))
	return loadLibrary(lib.Dir)
}
