package bundle

import (
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// htOtherManifest writes manifest-ALG.txt (or tagmanifest-) for the files
// under root that match, each digest from sum, with damage applied to one.
func htOtherManifest(t *testing.T, dir, name string, sum func([]byte) string, payload bool, damage string) {
	t.Helper()
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		inData := strings.HasPrefix(rel, "data/")
		if inData == payload && !strings.HasPrefix(rel, "tagmanifest-") && rel != name {
			paths = append(paths, rel)
		}
		return nil
	})
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		data, _ := os.ReadFile(filepath.Join(dir, p))
		s := sum(data)
		if p == damage {
			s = strings.Repeat("0", len(s))
		}
		fmt.Fprintf(&b, "%s  %s\n", s, p)
	}
	vtWrite(t, filepath.Join(dir, name), []byte(b.String()))
}

func TestVerifyChecksEveryManifestOfEveryAlgorithmAndRefusesFetch(t *testing.T) {
	md5sum := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
	sha512sum := func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, bag *tbResult) string // returns the file the bagit check must name
		valid  bool
	}{
		{"good sha512 and md5 manifests", func(t *testing.T, bag *tbResult) string {
			htOtherManifest(t, bag.Dir, "manifest-sha512.txt", sha512sum, true, "")
			htOtherManifest(t, bag.Dir, "manifest-md5.txt", md5sum, true, "")
			return ""
		}, true},
		{"a wrong sha512 manifest", func(t *testing.T, bag *tbResult) string {
			p := vtStoredPath(t, bag.Manifest, "web", "web-disk-1.vmdk")
			htOtherManifest(t, bag.Dir, "manifest-sha512.txt", sha512sum, true, p)
			return p
		}, false},
		{"a wrong md5 manifest", func(t *testing.T, bag *tbResult) string {
			p := vtStoredPath(t, bag.Manifest, "db", "db-disk-1.vmdk")
			htOtherManifest(t, bag.Dir, "manifest-md5.txt", md5sum, true, p)
			return p
		}, false},
		{"an md5 manifest that leaves a file out", func(t *testing.T, bag *tbResult) string {
			htOtherManifest(t, bag.Dir, "manifest-md5.txt", md5sum, true, "")
			p := vtStoredPath(t, bag.Manifest, "db", "db-disk-1.vmdk")
			data, _ := os.ReadFile(filepath.Join(bag.Dir, "manifest-md5.txt"))
			var keep []string
			for _, l := range strings.SplitAfter(string(data), "\n") {
				if !strings.HasSuffix(strings.TrimSpace(l), p) {
					keep = append(keep, l)
				}
			}
			vtWrite(t, filepath.Join(bag.Dir, "manifest-md5.txt"), []byte(strings.Join(keep, "")))
			return p
		}, false},
		{"a wrong sha512 tag manifest", func(t *testing.T, bag *tbResult) string {
			htOtherManifest(t, bag.Dir, "tagmanifest-sha512.txt", sha512sum, false, BagInfoFile)
			return BagInfoFile
		}, false},
		{"a fetch.txt pointing outside", func(t *testing.T, bag *tbResult) string {
			vtWrite(t, filepath.Join(bag.Dir, "fetch.txt"), []byte("https://attacker.example/x 10 data/vms/web/x.vmdk\n"))
			return "fetch.txt"
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bag := vtBuildBag(t, filepath.Join(t.TempDir(), "bag"), tbSpec{})
			target := tc.damage(t, bag)
			htResign(t, bag) // signed: the signature covers the damage
			r := vtVerify(t, bag.Dir, VerifyOptions{Signer: bag.Signer.PublicKey()})
			if r.Check(CheckSignature).Status != StatusPass {
				t.Fatalf("signature:\n%s", vtText(r))
			}
			if r.BagItValid != tc.valid || r.OK != tc.valid {
				t.Fatalf("BagIt valid %v, OK %v; want %v:\n%s", r.BagItValid, r.OK, tc.valid, vtText(r))
			}
			if target == "" {
				return
			}
			named := false
			for _, f := range r.Check(CheckBagIt).Files {
				named = named || f.Path == target
			}
			if !named {
				t.Errorf("the bagit check does not name %s:\n%s", target, vtText(r))
			}
		})
	}
}
