package fsx

import (
	"io"
	"os"
)

// writebackWindow is how much a stored file is written before create asks
// the kernel to start writing it to disk. The signature may vouch only for
// bytes that are on disk, so every file is fsynced before signing; starting
// the write-back early lets the disk work while the pipeline computes, and
// the final fsync then has little left to wait for.
const writebackWindow = 8 << 20

// Writeback writes a stored file and starts its write-back as it goes,
// where the file is a real one (an *os.File).
type Writeback struct {
	W       io.Writer
	written int64
	started int64
}

func (s *Writeback) Write(p []byte) (int, error) {
	n, err := s.W.Write(p)
	s.written += int64(n)
	if s.written-s.started >= writebackWindow {
		if f, ok := s.W.(*os.File); ok {
			startWriteback(f, s.started, s.written-s.started)
		}
		s.started = s.written
	}
	return n, err
}
