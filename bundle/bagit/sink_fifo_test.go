package bagit

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Create reads back what an earlier run stored before it keeps it; a
// FIFO planted under such a name would block that read forever.
func TestAFolderSinkRefusesToReadBackAFIFO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	f, err := NewFolder(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.FS().MkdirAll("data", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "data", "x"), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		r, _, err := f.Open("data/x")
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("opened a FIFO as a stored file")
		}
	case <-time.After(time.Minute):
		t.Fatal("reading back a planted FIFO blocks")
	}
}
