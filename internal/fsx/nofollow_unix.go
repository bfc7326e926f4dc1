//go:build unix

package fsx

import (
	"errors"
	"os"
	"syscall"
)

// flock takes an exclusive, non-blocking flock on f.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrLocked
		default:
			return err
		}
	}
}

// NoFollow makes an open fail on a symbolic link in the last element of
// the name (O_NOFOLLOW), instead of following it.
const NoFollow = syscall.O_NOFOLLOW

// IsLinkError says whether err is an open refused by NoFollow.
func IsLinkError(err error) bool { return errors.Is(err, syscall.ELOOP) }

// syncsDirs says whether SyncDir fails when a folder cannot be synced. Folders are fsynced so that a rename is durable.
const syncsDirs = true

// links is how many names the file has (1 where the system cannot say).
func links(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
