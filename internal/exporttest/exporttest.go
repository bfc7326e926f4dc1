// Package exporttest makes OVF export folders for tests: real
// streamOptimized VMDKs and VMware-style descriptors. Only tests import it
// (internal/layout checks that).
package exporttest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/vmdk"
)

// Disk is a real streamOptimized VMDK of 1 MiB whose first 4 KiB depend
// on seed, so that two disks differ.
func Disk(t testing.TB, seed byte) []byte {
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

// Ref is one file a descriptor references.
type Ref struct {
	Href string
	Size int64 // -1: no ovf:size attribute
}

// OVF writes a VMware-style descriptor with one disk per reference
// (references ending in .nvram are referenced as NVRAM, not as disks).
func OVF(name string, refs []Ref, extra string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References>
`)
	for i, r := range refs {
		size := ""
		if r.Size >= 0 {
			size = fmt.Sprintf(` ovf:size="%d"`, r.Size)
		}
		fmt.Fprintf(&b, "    <File ovf:id=\"file%d\" ovf:href=\"%s\"%s%s/>\n", i+1, r.Href, size, extra)
	}
	b.WriteString("  </References>\n  <DiskSection><Info>disks</Info>\n")
	for i, r := range refs {
		if !strings.HasSuffix(r.Href, ".nvram") {
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
		if !strings.HasSuffix(r.Href, ".nvram") {
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

// WriteFiles writes files (slash-separated names relative to dir) into dir.
func WriteFiles(t *testing.T, dir string, files map[string][]byte) {
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

// TwoVMs is an export folder: web with an NVRAM file that shares its name
// (not referenced), db with a disk in a subfolder.
func TwoVMs(t *testing.T) (map[string][]byte, map[string]map[string][]byte) {
	web1, db1 := Disk(t, 1), Disk(t, 2)
	nvram := []byte("NVRAM\x00efi-vars")
	files := map[string][]byte{
		"web/web.ovf":            OVF("web", []Ref{{Href: "web-disk1.vmdk", Size: int64(len(web1))}}, ""),
		"web/web-disk1.vmdk":     web1,
		"web/web.nvram":          nvram,
		"web/other.nvram":        []byte("belongs to nobody"),
		"db/db.ovf":              OVF("db", []Ref{{Href: "disks/db-disk1.vmdk", Size: -1}}, ""),
		"db/disks/db-disk1.vmdk": db1,
		"notes.txt":              []byte("not part of any VM"),
	}
	want := map[string]map[string][]byte{
		"web": {"web-disk1.vmdk": web1, "web.nvram": nvram},
		"db":  {"disks/db-disk1.vmdk": db1},
	}
	return files, want
}
