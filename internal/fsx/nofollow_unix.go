//go:build unix

package fsx

import (
	"errors"
	"syscall"
)

// NoFollow makes an open fail on a symbolic link in the last element of
// the name (O_NOFOLLOW), instead of following it.
const NoFollow = syscall.O_NOFOLLOW

// IsLinkError says whether err is an open refused by NoFollow.
func IsLinkError(err error) bool { return errors.Is(err, syscall.ELOOP) }

// syncsDirs says whether SyncDir fails when a folder cannot be synced. Folders are fsynced so that a rename is durable.
const syncsDirs = true
