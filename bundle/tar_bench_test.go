package bundle

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCreateTarAgainstFolder runs the same create into a folder and
// into a one-pass tar (compress none, files written side by side): the
// tar should cost about what the folder costs, now that it is written
// once instead of built as a folder and copied.
func BenchmarkCreateTarAgainstFolder(b *testing.B) {
	fx := newFixture(b, b.TempDir(), 32<<20)
	var total int64
	for _, vm := range fx.source.vms {
		for _, f := range vm.files {
			total += f.size
		}
	}
	for _, sink := range []string{"folder", "tar"} {
		b.Run(sink, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				dir := b.TempDir()
				opts := crOptions(b, fx, filepath.Join(dir, "acme"))
				opts.Compress = "none"
				if sink == "tar" {
					opts.Out, opts.Tar = "", filepath.Join(dir, "acme.tar")
				}
				if _, err := testCreate(context.Background(), opts); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(dir)
			}
		})
	}
}
