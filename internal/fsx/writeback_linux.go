package fsx

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks Linux to begin writing a range to disk without
// waiting for it (sync_file_range SYNC_FILE_RANGE_WRITE). Errors are
// ignored: the fsync before signing is what guarantees durability.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
