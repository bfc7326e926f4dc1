package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/seal"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/ssh"
)

// Test bags built by hand, independent of Create, so that verify and open
// are tested against a bag whose every byte the test controls, and so
// that stock tools (ssh-keygen, age, zstd) can take the place of any step.

type tbFile struct {
	Name string
	Role string // RoleDisk or RoleNVRAM
	Data []byte
}

type tbVM struct {
	Name  string
	Files []tbFile
}

type tbSpec struct {
	VMs        []tbVM
	Recipients []age.Recipient
	Compress   bool
	Signer     ssh.Signer // nil: a fresh ed25519 key

	// Replace steps with stock tools in interop tests.
	Encrypt func(t *testing.T, plain []byte) []byte       // stored = Encrypt(Compress(plain))
	Zstd    func(t *testing.T, plain []byte) []byte       // compress
	Sign    func(t *testing.T, tagManifest []byte) []byte // armored SSHSIG
}

// tbResult is what vtBuildBag made.
type tbResult struct {
	Dir      string
	Signer   ssh.Signer
	Manifest *Manifest
	Plain    map[string][]byte // "<vm>/<name>" -> plaintext
}

func vtRandom(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// vtCompressible is half random, half zeros, like a real disk.
func vtCompressible(t testing.TB, n int) []byte {
	b := vtRandom(t, n)
	for i := 0; i < n; i += 8192 {
		clear(b[i:min(n, i+4096)])
	}
	return b
}

func vtDefaultVMs(t testing.TB) []tbVM {
	return []tbVM{
		{Name: "web", Files: []tbFile{
			{Name: "web-disk-1.vmdk", Role: RoleDisk, Data: vtCompressible(t, 300<<10)},
			{Name: "web-disk-2.vmdk", Role: RoleDisk, Data: vtRandom(t, 70<<10+13)},
			{Name: "web.nvram", Role: RoleNVRAM, Data: vtRandom(t, 8<<10)},
		}},
		{Name: "db", Files: []tbFile{
			{Name: "db-disk-1.vmdk", Role: RoleDisk, Data: vtCompressible(t, 200<<10+1)},
		}},
	}
}

func vtSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func vtDescriptor(vm tbVM) []byte {
	var refs, disks, items strings.Builder
	n := 0
	for _, f := range vm.Files {
		if f.Role != RoleDisk {
			continue
		}
		n++
		fmt.Fprintf(&refs, `    <File ovf:id="file%d" ovf:href="%s" ovf:size="%d"/>`+"\n", n, f.Name, len(f.Data))
		fmt.Fprintf(&disks, `    <Disk ovf:diskId="vmdisk%d" ovf:fileRef="file%d" ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>`+"\n", n, n)
		fmt.Fprintf(&items, `      <Item><rasd:AddressOnParent>%d</rasd:AddressOnParent><rasd:ElementName>Hard disk %d</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk%d</rasd:HostResource><rasd:InstanceID>%d</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>`+"\n", n-1, n, n, 10+n)
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
` + refs.String() + `  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
` + disks.String() + `  </DiskSection>
  <VirtualSystem ovf:id="` + vm.Name + `">
    <Info>A virtual machine</Info>
    <Name>` + vm.Name + `</Name>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>2 virtual CPU(s)</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>2048MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2048</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
` + items.String() + `    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`)
}

func vtWrite(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// vtBuildBag writes a complete, signed exit bundle into dir.
func vtBuildBag(t *testing.T, dir string, spec tbSpec) *tbResult {
	t.Helper()
	if spec.VMs == nil {
		spec.VMs = vtDefaultVMs(t)
	}
	if spec.Signer == nil {
		spec.Signer = testSigner(t)
	}
	res := &tbResult{Dir: dir, Signer: spec.Signer, Plain: map[string][]byte{}}
	m := &Manifest{
		Format: FormatVersion, Created: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), Tool: "test",
		Provider: "Test Provider", Customer: "Test Customer",
		Signer: Signer{
			Fingerprint: ssh.FingerprintSHA256(spec.Signer.PublicKey()),
			PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spec.Signer.PublicKey()))),
		},
		Encryption:  Encryption{Mode: "none"},
		Compression: "none",
	}
	encrypt := len(spec.Recipients) > 0 || spec.Encrypt != nil
	if encrypt {
		m.Encryption.Mode = "age"
	}
	if spec.Compress {
		m.Compression = "zstd"
	}
	for _, tv := range spec.VMs {
		vm := VM{Name: tv.Name, Origin: "test", OVF: PayloadDir + "/" + tv.Name + "/" + tv.Name + ".ovf", MF: PayloadDir + "/" + tv.Name + "/" + tv.Name + ".mf"}
		desc := vtDescriptor(tv)
		mf := fmt.Sprintf("SHA256(%s.ovf)= %s\n", tv.Name, vtSHA(desc))
		vm.Files = append(vm.Files, File{Name: tv.Name + ".ovf", Path: vm.OVF, Role: RoleDescriptor, Size: int64(len(desc)), SHA256: vtSHA(desc), StoredSize: int64(len(desc)), StoredSHA256: vtSHA(desc)})
		vtWrite(t, filepath.Join(dir, vm.OVF), desc)
		for _, f := range tv.Files {
			res.Plain[tv.Name+"/"+f.Name] = f.Data
			stored := f.Data
			name := f.Name
			file := File{Name: f.Name, Role: f.Role, Size: int64(len(f.Data)), SHA256: vtSHA(f.Data)}
			if spec.Compress {
				if spec.Zstd != nil {
					stored = spec.Zstd(t, stored)
				} else {
					enc, _ := zstd.NewWriter(nil)
					stored = enc.EncodeAll(stored, nil)
				}
				name += ".zst"
				file.Compression = "zstd"
			}
			if encrypt {
				if spec.Encrypt != nil {
					stored = spec.Encrypt(t, stored)
				} else {
					var buf bytes.Buffer
					w, err := age.Encrypt(&buf, spec.Recipients...)
					if err != nil {
						t.Fatal(err)
					}
					w.Write(stored)
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					stored = buf.Bytes()
				}
				name += ".age"
				file.Encrypted = true
			}
			file.Path = PayloadDir + "/" + tv.Name + "/" + name
			file.StoredSize = int64(len(stored))
			file.StoredSHA256 = vtSHA(stored)
			vtWrite(t, filepath.Join(dir, file.Path), stored)
			vm.Files = append(vm.Files, file)
			mf += fmt.Sprintf("SHA256(%s)= %s\n", f.Name, vtSHA(f.Data))
		}
		vm.Files = append(vm.Files, File{Name: tv.Name + ".mf", Path: vm.MF, Role: RoleManifest, Size: int64(len(mf)), SHA256: vtSHA([]byte(mf)), StoredSize: int64(len(mf)), StoredSHA256: vtSHA([]byte(mf))})
		vtWrite(t, filepath.Join(dir, vm.MF), []byte(mf))
		m.VMs = append(m.VMs, vm)
	}
	res.Manifest = m
	vtWriteTags(t, dir, m, spec)
	return res
}

// vtWriteTags (re)writes every tag file from the payload on disk and
// signs the tag manifest: also what a test uses to forge a consistent bag.
func vtWriteTags(t testing.TB, dir string, m *Manifest, spec tbSpec) {
	t.Helper()
	var payload []string
	var octets int64
	filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			payload = append(payload, filepath.ToSlash(rel))
			info, _ := d.Info()
			octets += info.Size()
		}
		return nil
	})
	sort.Strings(payload)
	var man strings.Builder
	for _, p := range payload {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&man, "%s  %s\n", vtSHA(data), p)
	}
	jm, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string][]byte{
		BagItFile:        []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
		BagInfoFile:      []byte(fmt.Sprintf("Source-Organization: Test Provider\nBagging-Date: 2026-11-27\nPayload-Oxum: %d.%d\nBag-Size: %s\n", octets, len(payload), manifest.HumanBytes(octets))),
		ManifestFile:     []byte(man.String()),
		ExitManifestFile: append(jm, '\n'),
		IndexFile:        []byte("<!doctype html><title>exit bundle</title>\n"),
		ReadmeFile:       []byte("An exit bundle.\n"),
		SignerFile:       ssh.MarshalAuthorizedKey(spec.Signer.PublicKey()),
	}
	var names []string
	for name, data := range tags {
		vtWrite(t, filepath.Join(dir, name), data)
		names = append(names, name)
	}
	sort.Strings(names)
	var tm strings.Builder
	for _, name := range names {
		fmt.Fprintf(&tm, "%s  %s\n", vtSHA(tags[name]), name)
	}
	vtWrite(t, filepath.Join(dir, TagManifestFile), []byte(tm.String()))
	var sig []byte
	if spec.Sign != nil {
		sig = spec.Sign(t.(*testing.T), []byte(tm.String()))
	} else {
		sig, err = seal.Sign(spec.Signer, strings.NewReader(tm.String()))
		if err != nil {
			t.Fatal(err)
		}
	}
	vtWrite(t, filepath.Join(dir, SignatureFile), sig)
}

// vtTar writes the folder as a tar: payload first, then tag files,
// the signature last, as a streaming writer would; prefix puts every
// member in one top-level folder.
func vtTar(t *testing.T, dir, tarPath, prefix string) {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	rank := func(p string) int {
		switch {
		case strings.HasPrefix(p, "data/"):
			return 0
		case p == SignatureFile:
			return 2
		}
		return 1
	}
	sort.SliceStable(files, func(i, j int) bool {
		if rank(files[i]) != rank(files[j]) {
			return rank(files[i]) < rank(files[j])
		}
		return files[i] < files[j]
	})
	out, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(out)
	for _, p := range files {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: prefix + p, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// vtFailed lists "check: path" for every failing file in r.
func vtFailed(r *Report) []string {
	var out []string
	for _, c := range r.Checks {
		if c.Status != StatusFail {
			continue
		}
		for _, f := range c.Files {
			out = append(out, c.Name+": "+f.Path)
		}
		if len(c.Files) == 0 {
			out = append(out, c.Name+": (no file)")
		}
	}
	return out
}

func vtText(r *Report) string {
	var b bytes.Buffer
	r.WriteText(&b)
	return b.String()
}

// vtStoredPath returns the stored path of a VM's file in the manifest.
func vtStoredPath(t *testing.T, m *Manifest, vm, name string) string {
	for _, v := range m.VMs {
		for _, f := range v.Files {
			if v.Name == vm && f.Name == name {
				return f.Path
			}
		}
	}
	if t != nil {
		t.Fatalf("no file %s/%s", vm, name)
	}
	panic("no file " + vm + "/" + name)
}

func vtFlip(t *testing.T, p string, at int) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at = len(data) + at
	}
	data[at] ^= 0x01
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var _ = io.EOF
var _ = path.Base
