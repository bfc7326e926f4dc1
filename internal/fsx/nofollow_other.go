//go:build !unix

package fsx

import "os"

// flock is a no-op where there is no flock (Windows): two creates into one
// output are not detected there.
func flock(*os.File) error { return nil }

// NoFollow is 0 where open has no O_NOFOLLOW (Windows): there, os.Root
// still keeps every name inside the folder, and new files are created
// with O_EXCL, which never follows a link.
const NoFollow = 0

// IsLinkError says whether err is an open refused by NoFollow.
func IsLinkError(err error) bool { return false }

// syncsDirs says whether SyncDir fails when a folder cannot be synced. Windows cannot fsync a folder; NTFS journals renames itself.
const syncsDirs = false

// links is how many names the file has: 1, where the system cannot say.
func links(os.FileInfo) uint64 { return 1 }
