package autozstd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestStockZstdRestoresEveryStream checks the streams with the zstd a
// trustee has: `zstd -t` accepts them and `zstd -d` restores the input.
func TestStockZstdRestoresEveryStream(t *testing.T) {
	zstdBin := interop.Require(t, "zstd")[0]
	tests := []struct {
		name  string
		data  []byte
		chunk int
		opts  []Option
	}{
		{"empty input", nil, 0, nil},
		{"a short text", []byte("hello, zstd\n"), 0, nil},
		{"incompressible data", random(3<<20+1, 4), 0, nil},
		{"incompressible data with checksums", random(3<<20+1, 4), 0, []Option{WithChecksum(true)}},
		{"zeros", make([]byte, 4<<20+5), 0, nil},
		{"a mixed disk in small writes", mixed(12 << 20), 10000, nil},
		{"a mixed disk in large writes with checksums", mixed(12 << 20), 256 << 10, []Option{WithChecksum(true)}},
		{"a mixed disk in 4 MiB segments", mixed(12 << 20), 0, []Option{WithSegmentSize(4 << 20)}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, _ := compressAll(t, tt.data, tt.chunk, tt.opts...)
			p := filepath.Join(dir, "s.zst")
			if err := os.WriteFile(p, stream, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(zstdBin, "-t", "-q", p).CombinedOutput(); err != nil {
				t.Fatalf("zstd -t: %v\n%s", err, out)
			}
			var stderr bytes.Buffer
			cmd := exec.Command(zstdBin, "-d", "-q", "-c", p)
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("zstd -d: %v\n%s", err, stderr.Bytes())
			}
			if !bytes.Equal(got, tt.data) {
				t.Fatalf("zstd -d restored %d bytes, want %d, equal prefix %d", len(got), len(tt.data), commonPrefix(got, tt.data))
			}
		})
	}
}

// TestStockZstdRejectsACorruptedChecksummedStream shows that with
// WithChecksum a stored frame's corruption is caught by zstd itself.
func TestStockZstdRejectsACorruptedChecksummedStream(t *testing.T) {
	zstdBin := interop.Require(t, "zstd")[0]
	stream, _ := compressAll(t, random(1<<20, 6), 0, WithChecksum(true))
	stream[len(stream)/3] ^= 0x40
	p := filepath.Join(t.TempDir(), "bad.zst")
	if err := os.WriteFile(p, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(zstdBin, "-t", "-q", p).Run(); err == nil {
		t.Error("zstd -t accepted a stream with a flipped bit")
	}
}
