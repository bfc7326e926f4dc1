package source

import (
	"archive/tar"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/internal/exporttest"
)

// BenchmarkOVAMemberRead reads a disk out of an OVA through OpenSource
// (a section of the file, no copy) and, in the same run, with the stock
// tool, GNU tar -xOf; compare their MB/s.
func BenchmarkOVAMemberRead(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	p := filepath.Join(dir, "big.ova")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	tw := tar.NewWriter(f)
	desc := exporttest.OVF("big", []exporttest.Ref{{Href: "big-disk1.vmdk", Size: size}}, "")
	tw.WriteHeader(&tar.Header{Name: "big.ovf", Mode: 0o644, Size: int64(len(desc)), Typeflag: tar.TypeReg})
	tw.Write(desc)
	tw.WriteHeader(&tar.Header{Name: "big-disk1.vmdk", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(tw, rng, size); err != nil {
		b.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()

	b.Run("exitbundle", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			src, err := Open(context.Background(), p)
			if err != nil {
				b.Fatal(err)
			}
			err = src.Export(context.Background(), NewSlots(1), func(ctx context.Context, vm *VM) error {
				rc, err := vm.Files[0].Open(ctx)
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{rc}, make([]byte, 1<<20))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tar-xOf", func(b *testing.B) {
		if _, err := exec.LookPath("tar"); err != nil {
			b.Skip("no tar")
		}
		b.SetBytes(size)
		for b.Loop() {
			cmd := exec.Command("tar", "-xOf", p, "big-disk1.vmdk")
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
