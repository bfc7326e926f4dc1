package check

import (
	"github.com/exitkit/exitkit/bundle/seal"
	_ "github.com/exitkit/exitkit/internal/golden"

	"bytes"
	"context"
	"testing"
	"time"
)

// FuzzVerifyTar feeds arbitrary bytes to verify as a tar: it must report
// or fail, never panic or hang.
func FuzzVerifyTar(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ScanStream(context.Background(), bytes.NewReader(data), ScanOptions{Jobs: 2, Pin: &seal.Pin{Now: time.Now}})
		if err != nil {
			return
		}
		r := Evaluate(res, &seal.Pin{Now: time.Now})
		if r.OK {
			t.Fatal("random bytes verified as a good bundle")
		}
	})
}
