package bundle

import "os"

// writebackWindow is how much a stored file is written before create asks
// the kernel to start writing it to disk. The signature may vouch only for
// bytes that are on disk, so every file is fsynced before signing; starting
// the write-back early lets the disk work while the pipeline computes, and
// the final fsync then has little left to wait for.
const writebackWindow = 8 << 20

// fileSink writes a stored file and starts its write-back as it goes.
type fileSink struct {
	f       *os.File
	written int64
	started int64
}

func (s *fileSink) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.written += int64(n)
	if s.written-s.started >= writebackWindow {
		startWriteback(s.f, s.started, s.written-s.started)
		s.started = s.written
	}
	return n, err
}
