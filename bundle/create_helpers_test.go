package bundle

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"filippo.io/age"
	"github.com/hiddeco/sshsig"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// crSource is a Source over real files in a test folder, with hooks to
// inject faults into reads.
type crSource struct {
	name string
	vms  []*crVM
}

type crVM struct {
	name  string
	desc  []byte
	files []*crFile
}

type crFile struct {
	href  string
	path  string
	size  int64 // announced; -1 unknown
	opens atomic.Int32
	// wrap, if set, wraps the reader of the n-th Open (1-based).
	wrap func(n int, r io.Reader) io.Reader
}

func (s *crSource) String() string { return "test:" + s.name }

func (s *crSource) Names() []string {
	var names []string
	for _, vm := range s.vms {
		names = append(names, vm.name)
	}
	return names
}

func (s *crSource) Export(ctx context.Context, slots source.Slots, fn func(context.Context, *SourceVM) error) error {
	return source.Each(ctx, len(s.vms), slots, func(ctx context.Context, i int) error {
		vm := s.vms[i]
		sv := &SourceVM{Seq: i, Name: vm.name, Origin: s.String() + "/" + vm.name, Descriptor: vm.desc}
		for _, f := range vm.files {
			sv.Files = append(sv.Files, SourceFile{Href: f.href, Size: f.size, Open: func(ctx context.Context) (io.ReadCloser, error) {
				n := int(f.opens.Add(1))
				fh, err := os.Open(f.path)
				if err != nil {
					return nil, err
				}
				var r io.Reader = fh
				if f.wrap != nil {
					r = f.wrap(n, fh)
				}
				return struct {
					io.Reader
					io.Closer
				}{r, fh}, nil
			}})
		}
		return fn(ctx, sv)
	})
}

// crFailReader fails with err after n bytes.
type crFailReader struct {
	r   io.Reader
	n   int64
	err error
}

func (f *crFailReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	k, err := f.r.Read(p)
	f.n -= int64(k)
	return k, err
}

// crFailWriter fails with err once n bytes were written.
type crFailWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (f *crFailWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > f.n {
		k := 0
		if f.n > 0 {
			k, _ = f.w.Write(p[:f.n])
		}
		f.n = 0
		return k, f.err
	}
	k, err := f.w.Write(p)
	f.n -= int64(k)
	return k, err
}

var errNoSpace = syscall.ENOSPC

func testSigner(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// crRaw writes a raw disk image of size bytes: pseudo-random data in the
// first half and zeros after, like a half-full disk.
func crRaw(t testing.TB, p string, size int64, seed uint64) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	buf := make([]byte, 64<<10)
	for off := int64(0); off < size/2; off += int64(len(buf)) {
		for i := 0; i+8 <= len(buf); i += 8 {
			v := rng.Uint64()
			// Low-entropy bytes, so that zstd has something to do.
			v &= 0x0f0f0f0f0f0f0f0f
			for k := 0; k < 8; k++ {
				buf[i+k] = byte(v >> (8 * k))
			}
		}
		n := min(int64(len(buf)), size/2-off)
		if _, err := f.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// crDisk writes a streamOptimized VMDK of capacity bytes at p, with
// qemu-img where installed and internal/vmdk elsewhere.
func crDisk(t testing.TB, p string, capacity int64, seed uint64) {
	t.Helper()
	if _, err := os.Stat(p); err == nil {
		return // made by the parent of a child test process: same seed, same bytes
	}
	raw := p + ".raw"
	crRaw(t, raw, capacity, seed)
	defer os.Remove(raw)
	if q := interop.Path("qemu-img"); q != "" {
		out, err := exec.Command(q, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, p).CombinedOutput()
		if err != nil {
			t.Fatalf("qemu-img convert: %v\n%s", err, out)
		}
		return
	}
	in, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := vmdk.WriteStreamOptimized(out, in, capacity); err != nil {
		t.Fatal(err)
	}
}

// crDescriptor is a VMware-style OVF for one VM with one disk per file
// in disks (hrefs), plus NVRAM when nvram is set.
func crDescriptor(name string, disks []string, sizes []int64, capacity int64, nvram string) []byte {
	var refs, dsk, items strings.Builder
	for i, href := range disks {
		size := ""
		if sizes != nil && sizes[i] >= 0 {
			size = fmt.Sprintf(` ovf:size="%d"`, sizes[i])
		}
		fmt.Fprintf(&refs, "    <File ovf:href=%q ovf:id=\"file%d\"%s/>\n", href, i+1, size)
		fmt.Fprintf(&dsk, "    <Disk ovf:capacity=\"%d\" ovf:capacityAllocationUnits=\"byte\" ovf:diskId=\"vmdisk%d\" ovf:fileRef=\"file%d\" ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>\n", capacity, i+1, i+1)
		fmt.Fprintf(&items, `      <Item>
        <rasd:AddressOnParent>%d</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk %d</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk%d</rasd:HostResource>
        <rasd:InstanceID>%d</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
`, i, i+1, i+1, 10+i)
	}
	if nvram != "" {
		fmt.Fprintf(&refs, "    <File ovf:href=%q ovf:id=\"nvram\"/>\n", nvram)
	}
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!--Generated by a test-->
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
%s  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
%s  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network">
      <Description>The VM Network network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id=%q>
    <Info>A virtual machine</Info>
    <Name>%s</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian12_64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>2048MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>2048</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
%s      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>20</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`, refs.String(), dsk.String(), name, name, items.String()))
}

// crFixture is a source folder: VMs with real VMDKs, and what each file
// holds.
type crFixture struct {
	dir    string
	source *crSource
	want   map[string]string // "<vm>/<plaintext name>" -> sha256 of the source file
}

// newFixture makes two VMs: "web server" with two disks (one name with a
// space) and NVRAM, and "db" with one disk. capacity sets each disk's size.
func newFixture(t testing.TB, dir string, capacity int64) *crFixture {
	t.Helper()
	fx := &crFixture{dir: dir, source: &crSource{name: dir}, want: map[string]string{}}
	add := func(vmName, sanitized string, disks []string, nvram string) {
		vm := &crVM{name: vmName}
		var sizes []int64
		for i, href := range disks {
			p := filepath.Join(dir, SanitizeName(vmName)+"-"+SanitizeName(href))
			crDisk(t, p, capacity, uint64(len(fx.want)+i+1))
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, fi.Size())
			vm.files = append(vm.files, &crFile{href: href, path: p, size: fi.Size()})
			fx.want[sanitized+"/"+SanitizeName(href)] = crHashFile(t, p)
		}
		if nvram != "" {
			p := filepath.Join(dir, SanitizeName(vmName)+".nvram")
			if err := os.WriteFile(p, bytes.Repeat([]byte("NVRAM"), 1000), 0o644); err != nil {
				t.Fatal(err)
			}
			vm.files = append(vm.files, &crFile{href: nvram, path: p, size: 5000})
			fx.want[sanitized+"/"+SanitizeName(nvram)] = crHashFile(t, p)
		}
		vm.desc = crDescriptor(vmName, disks, sizes, capacity, nvram)
		fx.source.vms = append(fx.source.vms, vm)
	}
	add("web server", "web_server", []string{"web server-disk1.vmdk", "web-disk2.vmdk"}, "web.nvram")
	add("db", "db", []string{"db-disk1.vmdk"}, "")
	return fx
}

func crHashFile(t testing.TB, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return vtSHA(data)
}

// checkBundle checks a finished bundle folder the way a trustee would,
// independently of Verify: the signature, the tag manifest, every stored
// hash, and (with an identity) every plaintext against the source files.
func checkBundle(t *testing.T, dir string, signer ssh.PublicKey, ids []age.Identity, want map[string]string) *Manifest {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, IncompleteMarker)); err == nil {
		t.Fatalf("finished bundle still has %s", IncompleteMarker)
	}
	tagman, err := os.ReadFile(filepath.Join(dir, TagManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	armored, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		t.Fatal(err)
	}
	if err := sshsig.Verify(bytes.NewReader(tagman), sig, signer, sshsig.HashSHA512, SignatureNamespace); err != nil {
		t.Fatalf("signature: %v", err)
	}
	checkSums := func(list []byte) map[string]bool {
		seen := map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(list))
		for sc.Scan() {
			sum, p, ok := strings.Cut(sc.Text(), "  ")
			if !ok {
				t.Fatalf("bad manifest line %q", sc.Text())
			}
			if got := crHashFile(t, filepath.Join(dir, filepath.FromSlash(p))); got != sum {
				t.Errorf("%s: hash %s, listed %s", p, got, sum)
			}
			seen[p] = true
		}
		return seen
	}
	checkSums(tagman)
	man, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	listed := checkSums(man)
	filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if !listed[filepath.ToSlash(rel)] {
				t.Errorf("unlisted payload file %s", rel)
			}
		}
		return nil
	})
	var m Manifest
	data, err := os.ReadFile(filepath.Join(dir, ExitManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, vm := range m.VMs {
		for _, f := range vm.Files {
			if f.Role == RoleDescriptor || f.Role == RoleManifest {
				continue
			}
			got[vm.Name+"/"+f.Name] = f.SHA256
			if f.Encrypted && ids == nil {
				continue
			}
			r, closer := crPlaintext(t, filepath.Join(dir, filepath.FromSlash(f.Path)), f, ids)
			h := sha256.New()
			if _, err := io.Copy(h, r); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			closer()
			if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
				t.Errorf("%s: plaintext hash %s, manifest says %s", f.Path, sum, f.SHA256)
			}
		}
	}
	for k, sum := range want {
		if got[k] != sum {
			t.Errorf("%s: stored plaintext hash %q, source file has %s", k, got[k], sum)
		}
	}
	if len(got) != len(want) {
		t.Errorf("bundle holds %d payload files, want %d: %v", len(got), len(want), got)
	}
	return &m
}

func crPlaintext(t *testing.T, p string, f File, ids []age.Identity) (io.Reader, func()) {
	t.Helper()
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = fh
	if f.Encrypted {
		if r, err = age.Decrypt(r, ids...); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if f.Compression == "zstd" {
		d, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		return d, func() { d.Close(); fh.Close() }
	}
	return r, func() { fh.Close() }
}

func isIncomplete(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, IncompleteMarker)); err != nil {
		t.Errorf("unfinished bundle lacks %s: %v", IncompleteMarker, err)
	}
	if _, err := os.Stat(filepath.Join(dir, SignatureFile)); err == nil {
		t.Errorf("unfinished bundle has a signature")
	}
}

var _ = errors.Is
var _ = math.MaxInt
