package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/internal/fsx"
)

// failWriter fails after n bytes, like a full disk.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("write: no space left on device")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestDecodeReportsAFullDisk(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	w, _ := age.Encrypt(&ct, id.Recipient())
	w.Write(bytes.Repeat([]byte("x"), 300<<10))
	w.Close()
	ew := &errWriter{w: &failWriter{n: 100 << 10}}
	res := Decode(ew, &ct, true, false, []age.Identity{id}, 1<<40)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "no space") {
		t.Fatalf("err = %v, want the write error", res.Err)
	}
}

func TestDecodeFileNamesOnlyAFileWhoseHashesAgree(t *testing.T) {
	plain := bytes.Repeat([]byte("disk "), 50_000)
	sum := sha256.Sum256(plain)
	good := Want{StoredSHA256: hex.EncodeToString(sum[:]), Size: int64(len(plain)), SHA256: hex.EncodeToString(sum[:])}
	tests := []struct {
		name string
		want Want
		ok   bool
	}{
		{"hashes and size agree", good, true},
		{"stored hash differs", Want{StoredSHA256: strings.Repeat("0", 64), Size: good.Size, SHA256: good.SHA256}, false},
		{"plaintext shorter than declared", Want{StoredSHA256: good.StoredSHA256, Size: good.Size + 1, SHA256: good.SHA256}, false},
		{"plaintext hash differs", Want{StoredSHA256: good.StoredSHA256, Size: good.Size, SHA256: strings.Repeat("0", 64)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := fsx.OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			err = DecodeFile(context.Background(), bytes.NewReader(plain), d, "disk.vmdk", tc.want, nil)
			entries, _ := os.ReadDir(d.Path())
			if tc.ok {
				got, rerr := os.ReadFile(filepath.Join(d.Path(), "disk.vmdk"))
				fi, _ := os.Stat(filepath.Join(d.Path(), "disk.vmdk"))
				if err != nil || rerr != nil || !bytes.Equal(got, plain) || len(entries) != 1 || fi.Mode().Perm() != 0o600 {
					t.Fatalf("err %v, %d entries, mode %v; want one 0600 file holding the plaintext", err, len(entries), fi.Mode())
				}
				return
			}
			if err == nil || len(entries) != 0 {
				t.Fatalf("err %v, %d entries left; want an error and nothing in the folder", err, len(entries))
			}
		})
	}
}
