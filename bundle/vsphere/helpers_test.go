package vsphere_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/vcsimx"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// testDisk is a raw image and the streamOptimized VMDK made of it.
type testDisk struct {
	raw, vmdk string
	capacity  int64
}

// makeDisk writes a capacity-byte raw image with random data in a few
// places and its VMDK (via internal/vmdk) under dir.
func makeDisk(t testing.TB, dir, name string, capacity int64, seed uint64) testDisk {
	t.Helper()
	raw := make([]byte, capacity)
	r := rand.New(rand.NewPCG(seed, 1))
	for _, off := range []int64{0, capacity / 3, capacity - 100_000} {
		if off < 0 {
			off = 0
		}
		for i := off; i < min(off+100_000, capacity); i++ {
			raw[i] = byte(r.Uint32())
		}
	}
	d := testDisk{raw: filepath.Join(dir, name+".raw"), vmdk: filepath.Join(dir, name+".vmdk"), capacity: capacity}
	if err := os.WriteFile(d.raw, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(d.vmdk)
	if err != nil {
		t.Fatal(err)
	}
	if err := vmdk.WriteStreamOptimized(f, bytes.NewReader(raw), capacity); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return d
}

func startLab(t *testing.T) *vcsimx.Lab {
	t.Helper()
	lab, err := vcsimx.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	return lab
}

func addVM(t *testing.T, lab *vcsimx.Lab, spec vcsimx.VMSpec) string {
	t.Helper()
	p, err := lab.AddVM(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func options(lab *vcsimx.Lab) vsphere.Options {
	return vsphere.Options{
		Password:   func() (string, error) { return lab.Password, nil },
		Thumbprint: lab.Thumbprint,
	}
}

func open(t *testing.T, lab *vcsimx.Lab, query string, opts vsphere.Options) *vsphere.Source {
	t.Helper()
	src, err := vsphere.Open(context.Background(), lab.URL(query), opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// exported is what Export handed over for one VM, read in full.
type exported struct {
	vm    bundle.SourceVM
	files map[string][]byte
}

// exportAll reads every file of every VM through Open.
func exportAll(t *testing.T, src bundle.Source) ([]exported, error) {
	t.Helper()
	var out []exported
	err := src.Export(context.Background(), source.NewSlots(1), func(ctx context.Context, vm *bundle.SourceVM) error {
		e := exported{vm: *vm, files: map[string][]byte{}}
		for _, f := range vm.Files {
			rc, err := f.Open(ctx)
			if err != nil {
				return err
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			e.files[f.Href] = b
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// checkDisk runs qemu-img check on an exported VMDK and compares it with
// the raw image it was made from.
func checkDisk(t *testing.T, data []byte, d testDisk) {
	t.Helper()
	qemu := interop.Require(t, "qemu-img")[0]
	p := filepath.Join(t.TempDir(), "exported.vmdk")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "-f", "vmdk", p},
		{"compare", "-f", "raw", "-F", "vmdk", d.raw, p},
	} {
		if out, err := exec.Command(qemu, args...).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
