package bundle

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/internal/interop"
)

// TestCreatedBundleChecksOutWithStockTools follows the bundle's own
// instructions with the stock tools a trustee has: ssh-keygen -Y verify,
// sha256sum -c, age -d | zstd -d, sha256sum -c on each .mf, and
// qemu-img compare against the source disks; with zstd, and with auto,
// which stores the streamOptimized disks as they are and the NVRAM as
// zstd of stored blocks.
func TestCreatedBundleChecksOutWithStockTools(t *testing.T) {
	tools := interop.Require(t, "ssh-keygen", "sha256sum", "age", "zstd", "qemu-img")
	for _, compress := range []string{"zstd", "auto"} {
		t.Run(compress, func(t *testing.T) {
			stockToolsCheck(t, tools, newFixture(t, t.TempDir(), crCapacity), compress)
		})
	}
}

// stockToolsCheck creates a bundle of fx encrypted to a new identity, and
// checks and restores it with stock tools (ssh-keygen, sha256sum, age,
// zstd, qemu-img, in that order in tools).
func stockToolsCheck(t *testing.T, tools []string, fx *crFixture, compress string) *Manifest {
	t.Helper()
	keygen, sha256sum, ageBin, zstdBin, qemu := tools[0], tools[1], tools[2], tools[3], tools[4]
	work := t.TempDir()
	idPath := filepath.Join(work, "id.txt")
	id, _ := age.GenerateX25519Identity()
	os.WriteFile(idPath, []byte(id.String()+"\n"), 0o600)
	out := filepath.Join(work, "bundle")
	opts := crOptions(t, fx, out, id)
	opts.Compress = compress
	m, err := Create(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	run := func(dir string, stdin string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if stdin != "" {
			f, err := os.Open(stdin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd.Stdin = f
		}
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
		return string(b)
	}

	pub, _ := os.ReadFile(filepath.Join(out, SignerFile))
	allowed := filepath.Join(work, "allowed_signers")
	os.WriteFile(allowed, []byte(`provider namespaces="exitbundle" `+string(pub)), 0o644)
	run(out, filepath.Join(out, TagManifestFile), keygen, "-Y", "verify", "-f", allowed, "-I", "provider", "-n", SignatureNamespace, "-s", SignatureFile)
	run(out, filepath.Join(out, TagManifestFile), keygen, "-Y", "check-novalidate", "-n", SignatureNamespace, "-s", SignatureFile)
	run(out, "", sha256sum, "-c", "--strict", ManifestFile)
	run(out, "", sha256sum, "-c", "--strict", TagManifestFile)

	for _, vm := range m.VMs {
		plain := filepath.Join(work, "plain", vm.Name)
		os.MkdirAll(plain, 0o755)
		for _, f := range vm.Files {
			stored := filepath.Join(out, filepath.FromSlash(f.Path))
			dst := filepath.Join(plain, f.Name)
			switch {
			case f.Encrypted && f.Compression == "zstd":
				run(work, "", "sh", "-c", `"$1" -d -i "$2" "$3" | "$4" -d -q -o "$5"`, "sh", ageBin, idPath, stored, zstdBin, dst)
			case f.Encrypted:
				run(work, "", ageBin, "-d", "-i", idPath, "-o", dst, stored)
			default:
				data, _ := os.ReadFile(stored)
				os.WriteFile(dst, data, 0o644)
			}
		}
		run(plain, "", sha256sum, "-c", "--strict", vm.Name+".mf")
		for _, f := range vm.Files {
			if f.Role != RoleDisk {
				continue
			}
			var srcPath string
			for _, svm := range fx.source.vms {
				for _, sf := range svm.files {
					if SanitizeName(svm.name) == vm.Name && SanitizeName(sf.href) == f.Name {
						srcPath = sf.path
					}
				}
			}
			if got := run(plain, "", qemu, "compare", f.Name, srcPath); !strings.Contains(got, "identical") {
				t.Errorf("qemu-img compare %s: %s", f.Name, got)
			}
		}
	}
	return m
}

// TestCreatedBundlePassesVerify checks the two halves agree: what Create
// writes, as a folder and as a tar, Verify accepts with every check.
func TestCreatedBundlePassesVerify(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	id, _ := age.GenerateX25519Identity()
	for _, asTar := range []bool{false, true} {
		dir := t.TempDir()
		opts := crOptions(t, fx, filepath.Join(dir, "bundle"), id)
		target := opts.Out
		if asTar {
			opts.Out, opts.Tar = "", filepath.Join(dir, "bundle.tar")
			target = opts.Tar
		}
		if _, err := Create(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		r, err := Verify(context.Background(), target, VerifyOptions{Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK || r.Incomplete {
			t.Errorf("Verify(%s) not OK: %+v", target, r.Checks)
		}
	}
}
