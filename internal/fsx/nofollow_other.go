//go:build !unix

package fsx

// NoFollow is 0 where open has no O_NOFOLLOW (Windows): there, os.Root
// still keeps every name inside the folder, and new files are created
// with O_EXCL, which never follows a link.
const NoFollow = 0

// IsLinkError says whether err is an open refused by NoFollow.
func IsLinkError(err error) bool { return false }

// syncsDirs says whether SyncDir fails when a folder cannot be synced. Windows cannot fsync a folder; NTFS journals renames itself.
const syncsDirs = false
