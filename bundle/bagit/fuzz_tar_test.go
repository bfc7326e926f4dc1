package bagit

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenTar feeds arbitrary bytes as a bundle .tar file to the one bag
// reader: it opens or fails, never panics, and every entry it lists as a
// regular file reads within its size; WalkStream reads the same bytes as
// a stream.
func FuzzOpenTar(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range []string{"bag/bagit.txt", "bag/data/a", "bag/../x"} {
		tw.WriteHeader(&tar.Header{Name: n, Size: 3, Mode: 0o644, Typeflag: tar.TypeReg})
		tw.Write([]byte("abc"))
	}
	tw.WriteHeader(&tar.Header{Name: "bag/data/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "b.tar")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := Open(p); err == nil {
			for _, e := range b.Entries() {
				if e.Kind != Regular {
					continue
				}
				r, err := b.Open(e.Name)
				if err != nil {
					continue
				}
				n, _ := io.Copy(io.Discard, io.LimitReader(r, e.Size+1))
				r.Close()
				if n > e.Size {
					t.Fatalf("%s reads beyond its %d bytes", e.Name, e.Size)
				}
			}
			b.Close()
		}
		WalkStream(bytes.NewReader(data), func(name string, size int64, body io.Reader) error {
			_, err := io.Copy(io.Discard, io.LimitReader(body, 1<<20))
			return err
		})
	})
}
