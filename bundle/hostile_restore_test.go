package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
)

// htEditOVF rewrites a VM's descriptor with edit, updates its .mf line and
// exit-manifest.json, and re-signs: a consistent, signed hostile bundle.
func htEditOVF(t *testing.T, bag *tbResult, vm string, edit func(string) string) {
	t.Helper()
	ovfPath := filepath.Join(bag.Dir, PayloadDir, vm, vm+".ovf")
	mfPath := filepath.Join(bag.Dir, PayloadDir, vm, vm+".mf")
	data, err := os.ReadFile(ovfPath)
	if err != nil {
		t.Fatal(err)
	}
	desc := []byte(edit(string(data)))
	if string(desc) == string(data) {
		t.Fatal("edit changed nothing")
	}
	vtWrite(t, ovfPath, desc)
	mf, _ := os.ReadFile(mfPath)
	re := regexp.MustCompile(`(?m)^SHA256\(` + regexp.QuoteMeta(vm) + `\.ovf\)= [0-9a-f]+$`)
	vtWrite(t, mfPath, re.ReplaceAll(mf, []byte(fmt.Sprintf("SHA256(%s.ovf)= %s", vm, vtSHA(desc)))))
	vtFixVM(t, bag.Dir, bag, vm)
}

func TestRestoreRefusesADescriptorThatPointsOutside(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	htEditOVF(t, bag, "web", func(s string) string {
		return strings.Replace(s, `ovf:href="web-disk-1.vmdk"`, `ovf:href="../../../../../etc/passwd"`, 1)
	})
	if r := vtVerify(t, bag.Dir, VerifyOptions{}); r.OK || r.Check(CheckOVF).Status != StatusFail {
		t.Fatalf("verify accepts the href:\n%s", vtText(r))
	}
	out := filepath.Join(dir, "out")
	rep, err := Restore(context.Background(), bag.Dir, RestoreOptions{Out: out, Signer: bag.Signer.PublicKey()})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), `references "../../../../../etc/passwd"`) {
		t.Fatalf("err = %v", err)
	}
	for _, vm := range rep.VMs {
		if vm.Name == "web" && vm.Ready {
			t.Error("web reported ready")
		}
	}
	if _, err := os.Stat(filepath.Join(out, "web", "web.ovf")); err == nil {
		t.Error("the hostile descriptor was written")
	}
}

func TestRestoreNeverReadsThroughALinkInTheBag(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	// The VM's folder moves elsewhere inside the bag and a link takes its
	// place: the signed manifests still match every byte read through it.
	real := filepath.Join(bag.Dir, "elsewhere")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(bag.Dir, PayloadDir, "web"), filepath.Join(real, "web")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../elsewhere/web", filepath.Join(bag.Dir, PayloadDir, "web")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	_, err := Restore(context.Background(), bag.Dir, RestoreOptions{Out: out, Force: true})
	if err == nil || !strings.Contains(err.Error(), "not a regular file of the bag") {
		t.Fatalf("err = %v, want the link refused", err)
	}
	for _, p := range vtTree(t, filepath.Join(out, "web")) {
		t.Errorf("written through the link: web/%s", p)
	}
}

func TestRestoreRemovesAnEarlierRunsPartialsAndWrites0600(t *testing.T) {
	dir := t.TempDir()
	id := vtIdentity(t)
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Recipients: []age.Recipient{id.Recipient()}})
	out := filepath.Join(dir, "out")
	// What kill -9 of an earlier open leaves: a decrypted, unverified
	// temporary beside where the disk goes.
	partial := filepath.Join(out, "web", ".web-disk-1.vmdk.0123456789ab.exitbundle-partial")
	vtWrite(t, partial, []byte("unverified plaintext"))
	os.Chmod(partial, 0o644)
	unrelated := filepath.Join(out, "web", "notes.txt")
	vtWrite(t, unrelated, []byte("the user's own file"))

	if err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
	vtCheckOpened(t, out, bag)
	if _, err := os.Lstat(partial); err == nil {
		t.Error("the killed run's partial is still there")
	}
	if _, err := os.Lstat(unrelated); err != nil {
		t.Error("a file restore did not write was removed")
	}
	for _, vm := range bag.Manifest.VMs {
		for _, f := range vm.Files {
			if f.Role != RoleDisk && f.Role != RoleNVRAM {
				continue
			}
			fi, err := os.Stat(filepath.Join(out, vm.Name, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s/%s: mode %v, want 0600", vm.Name, f.Name, fi.Mode().Perm())
			}
		}
	}
}

func TestRestoreRefusesNamesWithControlCharacters(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	for vi := range bag.Manifest.VMs {
		for fi := range bag.Manifest.VMs[vi].Files {
			f := &bag.Manifest.VMs[vi].Files[fi]
			if f.Name == "web-disk-1.vmdk" {
				f.Name = "web-disk-1\x1b[2J.vmdk"
			}
		}
	}
	vtWriteTags(t, bag.Dir, bag.Manifest, tbSpec{Signer: bag.Signer})
	err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: filepath.Join(dir, "out")})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), `web-disk-1\x1b[2J.vmdk`) || strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("err = %q", err)
	}
}
