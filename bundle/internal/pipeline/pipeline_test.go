package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
	"time"

	"filippo.io/age"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestStoreAndDecodeRoundTripEveryEncoding(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 3<<20+12345)
	mrand.NewChaCha8([32]byte{1}).Read(random)
	zeros := make([]byte, 3<<20)
	for _, in := range []struct {
		name string
		data []byte
	}{{"random", random}, {"zeros", zeros}, {"empty", nil}} {
		for _, tc := range []struct {
			name string
			enc  Encoding
			// most is the largest stored size accepted, as a function of
			// the input size: what each encoding promises.
			most func(n int) int
		}{
			{"none", Encoding{}, func(n int) int { return n }},
			{"age", Encoding{Recipients: []age.Recipient{id.Recipient()}}, func(n int) int { return n + n/1000 + 512 }},
			{"zstd", Encoding{Zstd: true}, func(n int) int { return n + n/100 + 64 }},
			{"adaptive zstd and age", Encoding{Zstd: true, Adaptive: true, Recipients: []age.Recipient{id.Recipient()}}, func(n int) int { return n + n/500 + 1024 }},
			{"adaptive zstd", Encoding{Zstd: true, Adaptive: true}, func(n int) int { return n + n/1000 + 64 }},
		} {
			t.Run(in.name+"/"+tc.name, func(t *testing.T) {
				var out bytes.Buffer
				m, err := Store(context.Background(), bytes.NewReader(in.data), &out, tc.enc, NewPool(8), nil)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(in.data)
				stored := sha256.Sum256(out.Bytes())
				if m.Size != int64(len(in.data)) || m.SHA256 != hex.EncodeToString(sum[:]) ||
					m.StoredSize != int64(out.Len()) || m.StoredSHA256 != hex.EncodeToString(stored[:]) {
					t.Errorf("measured %+v for %d bytes in, %d out", m, len(in.data), out.Len())
				}
				if out.Len() > tc.most(len(in.data)) {
					t.Errorf("stored %d bytes of %d, more than %d", out.Len(), len(in.data), tc.most(len(in.data)))
				}
				if tc.enc.Zstd && len(tc.enc.Recipients) == 0 && !bytes.HasPrefix(out.Bytes(), []byte("\x28\xb5\x2f\xfd")) {
					t.Errorf("a zstd encoding's output does not start with zstd's magic number: % x", out.Bytes()[:min(8, out.Len())])
				}
				p := Decode(io.Discard, &out, len(tc.enc.Recipients) > 0, tc.enc.Zstd, []age.Identity{id}, m.Size)
				if p.Err != nil || p.Size != m.Size || p.SHA256 != m.SHA256 {
					t.Errorf("decoded %d bytes, %s, %v; want %d, %s", p.Size, p.SHA256, p.Err, m.Size, m.SHA256)
				}
			})
		}
	}
}

func TestAdaptiveStoresZerosAsSmallAsZstd(t *testing.T) {
	zeros := make([]byte, 4<<20)
	size := func(enc Encoding) int {
		var out bytes.Buffer
		if _, err := Store(context.Background(), bytes.NewReader(zeros), &out, enc, NewPool(8), nil); err != nil {
			t.Fatal(err)
		}
		return out.Len()
	}
	if a, z := size(Encoding{Zstd: true, Adaptive: true}), size(Encoding{Zstd: true}); a > z*110/100+64 {
		t.Errorf("4 MiB of zeros: adaptive stores %d bytes, zstd %d", a, z)
	}
}

// Every stage takes buffers from one pool, encode's output too; the
// stages before encode must never hold so many that files stored at once
// wait on each other forever: with pools as create makes them (16 per job
// and 4) and with a pool of 8 for 1 to 4 files.
func TestFilesStoredAtOnceThroughOnePoolAllFinish(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 12<<20)
	mrand.NewChaCha8([32]byte{2}).Read(data)
	for _, tc := range []struct{ jobs, pool int }{{1, 20}, {2, 36}, {4, 68}, {1, 8}, {2, 8}, {4, 8}} {
		jobs, pool := tc.jobs, NewPool(tc.pool)
		done := make(chan error, jobs)
		for range jobs {
			go func() {
				// A slow sink: the encode stage's output piles up.
				_, err := Store(context.Background(), bytes.NewReader(data), &slowWriter{}, Encoding{Zstd: true, Adaptive: true, Recipients: []age.Recipient{id.Recipient()}}, pool, nil)
				done <- err
			}()
		}
		for range jobs {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("%d files through a pool of %d: still not stored after a minute (stages waiting on each other for buffers)", jobs, tc.pool)
			}
		}
	}
}

// slowWriter sleeps now and then; with cancel, it cancels the store at
// its 8th write.
type slowWriter struct {
	n      int
	cancel func()
}

func (w *slowWriter) Write(p []byte) (int, error) {
	if w.n++; w.n%16 == 0 {
		time.Sleep(time.Millisecond)
	}
	if w.cancel != nil && w.n == 8 {
		w.cancel()
	}
	return len(p), nil
}

// A file that fails, at the source, at the output or by cancellation,
// returns what it held of the pool: files after it still get through.
func TestFailedFilesLeaveThePoolWhole(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8<<20)
	mrand.NewChaCha8([32]byte{3}).Read(data)
	enc := Encoding{Zstd: true, Adaptive: true, Recipients: []age.Recipient{id.Recipient()}}
	pool := NewPool(8)
	failing := []struct {
		name string
		run  func() error
	}{
		{"source error", func() error {
			_, err := Store(context.Background(), io.MultiReader(bytes.NewReader(data[:3<<20]), errReader{}), &slowWriter{}, enc, pool, nil)
			return err
		}},
		{"output error", func() error {
			_, err := Store(context.Background(), bytes.NewReader(data), &failWriter{n: 1 << 20}, enc, pool, nil)
			return err
		}},
		{"cancelled", func() error {
			ctx, cancel := context.WithCancel(context.Background())
			_, err := Store(ctx, bytes.NewReader(data), &slowWriter{cancel: cancel}, enc, pool, nil)
			return err
		}},
	}
	for range 4 {
		for _, f := range failing {
			if err := f.run(); err == nil {
				t.Fatalf("%s: stored without an error", f.name)
			}
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Store(context.Background(), bytes.NewReader(data), &slowWriter{}, enc, pool, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a file after 12 failed ones is still not stored after a minute: the failed ones kept part of the pool")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("source gone") }
