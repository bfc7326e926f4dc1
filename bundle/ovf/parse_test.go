package ovf

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) *Descriptor {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return d
}

func TestParseReadsAVMwareEFIExport(t *testing.T) {
	d := parseFile(t, "web-efi.ovf")
	wantFiles := []FileRef{
		{ID: "file1", Href: "web-disk1.vmdk", Size: 7340032},
		{ID: "file2", Href: "data & logs.vmdk", Size: -1},
		{ID: "file3", Href: "web.nvram", Size: 270840},
	}
	if !reflect.DeepEqual(d.Files, wantFiles) {
		t.Errorf("files:\n got %+v\nwant %+v", d.Files, wantFiles)
	}
	wantDisks := []Disk{
		{ID: "vmdisk1", FileRef: "file1", CapacityBytes: 16 << 30, PopulatedBytes: 6291456, Format: "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"},
		{ID: "vmdisk2", FileRef: "file2", CapacityBytes: 512 << 20, Format: "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"},
	}
	if !reflect.DeepEqual(d.Disks, wantDisks) {
		t.Errorf("disks:\n got %+v\nwant %+v", d.Disks, wantDisks)
	}
	want := System{
		ID: "web", Name: "web",
		GuestOS: "Debian GNU/Linux 12 (64-bit) (debian12_64Guest)", OSType: "debian12_64Guest",
		VCPU: 4, MemoryMiB: 8192, Firmware: "efi",
		DiskControllers: []string{"pvscsi", "sata"},
		NICs:            []NIC{{Network: "Front <DMZ>", Adapter: "vmxnet3"}},
		Disks:           []SystemDisk{{DiskID: "vmdisk1", Controller: "pvscsi"}, {DiskID: "vmdisk2", Controller: "sata"}},
	}
	if len(d.Systems) != 1 || !reflect.DeepEqual(d.Systems[0], want) {
		t.Errorf("system:\n got %+v\nwant %+v", d.Systems, want)
	}
	if d.Version != "1.x" || len(d.Warnings) != 0 {
		t.Errorf("version %q, warnings %q", d.Version, d.Warnings)
	}
}

func TestParseReadsOVF2CollectionsAndDeploymentOptions(t *testing.T) {
	d := parseFile(t, "vapp-ovf2.ovf")
	if len(d.Systems) != 2 {
		t.Fatalf("want the nested db and the cache system, got %+v", d.Systems)
	}
	db := d.Systems[0]
	want := System{
		ID: "db", Name: "db", GuestOS: "Red Hat Enterprise Linux 64-bit",
		VCPU: 8, MemoryMiB: 2048, Firmware: "bios",
		DiskControllers: []string{"ide"},
		NICs:            []NIC{{Network: "backend-net", Adapter: "e1000"}},
		Disks:           []SystemDisk{{DiskID: "d1", Controller: "ide"}},
	}
	if !reflect.DeepEqual(db, want) {
		t.Errorf("db:\n got %+v\nwant %+v", db, want)
	}
	if d.Systems[1].Name != "cache" || d.Version != "2.0" {
		t.Errorf("cache system %+v, version %q", d.Systems[1], d.Version)
	}
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "no VirtualHardwareSection") {
		t.Errorf("want one warning about cache's missing hardware, got %q", d.Warnings)
	}
}

const envelopeHead = `<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">`

func TestParseRejectsBrokenDescriptorsWithWhereAndWhat(t *testing.T) {
	vs := `<VirtualSystem ovf:id="vm"><Info>x</Info></VirtualSystem>`
	tests := []struct {
		name, doc, want string
	}{
		{"empty input", "", "descriptor is empty"},
		{"not XML", "MZ\x90\x00binary", "not well-formed XML"},
		{"an HTML error page", "<html><body>404</body></html>", "root element is <html>, not an OVF <Envelope>"},
		{"truncated XML", envelopeHead + "<References>", "line 1: not well-formed XML"},
		{"no virtual system", envelopeHead + "</Envelope>", "describes no virtual machine"},
		{"file without href", envelopeHead + `<References><File ovf:id="f"/></References>` + vs + "</Envelope>", `File "f" has no ovf:href`},
		{"size not a number", envelopeHead + `<References><File ovf:id="f" ovf:href="a.vmdk" ovf:size="12kB"/></References>` + vs + "</Envelope>", `ovf:size "12kB" is not a whole number`},
		{"negative size", envelopeHead + `<References><File ovf:id="f" ovf:href="a.vmdk" ovf:size="-2"/></References>` + vs + "</Envelope>", `is negative`},
		{"duplicate file id", envelopeHead + `<References><File ovf:id="f" ovf:href="a"/><File ovf:id="f" ovf:href="b"/></References>` + vs + "</Envelope>", `two files have ovf:id "f"`},
		{"disk refers to a missing file", envelopeHead + `<DiskSection><Disk ovf:diskId="d" ovf:fileRef="nope" ovf:capacity="1"/></DiskSection>` + vs + "</Envelope>", `ovf:fileRef "nope", which References does not list`},
		{"capacity overflows", envelopeHead + `<DiskSection><Disk ovf:diskId="d" ovf:capacity="9000000000000" ovf:capacityAllocationUnits="byte * 2^30"/></DiskSection>` + vs + "</Envelope>", `too large`},
		{"capacity from a missing property", envelopeHead + `<DiskSection><Disk ovf:diskId="d" ovf:capacity="${size}"/></DiskSection>` + vs + "</Envelope>", `property "size"`},
		{"unknown capacity unit", envelopeHead + `<DiskSection><Disk ovf:diskId="d" ovf:capacity="1" ovf:capacityAllocationUnits="furlong"/></DiskSection>` + vs + "</Envelope>", `not a byte unit`},
		{"UTF-16", "\xFF\xFE<\x00", "UTF-16"},
		{"foreign encoding", `<?xml version="1.0" encoding="EBCDIC"?><Envelope/>`, "convert it to UTF-8"},
		{"deep nesting", strings.Repeat("<a>", 1000), "nest deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", d)
			}
			var oe *Error
			if !errors.As(err, &oe) {
				t.Errorf("error %v is not an *ovf.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestParseRefusesInputBeyondTheBound(t *testing.T) {
	big := strings.NewReader(envelopeHead + strings.Repeat(" ", MaxDescriptorSize))
	if _, err := Parse(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
}

func TestParseKeepsUnreadableHardwareAsWarnings(t *testing.T) {
	doc := envelopeHead + `<VirtualSystem ovf:id="vm"><VirtualHardwareSection>
<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>many</rasd:VirtualQuantity></Item>
<Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:AllocationUnits>pages</rasd:AllocationUnits><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
</VirtualHardwareSection></VirtualSystem></Envelope>`
	d, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Systems[0]
	if s.VCPU != 0 || s.MemoryMiB != 0 || s.Firmware != "bios" || len(d.Warnings) != 2 {
		t.Errorf("system %+v, warnings %q", s, d.Warnings)
	}
	if !strings.Contains(d.Warnings[0], "line 2") {
		t.Errorf("warning lacks its line: %q", d.Warnings[0])
	}
}

func TestByteUnits(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", 1}, {"byte", 1}, {"byte * 2^20", 1 << 20}, {"byte*2^30", 1 << 30}, {"byte * 2 ^ 30", 1 << 30},
		{"MegaBytes", 1 << 20}, {"GB", 1 << 30}, {"byte * 1024", 1024}, {"byte * 10^3", 1000},
		{"byte * 2^10 * 2^10", 1 << 20},
	}
	for _, tt := range tests {
		got, err := byteUnits(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("byteUnits(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"hertz * 10^6", "byte * 2^64", "byte * x", "byte * 0", "byte * 10^30"} {
		if v, err := byteUnits(bad); err == nil {
			t.Errorf("byteUnits(%q) = %d, want an error", bad, v)
		}
	}
}

func TestControllerAndAdapterNames(t *testing.T) {
	ctl := []struct{ rt, sub, want string }{
		{"6", "VirtualSCSI", "pvscsi"}, {"6", "lsilogic", "lsilogic"}, {"6", "someother, lsilogic", "lsilogic"},
		{"6", "buslogic,lsilogic", "buslogic"}, {"20", "vmware.sata.ahci", "sata"}, {"20", "AHCI", "sata"},
		{"20", "vmware.nvme.controller", "nvme"}, {"5", "PIIX4", "ide"}, {"5", "", "ide"}, {"6", "", "scsi"},
		{"20", "vmware.nvdimm.controller", ""},
	}
	for _, c := range ctl {
		if got := controllerName(c.rt, c.sub); got != c.want {
			t.Errorf("controllerName(%s, %q) = %q, want %q", c.rt, c.sub, got, c.want)
		}
	}
	nic := map[string]string{"VmxNet3": "vmxnet3", "VMXNET3": "vmxnet3", "E1000e": "e1000e", "PCNet32": "pcnet32", "virtio-net": "virtio", "": ""}
	for in, want := range nic {
		if got := nicAdapter(in); got != want {
			t.Errorf("nicAdapter(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"web-efi.ovf", "vapp-ovf2.ovf"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(envelopeHead + `<DiskSection><Disk ovf:diskId="d" ovf:capacity="${x}"/></DiskSection></Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(bytes.NewReader(data))
		if err != nil {
			if d != nil {
				t.Fatal("a descriptor returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "ovf: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if len(d.Systems) == 0 {
			t.Fatal("parsed without a system")
		}
		for _, s := range d.Systems {
			if s.Firmware != "bios" && s.Firmware != "efi" {
				t.Fatalf("firmware %q", s.Firmware)
			}
		}
		for _, disk := range d.Disks {
			if disk.CapacityBytes < 0 {
				t.Fatalf("negative capacity %d", disk.CapacityBytes)
			}
		}
	})
}

func TestParseReadsOVF09SectionsAndSpellings(t *testing.T) {
	doc := `<?xml version="1.0"?>
<Envelope xmlns="http://www.vmware.com/schema/ovf/1/envelope" xmlns:ovf="http://www.vmware.com/schema/ovf/1/envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:id="file1" ovf:href="old.vmdk" ovf:size="10"/></References>
  <Section xsi:type="ovf:DiskSection_Type"><Info>d</Info><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="2147483648"/></Section>
  <Content xsi:type="ovf:VirtualSystem_Type" ovf:id="old">
    <Section xsi:type="ovf:VirtualHardwareSection_Type"><Info>hw</Info>
      <Item><rasd:InstanceId>3</rasd:InstanceId><rasd:ResourceType>6</rasd:ResourceType><rasd:ResourceSubType>buslogic</rasd:ResourceSubType></Item>
      <Item><rasd:HostResource>ovf://disk/vmdisk1</rasd:HostResource><rasd:InstanceId>8</rasd:InstanceId><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
    </Section>
  </Content>
</Envelope>`
	d, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Disks) != 1 || d.Disks[0].CapacityBytes != 2<<30 {
		t.Errorf("disks %+v", d.Disks)
	}
	want := []SystemDisk{{DiskID: "vmdisk1", Controller: "buslogic"}}
	if len(d.Systems) != 1 || !reflect.DeepEqual(d.Systems[0].Disks, want) {
		t.Errorf("systems %+v", d.Systems)
	}
}
