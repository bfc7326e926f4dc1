package bundle

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/ovf"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// Export folders for the tests of create, inspect and verify; the
// source package has the same helpers for its own tests.

func srcDisk(t testing.TB, seed byte) []byte {
	t.Helper()
	raw := make([]byte, 1<<20)
	for i := range 4096 {
		raw[i] = seed + byte(i*7)
	}
	var out bytes.Buffer
	if err := vmdk.WriteStreamOptimized(&out, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type srcRef struct {
	href string
	size int64 // -1: no ovf:size attribute
}

// srcOVF writes a VMware-style descriptor with one disk per reference
// (references ending in .nvram are referenced as NVRAM, not as disks).
func srcOVF(name string, refs []srcRef, extra string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References>
`)
	for i, r := range refs {
		size := ""
		if r.size >= 0 {
			size = fmt.Sprintf(` ovf:size="%d"`, r.size)
		}
		fmt.Fprintf(&b, "    <File ovf:id=\"file%d\" ovf:href=\"%s\"%s%s/>\n", i+1, r.href, size, extra)
	}
	b.WriteString("  </References>\n  <DiskSection><Info>disks</Info>\n")
	for i, r := range refs {
		if !strings.HasSuffix(r.href, ".nvram") {
			fmt.Fprintf(&b, "    <Disk ovf:diskId=\"vmdisk%d\" ovf:fileRef=\"file%d\" ovf:capacity=\"1\" ovf:capacityAllocationUnits=\"byte * 2^20\"/>\n", i+1, i+1)
		}
	}
	fmt.Fprintf(&b, `  </DiskSection>
  <VirtualSystem ovf:id="%s"><Info>vm</Info><Name>%s</Name>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>6</rasd:ResourceType><rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType></Item>
`, name, name)
	for i, r := range refs {
		if !strings.HasSuffix(r.href, ".nvram") {
			fmt.Fprintf(&b, "      <Item><rasd:HostResource>ovf:/disk/vmdisk%d</rasd:HostResource><rasd:InstanceID>%d</rasd:InstanceID><rasd:Parent>2</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>\n", i+1, 10+i)
		}
	}
	b.WriteString(`      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`)
	return []byte(b.String())
}

func srcWriteFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exported collects what a source hands over: VM name -> href -> bytes.
func srcExported(t *testing.T, src Source) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	err := src.Export(context.Background(), func(ctx context.Context, vm *SourceVM) error {
		files := map[string][]byte{}
		for _, f := range vm.Files {
			rc, err := f.Open(ctx)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			if int64(len(data)) != f.Size {
				t.Errorf("%s/%s: read %d bytes, Size says %d", vm.Name, f.Href, len(data), f.Size)
			}
			files[f.Href] = data
		}
		if _, err := ovf.Hardware(mustParse(t, vm.Descriptor), nil), error(nil); err != nil {
			return err
		}
		out[vm.Name] = files
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// twoVMs is an export folder: web with an NVRAM file that shares its name
// (not referenced), db with a disk in a subfolder.
func srcTwoVMs(t *testing.T) (map[string][]byte, map[string]map[string][]byte) {
	web1, db1 := srcDisk(t, 1), srcDisk(t, 2)
	nvram := []byte("NVRAM\x00efi-vars")
	files := map[string][]byte{
		"web/web.ovf":            srcOVF("web", []srcRef{{"web-disk1.vmdk", int64(len(web1))}}, ""),
		"web/web-disk1.vmdk":     web1,
		"web/web.nvram":          nvram,
		"web/other.nvram":        []byte("belongs to nobody"),
		"db/db.ovf":              srcOVF("db", []srcRef{{"disks/db-disk1.vmdk", -1}}, ""),
		"db/disks/db-disk1.vmdk": db1,
		"notes.txt":              []byte("not part of any VM"),
	}
	want := map[string]map[string][]byte{
		"web": {"web-disk1.vmdk": web1, "web.nvram": nvram},
		"db":  {"disks/db-disk1.vmdk": db1},
	}
	return files, want
}
