package bundle

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/internal/interop"
)

// autoCapacity is the size of each disk of the adaptive-compression tests:
// 32 segments of autozstd, few enough to stay fast.
const autoCapacity = 8 << 20

// autoKinds are the disks --compress auto must handle as they come from
// a hypervisor: what an encrypted file system looks like, a mostly empty
// file system (zero 4 KiB pages between written ones, which a sparse VMDK
// keeps since its grains are 64 KiB), and low-entropy data that zstd
// halves.
var autoKinds = []string{"random", "zero-heavy", "compressible"}

// autoRaw writes size bytes of one kind at p.
func autoRaw(t testing.TB, p, kind string, size int64, seed uint64) {
	t.Helper()
	src := mrand.NewChaCha8([32]byte{byte(seed), 'a', 'u', 't', 'o'})
	rng := mrand.New(src)
	data := make([]byte, size)
	switch kind {
	case "random":
		src.Read(data)
	case "zero-heavy":
		for off := 0; off < len(data); off += 4 << 10 {
			if rng.IntN(8) == 0 {
				src.Read(data[off : off+4<<10])
			}
		}
	case "compressible":
		for i := range data {
			data[i] = byte(rng.UintN(16)) // 4 bits of entropy per byte
		}
	default:
		t.Fatalf("unknown disk kind %q", kind)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// autoFixture makes one VM "mixed" with one disk of each kind as a
// monolithicSparse VMDK (qemu-img's default VMDK, not streamOptimized, so
// auto looks inside it), and a streamOptimized disk that auto must store
// as it is. Without qemu-img the sparse disks are flat extents (the raw
// bytes VMware keeps in a -flat.vmdk).
func autoFixture(t testing.TB, kinds ...string) *crFixture {
	t.Helper()
	dir := t.TempDir()
	fx := &crFixture{dir: dir, source: &crSource{name: dir}, want: map[string]string{}}
	vm := &crVM{name: "mixed"}
	var hrefs []string
	var sizes []int64
	qemu := interop.Path("qemu-img")
	for i, kind := range kinds {
		href := "mixed-" + kind + ".vmdk"
		raw := filepath.Join(dir, kind+".raw")
		autoRaw(t, raw, kind, autoCapacity, uint64(i+1))
		p := filepath.Join(dir, href)
		if qemu != "" {
			if out, err := exec.Command(qemu, "convert", "-q", "-f", "raw", "-O", "vmdk", raw, p).CombinedOutput(); err != nil {
				t.Fatalf("qemu-img convert: %v\n%s", err, out)
			}
		} else if err := os.Link(raw, p); err != nil {
			t.Fatal(err)
		}
		hrefs = append(hrefs, href)
	}
	so := "mixed-streamoptimized.vmdk"
	crDisk(t, filepath.Join(dir, so), autoCapacity, 99)
	hrefs = append(hrefs, so)
	for _, href := range hrefs {
		p := filepath.Join(dir, href)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
		vm.files = append(vm.files, &crFile{href: href, path: p, size: fi.Size()})
		fx.want["mixed/"+href] = crHashFile(t, p)
	}
	vm.desc = []byte(strings.ReplaceAll(string(crDescriptor("mixed", hrefs, sizes, autoCapacity, "")), "#streamOptimized", "#monolithicSparse"))
	fx.source.vms = append(fx.source.vms, vm)
	return fx
}

// storedFiles maps each disk of a created bundle to its manifest entry.
func storedFiles(m *Manifest) map[string]File {
	files := map[string]File{}
	for _, vm := range m.VMs {
		for _, f := range vm.Files {
			files[f.Name] = f
		}
	}
	return files
}

func TestAutoCompressionStoresEveryKindOfDiskAsAVerifiableZstdStream(t *testing.T) {
	fx := autoFixture(t, autoKinds...)
	id, _ := age.GenerateX25519Identity()
	made := map[string]map[string]File{}
	for _, compress := range []string{"auto", "zstd"} {
		out := filepath.Join(t.TempDir(), "bundle")
		opts := crOptions(t, fx, out, id)
		opts.Compress = compress
		if _, err := Create(context.Background(), opts); err != nil {
			t.Fatalf("create --compress %s: %v", compress, err)
		}
		m := checkBundle(t, out, opts.Signer.PublicKey(), []age.Identity{id}, fx.want)
		r, err := Verify(context.Background(), out, VerifyOptions{Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK || r.Check(CheckPlaintext).Status != StatusPass {
			t.Fatalf("verify of a bundle made with --compress %s:\n%s", compress, vtText(r))
		}
		made[compress] = storedFiles(m)
	}
	auto, zst := made["auto"], made["zstd"]
	for name, f := range auto {
		if zstdName := strings.HasSuffix(strings.TrimSuffix(f.Path, ".age"), ".zst"); zstdName != (f.Compression == "zstd") {
			t.Errorf("%s: stored as %s with compression %q: a stored file is named .zst exactly when it is zstd", name, f.Path, f.Compression)
		}
	}
	for _, c := range []struct {
		disk  string
		check func(a, z File) error
	}{
		{"mixed-random.vmdk", func(a, z File) error {
			// Stored frames and age cost a few bytes per 64 KiB.
			if a.Compression != "zstd" || a.StoredSize > a.Size+a.Size/500+4096 {
				return fmt.Errorf("want a .zst stream of stored blocks about the disk's size")
			}
			return nil
		}},
		{"mixed-zero-heavy.vmdk", func(a, z File) error {
			if a.Compression != "zstd" || a.StoredSize > z.StoredSize*110/100 || a.StoredSize > a.Size/4 {
				return fmt.Errorf("want at most 1.10x zstd's bytes, and the zero pages gone")
			}
			return nil
		}},
		{"mixed-compressible.vmdk", func(a, z File) error {
			if a.Compression != "zstd" || a.StoredSize > z.StoredSize*110/100 || a.StoredSize > a.Size*3/4 {
				return fmt.Errorf("want at most 1.10x zstd's bytes")
			}
			return nil
		}},
		{"mixed-streamoptimized.vmdk", func(a, z File) error {
			if a.Compression == "zstd" || strings.Contains(a.Path, ".zst") {
				return fmt.Errorf("want the streamOptimized disk stored as it is (its grains are deflated)")
			}
			return nil
		}},
	} {
		a, z := auto[c.disk], zst[c.disk]
		t.Logf("%s: %d bytes; auto stores %d, zstd %d", c.disk, a.Size, a.StoredSize, z.StoredSize)
		if err := c.check(a, z); err != nil {
			t.Errorf("%s: auto stored %s, %d of %d bytes (zstd: %d): %v", c.disk, a.Path, a.StoredSize, a.Size, z.StoredSize, err)
		}
	}
}

// TestInteropAutoBundleOfARandomDiskRestoresWithStockTools is the
// trustee's path for the case adaptive compression exists for: a disk of
// random data (an encrypted guest file system) stored as a zstd stream of
// stored blocks, which age -d | zstd -d and sha256sum -c restore.
func TestInteropAutoBundleOfARandomDiskRestoresWithStockTools(t *testing.T) {
	tools := interop.Require(t, "ssh-keygen", "sha256sum", "age", "zstd", "qemu-img")
	fx := autoFixture(t, "random")
	m := stockToolsCheck(t, tools, fx, "auto")
	f := storedFiles(m)["mixed-random.vmdk"]
	if !strings.HasSuffix(f.Path, ".vmdk.zst.age") || f.Compression != "zstd" {
		t.Errorf("random disk stored as %s (%q), want a .zst.age file", f.Path, f.Compression)
	}
}
