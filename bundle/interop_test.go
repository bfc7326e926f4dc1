package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// The interop tests a trustee's workflow depends on: a bundle made by
// Create, checked and decrypted with stock tools only (ssh-keygen,
// sha256sum, age, zstd, qemu-img), following the commands the bundle's own
// index prints; and the same bundle damaged in every way the issue lists,
// each found by Verify with the file named.

// itSource is a Source over files on disk.
type itSource struct{ vms []*SourceVM }

func (s *itSource) String() string { return "interop-test" }

func (s *itSource) Names() []string {
	var names []string
	for _, vm := range s.vms {
		names = append(names, vm.Name)
	}
	return names
}

func (s *itSource) Export(ctx context.Context, slots source.Slots, fn func(context.Context, *SourceVM) error) error {
	return source.Each(ctx, len(s.vms), slots, func(ctx context.Context, i int) error {
		vm := *s.vms[i]
		vm.Seq = i
		return fn(ctx, &vm)
	})
}

func itFile(p string) SourceFile {
	fi, err := os.Stat(p)
	size := int64(-1)
	if err == nil {
		size = fi.Size()
	}
	return SourceFile{Href: filepath.Base(p), Size: size, Open: func(ctx context.Context) (io.ReadCloser, error) { return os.Open(p) }}
}

// itDisk writes a raw image with some random 64 KiB blocks and converts it
// into a streamOptimized VMDK, returning both paths: with qemu-img where
// installed (always in CI), else with internal/vmdk.
func itDisk(t *testing.T, dir, name string, capacity int64, seed uint64) (raw, vmdkPath string) {
	t.Helper()
	raw = filepath.Join(dir, name+".raw")
	vmdkPath = filepath.Join(dir, name+".vmdk")
	qemu := interop.Path("qemu-img")
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(capacity); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	block := make([]byte, 64<<10)
	for i := 0; i < int(capacity/int64(len(block))); i++ {
		if rng.IntN(3) != 0 {
			continue
		}
		for j := range block {
			block[j] = byte(rng.UintN(16)) // compressible but not zero
		}
		if _, err := f.WriteAt(block, int64(i*len(block))); err != nil {
			t.Fatal(err)
		}
	}
	if qemu != "" {
		f.Close()
		vtRun(t, nil, qemu, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdkPath)
		return raw, vmdkPath
	}
	defer f.Close()
	out, err := os.Create(vmdkPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := vmdk.WriteStreamOptimized(out, f, capacity); err != nil {
		t.Fatal(err)
	}
	return raw, vmdkPath
}

type itBundle struct {
	dir      string
	tar      string
	signer   ssh.Signer
	keyPath  string // signing key (OpenSSH)
	ageKey   string // age identity file
	ids      []age.Identity
	sources  map[string]string // "<vm>/<plaintext name>" -> source file
	manifest *Manifest
}

// itCreate makes a bundle of two VMs from real VMDKs with Create,
// encrypted to an age identity and zstd-compressed.
func itCreate(t *testing.T, compress string, asTar bool) *itBundle {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	b := &itBundle{sources: map[string]string{}}
	b.keyPath = filepath.Join(dir, "provider-signing")
	if _, err := keys.GenerateSigningKey(b.keyPath); err != nil {
		t.Fatal(err)
	}
	signer, err := keys.LoadSigner(b.keyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.signer = signer
	b.ageKey = filepath.Join(dir, "customer.agekey")
	id, err := keys.GenerateAgeIdentity(b.ageKey)
	if err != nil {
		t.Fatal(err)
	}
	b.ids = []age.Identity{id}

	source := &itSource{}
	for i, vm := range []struct {
		name  string
		disks int
		nvram bool
	}{{"web", 2, true}, {"db", 1, false}} {
		var tv tbVM
		tv.Name = vm.name
		sv := &SourceVM{Name: vm.name, Origin: "interop/" + vm.name}
		for d := 1; d <= vm.disks; d++ {
			name := fmt.Sprintf("%s-disk-%d", vm.name, d)
			_, p := itDisk(t, src, name, 8<<20, uint64(10*i+d))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			tv.Files = append(tv.Files, tbFile{Name: filepath.Base(p), Role: RoleDisk, Data: data})
			sv.Files = append(sv.Files, itFile(p))
			b.sources[vm.name+"/"+filepath.Base(p)] = p
		}
		if vm.nvram {
			p := filepath.Join(src, vm.name+".nvram")
			vtWrite(t, p, vtRandom(t, 8<<10))
			sv.Files = append(sv.Files, itFile(p))
			b.sources[vm.name+"/"+filepath.Base(p)] = p
		}
		sv.Descriptor = vtDescriptor(tv)
		source.vms = append(source.vms, sv)
	}
	opts := CreateOptions{
		Sources: []Source{source}, Signer: signer,
		Recipients: []age.Recipient{id.Recipient()}, RecipientNames: []string{id.Recipient().String()},
		Compress: compress, Jobs: 2,
		Info: Info{Provider: "Interop Provider", Customer: "Interop Customer"},
	}
	if asTar {
		b.tar = filepath.Join(dir, "bundle.tar")
		opts.Tar = b.tar
	} else {
		b.dir = filepath.Join(dir, "bundle")
		opts.Out = b.dir
	}
	m, err := Create(context.Background(), opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	b.manifest = m
	return b
}

func TestInteropStockToolsCheckACreatedBundle(t *testing.T) {
	interop.Require(t, "ssh-keygen", "sha256sum", "age", "zstd", "qemu-img")
	b := itCreate(t, "zstd", false)
	dir := b.dir
	run := func(stdin []byte, wd string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = wd
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), wd, err, out)
		}
		return string(out)
	}

	// Signature: ssh-keygen -Y verify with allowed_signers made from
	// signer.pub, and -Y check-novalidate.
	pub, err := os.ReadFile(filepath.Join(dir, SignerFile))
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	vtWrite(t, allowed, []byte(`provider namespaces="exitbundle" `+strings.TrimSpace(string(pub))+"\n"))
	tm, err := os.ReadFile(filepath.Join(dir, TagManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	sig := filepath.Join(dir, SignatureFile)
	run(tm, dir, "ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "provider", "-n", SignatureNamespace, "-s", sig)
	run(tm, dir, "ssh-keygen", "-Y", "check-novalidate", "-n", SignatureNamespace, "-s", sig)

	// BagIt: sha256sum -c in the bag root.
	run(nil, dir, "sha256sum", "--strict", "-c", ManifestFile)
	run(nil, dir, "sha256sum", "--strict", "-c", TagManifestFile)

	// Payload: age -d (and zstd -d) every file, then sha256sum -c each .mf,
	// then qemu-img compare each disk with its source.
	out := t.TempDir()
	disks := 0
	for _, vm := range b.manifest.VMs {
		vmOut := filepath.Join(out, vm.Name)
		os.MkdirAll(vmOut, 0o755)
		for _, f := range vm.Files {
			stored := filepath.Join(dir, filepath.FromSlash(f.Path))
			plain := filepath.Join(vmOut, f.Name)
			cur := stored
			if f.Encrypted {
				next := plain + ".dec"
				run(nil, out, "age", "-d", "-i", b.ageKey, "-o", next, cur)
				cur = next
			}
			if f.Compression == "zstd" {
				next := plain + ".unz"
				run(nil, out, "zstd", "-d", "-q", "-o", next, cur)
				cur = next
			}
			if f.Encrypted || f.Compression == "zstd" {
				if err := os.Rename(cur, plain); err != nil {
					t.Fatal(err)
				}
				os.Remove(plain + ".dec")
			} else {
				data, err := os.ReadFile(stored)
				if err != nil {
					t.Fatal(err)
				}
				vtWrite(t, plain, data)
			}
			if f.Role == RoleDisk {
				if !f.Encrypted || f.Compression != "zstd" {
					t.Errorf("%s: want a .zst.age disk with compress=zstd and a recipient, got %s", f.Name, f.Path)
				}
				run(nil, out, "qemu-img", "compare", "-q", "-f", "vmdk", "-F", "vmdk", b.sources[vm.Name+"/"+f.Name], plain)
				disks++
			}
		}
		run(nil, vmOut, "sha256sum", "--strict", "-c", path.Base(vm.MF))
	}
	if disks != 3 {
		t.Fatalf("compared %d disks, want 3", disks)
	}

	// And exitbundle's own verify and open agree.
	r := vtVerify(t, dir, VerifyOptions{Signer: b.signer.PublicKey(), Identities: b.ids})
	if !r.OK || r.Check(CheckPlaintext).Status != StatusPass {
		t.Fatalf("verify of a created bundle:\n%s", vtText(r))
	}
	opened := filepath.Join(t.TempDir(), "opened")
	if err := restoreErr(context.Background(), dir, RestoreOptions{Out: opened, Identities: b.ids, Signer: b.signer.PublicKey()}); err != nil {
		t.Fatal(err)
	}
	for key, src := range b.sources {
		want, _ := os.ReadFile(src)
		got, err := os.ReadFile(filepath.Join(opened, key))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("opened %s differs from its source (%v)", key, err)
		}
	}
	for _, vm := range b.manifest.VMs {
		run(nil, filepath.Join(opened, vm.Name), "sha256sum", "--strict", "-c", path.Base(vm.MF))
	}
}

func TestInteropCreatedTarVerifiesAndOpens(t *testing.T) {
	b := itCreate(t, "auto", true)
	r := vtVerify(t, b.tar, VerifyOptions{Signer: b.signer.PublicKey(), Identities: b.ids})
	if !r.OK || r.Check(CheckPlaintext).Status != StatusPass {
		t.Fatalf("verify of a created tar:\n%s", vtText(r))
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := restoreErr(context.Background(), b.tar, RestoreOptions{Out: out, Identities: b.ids, Signer: b.signer.PublicKey(), VMs: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	for key, src := range b.sources {
		if !strings.HasPrefix(key, "web/") {
			continue
		}
		want, _ := os.ReadFile(src)
		if got, err := os.ReadFile(filepath.Join(out, key)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("opened %s differs from its source (%v)", key, err)
		}
	}
}

// itCopy copies a bundle folder so each fault starts from a good bundle.
func itCopy(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "bundle")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestCreatedBundleCorruptedAnywhereIsFound flips one byte in every file of
// a bundle made by Create, one file at a time: verify must fail and name
// the file.
func TestCreatedBundleCorruptedAnywhereIsFound(t *testing.T) {
	b := itCreate(t, "zstd", false)
	var files []string
	filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(b.dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(files) < 15 {
		t.Fatalf("only %d files in the bundle: %v", len(files), files)
	}
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			dir := itCopy(t, b.dir)
			info, _ := os.Stat(filepath.Join(dir, rel))
			vtFlip(t, filepath.Join(dir, rel), int(info.Size()/2))
			r := vtVerify(t, dir, VerifyOptions{Signer: b.signer.PublicKey(), Identities: b.ids, Jobs: 2})
			if r.OK {
				t.Fatalf("a flipped byte in %s passed:\n%s", rel, vtText(r))
			}
			if !slicesContainsPath(r, rel) {
				t.Fatalf("verify does not name %s:\n%s", rel, vtText(r))
			}
		})
	}
}

func slicesContainsPath(r *Report, p string) bool {
	for _, c := range r.Checks {
		if c.Status != StatusFail {
			continue
		}
		for _, f := range c.Files {
			if f.Path == p {
				return true
			}
		}
	}
	return false
}

func TestCreatedBundleFaults(t *testing.T) {
	b := itCreate(t, "zstd", false)
	other, err := ssh.NewPublicKey(testSigner(t).PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	disk, diskName := "", ""
	for _, f := range b.manifest.VMs[0].Files {
		if f.Role == RoleDisk {
			disk, diskName = f.Path, f.Name
			break
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		opts   func(o *VerifyOptions)
		want   error
		named  string
	}{
		{name: "replaced signer.pub", damage: func(t *testing.T, dir string) {
			vtWrite(t, filepath.Join(dir, SignerFile), ssh.MarshalAuthorizedKey(other))
		}, want: ErrSignature, named: SignerFile},
		{name: "pinned to another key", opts: func(o *VerifyOptions) { o.Signer = other }, want: ErrSignature, named: SignatureFile},
		{name: "pinned to another fingerprint", opts: func(o *VerifyOptions) { o.Signer, o.SignerFingerprint = nil, ssh.FingerprintSHA256(other) }, want: ErrSignature, named: SignatureFile},
		{name: "removed signature", damage: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, SignatureFile)) }, want: ErrIncomplete, named: SignatureFile},
		{name: "unlisted extra file", damage: func(t *testing.T, dir string) {
			vtWrite(t, filepath.Join(dir, "data/vms/db/backdoor.vmdk"), []byte("x"))
		}, want: ErrIntegrity, named: "data/vms/db/backdoor.vmdk"},
		{name: "missing file", damage: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, filepath.FromSlash(disk))) }, want: ErrIntegrity, named: disk},
		{name: "wrong identity", opts: func(o *VerifyOptions) { o.Identities = []age.Identity{vtIdentity(t)} }, want: ErrIntegrity, named: disk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := itCopy(t, b.dir)
			if tc.damage != nil {
				tc.damage(t, dir)
			}
			opts := VerifyOptions{Signer: b.signer.PublicKey(), Identities: b.ids}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			r := vtVerify(t, dir, opts)
			if r.OK || !errors.Is(r.Err(), tc.want) {
				t.Fatalf("err = %v, want %v\n%s", r.Err(), tc.want, vtText(r))
			}
			if !slicesContainsPath(r, tc.named) {
				t.Fatalf("report does not name %s:\n%s", tc.named, vtText(r))
			}
		})
	}

	t.Run("truncated ciphertext in open leaves nothing", func(t *testing.T) {
		dir := itCopy(t, b.dir)
		p := filepath.Join(dir, filepath.FromSlash(disk))
		data, _ := os.ReadFile(p)
		vtWrite(t, p, data[:len(data)-100])
		out := filepath.Join(t.TempDir(), "out")
		err := restoreErr(context.Background(), dir, RestoreOptions{Out: out, Identities: b.ids, Signer: b.signer.PublicKey()})
		if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), disk) {
			t.Fatalf("err = %v, want an integrity error naming %s", err, disk)
		}
		vm := b.manifest.VMs[0]
		for _, p := range vtTree(t, out) {
			if strings.HasPrefix(p, vm.Name+"/") && (strings.Contains(p, diskName) || strings.HasSuffix(p, ".ovf") || strings.Contains(p, "partial")) {
				t.Errorf("left behind: %s", p)
			}
		}
	})
}
