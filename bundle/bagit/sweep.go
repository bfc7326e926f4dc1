package bagit

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// Sweep removes from a bag being written what is not part of it: files
// under data/ that keep does not list (a plan that changed between runs),
// .partial files at the root, and VM folders left empty. It never follows
// a link: a link is removed like a file.
func Sweep(out fsx.FS, keep map[string]bool) error {
	if err := sweepDir(out, "data", keep); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clean up leftovers: %w", err)
	}
	entries, err := out.ReadDir(".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), fsx.PartialSuffix) {
			out.Remove(e.Name())
		}
	}
	vms, _ := out.ReadDir(manifest.PayloadDir)
	for _, e := range vms {
		if e.IsDir() {
			out.Remove(manifest.PayloadDir + "/" + e.Name()) // fails, as wanted, unless empty
		}
	}
	return nil
}

func sweepDir(out fsx.FS, dir string, keep map[string]bool) error {
	list, err := out.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, d := range list {
		p := dir + "/" + d.Name()
		switch {
		case d.IsDir():
			if err := sweepDir(out, p, keep); err != nil {
				return err
			}
		case keep[p]:
		case d.Type()&fs.ModeSymlink != 0 || d.Type().IsRegular():
			if err := out.Remove(p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected %s in the bundle: remove it", p)
		}
	}
	return nil
}
