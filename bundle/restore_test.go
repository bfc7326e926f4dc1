package bundle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"filippo.io/age"
)

// vtTree returns every path under dir, hidden files included, so a test
// sees leftovers.
func vtTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func vtCheckOpened(t *testing.T, out string, bag *tbResult, vms ...string) {
	t.Helper()
	for _, vm := range bag.Manifest.VMs {
		want := len(vms) == 0
		for _, n := range vms {
			want = want || n == vm.Name
		}
		if !want {
			if _, err := os.Stat(filepath.Join(out, vm.Name)); err == nil {
				t.Errorf("VM %s opened though not asked for", vm.Name)
			}
			continue
		}
		for key, plain := range bag.Plain {
			if !strings.HasPrefix(key, vm.Name+"/") {
				continue
			}
			got, err := os.ReadFile(filepath.Join(out, key))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("%s differs from the original", key)
			}
		}
		for _, name := range []string{vm.Name + ".ovf", vm.Name + ".mf"} {
			if _, err := os.Stat(filepath.Join(out, vm.Name, name)); err != nil {
				t.Errorf("%s/%s not written: %v", vm.Name, name, err)
			}
		}
	}
	for _, p := range vtTree(t, out) {
		if strings.Contains(p, "exitbundle-partial") {
			t.Errorf("temporary file left behind: %s", p)
		}
	}
}

func TestOpenRestoresPlainOVFFolders(t *testing.T) {
	id := vtIdentity(t)
	for _, tc := range []struct {
		name string
		spec tbSpec
		ids  []age.Identity
		tar  bool
		vms  []string
	}{
		{name: "unencrypted", spec: tbSpec{}},
		{name: "zstd", spec: tbSpec{Compress: true}},
		{name: "encrypted and zstd", spec: tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}},
		{name: "one VM of two", spec: tbSpec{Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}, vms: []string{"db"}},
		{name: "from a tar", spec: tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}, tar: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bag := vtBuildBag(t, filepath.Join(dir, "bag"), tc.spec)
			p := bag.Dir
			if tc.tar {
				p = filepath.Join(dir, "bag.tar")
				vtTar(t, bag.Dir, p, "exit/")
			}
			out := filepath.Join(dir, "out")
			var progress bytes.Buffer
			err := restoreErr(context.Background(), p, RestoreOptions{Out: out, Identities: tc.ids, VMs: tc.vms, Jobs: 2, Progress: &progress})
			if err != nil {
				t.Fatalf("Open: %v\n%s", err, progress.String())
			}
			vtCheckOpened(t, out, bag, tc.vms...)
			if !strings.Contains(progress.String(), "NOT pinned") {
				t.Errorf("progress does not warn that the signer is not pinned:\n%s", progress.String())
			}
		})
	}
}

func TestOpenNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	out := filepath.Join(dir, "out")
	existing := filepath.Join(out, "db", "db-disk-1.vmdk")
	vtWrite(t, existing, []byte("precious"))
	err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out})
	if err == nil || !strings.Contains(err.Error(), "already exists (VM db is already there)") {
		t.Fatalf("err = %v, want a refusal to overwrite naming the VM", err)
	}
	var oe *OutputExistsError
	if !errors.As(err, &oe) || strings.Join(oe.VMs, " ") != "db" || strings.Join(oe.Others, " ") != "web" {
		t.Fatalf("err = %#v, want an OutputExistsError with db in the way and web openable", err)
	}
	if got, _ := os.ReadFile(existing); string(got) != "precious" {
		t.Fatal("existing file was changed")
	}
	if got := vtTree(t, out); strings.Join(got, " ") != "db db/db-disk-1.vmdk" {
		t.Fatalf("open wrote before refusing: %v", got)
	}
}

func TestOpenRefusesUnsignedUnlessForced(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(dir string, bag *tbResult)
		want   error
	}{
		{"signature removed", func(dir string, bag *tbResult) { os.Remove(filepath.Join(dir, SignatureFile)) }, ErrIncomplete},
		{"incomplete marker", func(dir string, bag *tbResult) { vtWrite(t, filepath.Join(dir, IncompleteMarker), nil) }, ErrIncomplete},
		{"re-signed by another key, pinned", func(dir string, bag *tbResult) {
			vtWriteTags(t, dir, bag.Manifest, tbSpec{Signer: testSigner(t)})
		}, ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
			tc.damage(bag.Dir, bag)
			opts := RestoreOptions{Out: filepath.Join(dir, "out"), Signer: bag.Signer.PublicKey()}
			err := restoreErr(context.Background(), bag.Dir, opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if _, serr := os.Stat(opts.Out); serr == nil {
				t.Fatal("refused open still wrote output")
			}
			opts.Force = true
			var progress bytes.Buffer
			opts.Progress = &progress
			if err := restoreErr(context.Background(), bag.Dir, opts); err != nil {
				t.Fatalf("forced open: %v", err)
			}
			if !strings.Contains(progress.String(), "WARNING") {
				t.Errorf("forced open does not warn:\n%s", progress.String())
			}
			vtCheckOpened(t, opts.Out, bag)
		})
	}
}

// TestOpenTruncatedCiphertextLeavesNothing cuts an encrypted disk short
// (and re-signs, so only decryption can notice): age has already handed
// out the early chunks' plaintext when the last one fails, and open must
// remove all of it.
func TestOpenTruncatedCiphertextLeavesNothing(t *testing.T) {
	id := vtIdentity(t)
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Recipients: []age.Recipient{id.Recipient()}})
	victim := vtStoredPath(t, bag.Manifest, "web", "web-disk-1.vmdk")
	full := filepath.Join(bag.Dir, victim)
	data, _ := os.ReadFile(full)
	vtWrite(t, full, data[:len(data)-1000])
	for i := range bag.Manifest.VMs {
		for j := range bag.Manifest.VMs[i].Files {
			if f := &bag.Manifest.VMs[i].Files[j]; f.Path == victim {
				f.StoredSize = int64(len(data) - 1000)
				f.StoredSHA256 = vtSHA(data[:len(data)-1000])
			}
		}
	}
	vtWriteTags(t, bag.Dir, bag.Manifest, tbSpec{Signer: bag.Signer})

	out := filepath.Join(dir, "out")
	err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: []age.Identity{id}, Signer: bag.Signer.PublicKey()})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), victim) {
		t.Fatalf("err = %v, want an integrity error naming %s", err, victim)
	}
	got := vtTree(t, out)
	for _, p := range got {
		if strings.Contains(p, "web-disk-1") || strings.Contains(p, "partial") || p == "web/web.ovf" {
			t.Errorf("left behind after a failed check: %s (tree %v)", p, got)
		}
	}
	// The other VM is complete and its files verified.
	if _, err := os.Stat(filepath.Join(out, "db", "db.ovf")); err != nil {
		t.Errorf("the intact VM was not opened: %v", err)
	}

	// And verify names the file by its plaintext check.
	r := vtVerify(t, bag.Dir, VerifyOptions{Identities: []age.Identity{id}})
	if c := r.Check(CheckPlaintext); c.Status != StatusFail || c.Files[0].Path != victim {
		t.Fatalf("verify does not name the truncated file:\n%s", vtText(r))
	}
}

func TestOpenWrongIdentity(t *testing.T) {
	dir := t.TempDir()
	id := vtIdentity(t)
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Recipients: []age.Recipient{id.Recipient()}, Compress: true})
	out := filepath.Join(dir, "out")
	err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: []age.Identity{vtIdentity(t)}})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "wrong key") {
		t.Fatalf("err = %v, want a wrong-key error", err)
	}
	for _, p := range vtTree(t, out) {
		if strings.Contains(p, ".") {
			t.Errorf("left behind: %s", p)
		}
	}
	if err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out}); err == nil || !strings.Contains(err.Error(), "give an identity") {
		t.Fatalf("no identity: err = %v, want a hint to give --identity", err)
	}
}

func TestOpenUnknownVM(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: filepath.Join(dir, "out"), VMs: []string{"mail"}})
	if err == nil || !strings.Contains(err.Error(), "web") || !strings.Contains(err.Error(), "db") {
		t.Fatalf("err = %v, want the list of VMs", err)
	}
}

// restoreErr is Restore for tests that look only at its error.
func restoreErr(ctx context.Context, p string, opts RestoreOptions) error {
	_, err := Restore(ctx, p, opts)
	return err
}
