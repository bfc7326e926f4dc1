package bundle

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/seal"
)

// The Library of Congress BagIt conformance suite (CC0, copied from
// github.com/LibraryOfCongress/bagit-conformance-suite with its LICENSE
// and README): every bag under v1.0/valid must be judged valid, every bag
// under v1.0/invalid not. What is compared is verify's BagIt verdict
// (Report.BagItValid), not its exit code: these bags are not exit bundles,
// so exitkit's profile and signature checks fail on all of them.
const conformanceSuite = "bagit/testdata/bagit-conformance"

// copyTree copies a bag so the test can add a signature beside it.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyAgreesWithTheBagItConformanceSuite(t *testing.T) {
	var bags []string
	for _, verdict := range []string{"valid", "invalid"} {
		list, err := os.ReadDir(filepath.Join(conformanceSuite, "v1.0", verdict))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.IsDir() {
				bags = append(bags, verdict+"/"+d.Name())
			}
		}
	}
	sort.Strings(bags)
	if len(bags) < 5 {
		t.Fatalf("only %d bags in the suite", len(bags))
	}
	agree := 0
	signer := testSigner(t)
	for _, b := range bags {
		t.Run(b, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(b))
			copyTree(t, filepath.Join(conformanceSuite, "v1.0", filepath.FromSlash(b)), dir)
			opts := VerifyOptions{}
			// Signed where it has a SHA-256 tag manifest, so that the
			// signature check passes and cannot mask the verdict.
			if tm, err := os.ReadFile(filepath.Join(dir, TagManifestFile)); err == nil {
				sig, err := seal.Sign(signer, strings.NewReader(string(tm)))
				if err != nil {
					t.Fatal(err)
				}
				vtWrite(t, filepath.Join(dir, SignatureFile), sig)
				opts.Signer = signer.PublicKey()
			}
			r := vtVerify(t, dir, opts)
			want := strings.HasPrefix(b, "valid/")
			if r.BagItValid != want {
				t.Errorf("BagIt verdict %v, the suite says %v:\n%s", r.BagItValid, want, vtText(r))
				return
			}
			if opts.Signer != nil && r.Check(CheckSignature).Status != StatusPass {
				t.Errorf("the test's signature does not verify:\n%s", vtText(r))
			}
			agree++
		})
	}
	t.Logf("BagIt conformance suite: %d bags, verify agrees on %d", len(bags), agree)
	if agree != len(bags) {
		t.Errorf("verify disagrees with the suite on %d of %d bags", len(bags)-agree, len(bags))
	}
}
