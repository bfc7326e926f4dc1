package fsx

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// RemoveTree removes name and everything under it from a folder the caller
// has claimed (an earlier run's output it is replacing), then syncs the
// parent's entry. It refuses a name that is a symbolic link (ErrLink: a
// tree exitkit wrote never holds one at its top, so a link there was put
// by someone else and its target is none of ours to touch); a
// link deeper in the tree is removed as a link, never followed, because
// an os.Root-backed FS (Dir) descends with O_NOFOLLOW. A name already
// absent is not an error: a run interrupted while removing is rerun.
func RemoveTree(fsys FS, name string) error {
	fi, err := fsys.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("remove %s: %w; not following it", name, ErrLink)
	}
	if err := fsys.RemoveAll(name); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := fsys.SyncDir(path.Dir(name)); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}
