package pipeline

import (
	"context"
	"crypto/rand"
	"io"
	"testing"

	"filippo.io/age"
	_ "github.com/exitkit/exitkit/internal/golden"
)

// BenchmarkPipe measures the pipeline alone, in process, for profiling:
//
//	go test ./bundle/internal/pipeline -run '^$' -bench BenchmarkPipe -cpuprofile cpu.out
func BenchmarkPipe(b *testing.B) {
	for _, tc := range []struct {
		name string
		enc  func() Encoding
	}{
		{"age", func() Encoding {
			id, _ := age.GenerateX25519Identity()
			return Encoding{Recipients: []age.Recipient{id.Recipient()}}
		}},
		{"age+zstd", func() Encoding {
			id, _ := age.GenerateX25519Identity()
			return Encoding{Zstd: true, Recipients: []age.Recipient{id.Recipient()}}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			block := make([]byte, 1<<20)
			rand.Read(block)
			const size = 256 << 20
			pool := NewPool(16)
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				src := &repeatReader{block: block, left: size}
				if _, err := Store(context.Background(), src, io.Discard, tc.enc(), pool, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// repeatReader yields left bytes by repeating block: a large source that
// costs no I/O.
type repeatReader struct {
	block []byte
	off   int
	left  int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), r.left)], r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	r.left -= int64(n)
	return n, nil
}
