package vsphere_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/ovf"
	"github.com/exitkit/exitkit/internal/vcsimx"
)

func newKeys(t testing.TB) (bundle.CreateOptions, *age.X25519Identity) {
	t.Helper()
	dir := t.TempDir()
	if _, err := keys.GenerateSigningKey(filepath.Join(dir, "sign")); err != nil {
		t.Fatal(err)
	}
	signer, err := keys.LoadSigner(filepath.Join(dir, "sign"), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := keys.GenerateAgeIdentity(filepath.Join(dir, "age.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return bundle.CreateOptions{
		Signer:         signer,
		Recipients:     []age.Recipient{id.Recipient()},
		RecipientNames: []string{id.Recipient().String()},
		Jobs:           2,
	}, id
}

func TestCreateFromVSphereWritesAVerifiedEncryptedBundle(t *testing.T) {
	lab := startLab(t)
	dir := t.TempDir()
	efi := makeDisk(t, dir, "efi", 2<<20, 20)
	a, b := makeDisk(t, dir, "a", 3<<20, 21), makeDisk(t, dir, "b", 1<<20, 22)
	run := makeDisk(t, dir, "run", 1<<20, 23)
	nvram := bytes.Repeat([]byte{0xEF, 0x1}, 4096)
	addVM(t, lab, vcsimx.VMSpec{Name: "efi", Firmware: "efi", NVRAM: nvram, Disks: []vcsimx.Disk{{VMDK: efi.vmdk, Capacity: efi.capacity}}})
	addVM(t, lab, vcsimx.VMSpec{Name: "app", Disks: []vcsimx.Disk{{VMDK: a.vmdk, Capacity: a.capacity}, {VMDK: b.vmdk, Capacity: b.capacity}}})
	runPath := addVM(t, lab, vcsimx.VMSpec{Name: "run", PowerOn: true, Network: "DC0_DVPG0", Disks: []vcsimx.Disk{{VMDK: run.vmdk, Capacity: run.capacity}}})

	opts, id := newKeys(t)
	opts.Sources = []bundle.Source{open(t, lab, "vm=*", options(lab))}
	opts.Out = filepath.Join(t.TempDir(), "bundle")
	m, err := bundle.Create(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := lab.Snapshots(context.Background(), runPath); n != 0 {
		t.Errorf("%d snapshots left on the running VM", n)
	}

	uploaded := map[string][]byte{} // sha256 -> content
	for _, p := range []string{efi.vmdk, a.vmdk, b.vmdk, run.vmdk} {
		data := readFile(t, p)
		sum := sha256.Sum256(data)
		uploaded[hex.EncodeToString(sum[:])] = data
	}
	sum := sha256.Sum256(nvram)
	uploaded[hex.EncodeToString(sum[:])] = nvram

	if len(m.VMs) != 3 {
		t.Fatalf("%d VMs in the manifest", len(m.VMs))
	}
	payload := 0
	for _, vm := range m.VMs {
		desc, err := ovf.Parse(bytes.NewReader(readFile(t, filepath.Join(opts.Out, vm.OVF))))
		if err != nil {
			t.Fatal(err)
		}
		sizes := map[string]int64{}
		for _, f := range desc.Files {
			sizes[f.Href] = f.Size
		}
		for _, f := range vm.Files {
			if f.Role != bundle.RoleDisk && f.Role != bundle.RoleNVRAM {
				continue
			}
			payload++
			if _, ok := uploaded[f.SHA256]; !ok {
				t.Errorf("%s/%s: plaintext hash matches nothing uploaded", vm.Name, f.Name)
			}
			if sizes[f.Name] != f.Size {
				t.Errorf("%s/%s: descriptor says %d bytes, file has %d", vm.Name, f.Name, sizes[f.Name], f.Size)
			}
			if !f.Encrypted {
				t.Errorf("%s/%s stored unencrypted", vm.Name, f.Name)
			}
		}
	}
	if payload != 5 {
		t.Errorf("%d disks and NVRAM files stored, want 5", payload)
	}

	rep, err := bundle.Verify(context.Background(), opts.Out, bundle.VerifyOptions{Identities: []age.Identity{id}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("verify: %+v", rep.Checks)
	}
}

func TestCreateRetriesADroppedDownloadAndGivesUpOnlyOnThatVM(t *testing.T) {
	if testing.Short() {
		t.Skip("waits through create's back-off (about 7 s)")
	}
	lab := startLab(t)
	dir := t.TempDir()
	disks := map[string]testDisk{}
	for i, name := range []string{"good", "flaky", "broken"} {
		d := makeDisk(t, dir, name, 2<<20, uint64(30+i))
		disks[name] = d
		addVM(t, lab, vcsimx.VMSpec{Name: name, Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	}
	var mu sync.Mutex
	tries := map[string]int{}
	lab.FailNFC(func(file string) int64 {
		mu.Lock()
		defer mu.Unlock()
		tries[file]++
		switch {
		case strings.HasPrefix(file, "broken"):
			return 100_000 // always dropped halfway
		case strings.HasPrefix(file, "flaky") && tries[file] == 1:
			return 50_000 // dropped once
		}
		return -1
	})

	opts, _ := newKeys(t)
	opts.Sources = []bundle.Source{open(t, lab, "vm=*", options(lab))}
	opts.Out = filepath.Join(t.TempDir(), "bundle")
	var progress bytes.Buffer
	opts.Progress = &progress
	_, err := bundle.Create(context.Background(), opts)
	if !errors.Is(err, bundle.ErrVMFailed) {
		t.Fatalf("got %v, want ErrVMFailed", err)
	}
	if !strings.Contains(err.Error(), "broken") || strings.Contains(err.Error(), "VM DC0/vm/flaky") || strings.Contains(err.Error(), "VM DC0/vm/good") {
		t.Errorf("error should name the broken VM only: %v", err)
	}
	if !strings.Contains(err.Error(), "dropped") {
		t.Errorf("error does not say the download was dropped: %v", err)
	}
	mu.Lock()
	if tries["broken.vmdk"] != 4 || tries["flaky.vmdk"] != 2 || tries["good.vmdk"] != 1 {
		t.Errorf("downloads per file: %v; want broken 4 (1 + 3 retries), flaky 2, good 1", tries)
	}
	mu.Unlock()
	if _, err := os.Stat(filepath.Join(opts.Out, bundle.SignatureFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bundle is signed after a failed VM (stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(opts.Out, bundle.IncompleteMarker)); err != nil {
		t.Errorf("no incomplete marker: %v", err)
	}
	for _, vm := range []string{"good", "flaky"} {
		entries, _ := os.ReadDir(filepath.Join(opts.Out, bundle.PayloadDir, vm))
		found := false
		for _, e := range entries {
			if strings.Contains(e.Name(), ".vmdk") {
				found = true
			}
		}
		if !found {
			t.Errorf("VM %s was not stored: %v", vm, entries)
		}
	}

	// The same command again, with the network healed, finishes the bundle.
	lab.FailNFC(nil)
	opts.Sources = []bundle.Source{open(t, lab, "vm=*", options(lab))}
	if _, err := bundle.Create(context.Background(), opts); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if _, err := os.Stat(filepath.Join(opts.Out, bundle.SignatureFile)); err != nil {
		t.Errorf("resumed bundle is not signed: %v", err)
	}
}
