package bundle

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/exitkit/exitkit/internal/exporttest"

	"github.com/exitkit/exitkit/bundle/ovf"
)

func mustParse(t testing.TB, desc []byte) *ovf.Descriptor {
	t.Helper()
	d, err := ovf.Parse(bytes.NewReader(desc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHardwareNamesEachDiskByItsBundleFile(t *testing.T) {
	d := mustParse(t, exporttest.OVF("web", []exporttest.Ref{{Href: "Web Disk 1.vmdk", Size: 10}, {Href: "web.nvram", Size: 5}, {Href: "two.vmdk", Size: 3}}, ""))
	got := ovf.Hardware(d, map[string]string{"file1": "web-disk-1.vmdk", "file3": "web-disk-2.vmdk"})
	want := []VMHardware{{
		Name: "web", VCPU: 2, Firmware: "efi",
		DiskControllers: []string{"pvscsi"},
		NICs:            []NIC{},
		Disks: []Disk{
			{File: "web-disk-1.vmdk", CapacityBytes: 1 << 20, Controller: "pvscsi"},
			{File: "web-disk-2.vmdk", CapacityBytes: 1 << 20, Controller: "pvscsi"},
		},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if ovf.Hardware(nil, nil) != nil {
		t.Error("ovf.Hardware(nil) is not nil")
	}
}

func TestHardwareGivesUnattachedDisksToTheOnlyVM(t *testing.T) {
	desc := []byte(`<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
<References><File ovf:id="f1" ovf:href="a.vmdk"/></References>
<DiskSection><Info>d</Info><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="4" ovf:capacityAllocationUnits="byte * 2^30"/></DiskSection>
<VirtualSystem ovf:id="vm"><Info>v</Info></VirtualSystem></Envelope>`)
	got := ovf.Hardware(mustParse(t, desc), map[string]string{"f1": "vm-disk-1.vmdk"})
	want := []Disk{{File: "vm-disk-1.vmdk", CapacityBytes: 4 << 30}}
	if len(got) != 1 || !reflect.DeepEqual(got[0].Disks, want) {
		t.Errorf("got %+v, want disks %+v", got, want)
	}
}
