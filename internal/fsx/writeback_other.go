//go:build !linux

package fsx

import "os"

// startWriteback is a no-op where sync_file_range does not exist; the
// fsync before signing still makes every file durable.
func startWriteback(f *os.File, off, n int64) {}
