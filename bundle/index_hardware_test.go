package bundle

import (
	"bytes"
	"reflect"
	"testing"

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
	d := mustParse(t, srcOVF("web", []srcRef{{"Web Disk 1.vmdk", 10}, {"web.nvram", 5}, {"two.vmdk", 3}}, ""))
	got := Hardware(d, map[string]string{"file1": "web-disk-1.vmdk", "file3": "web-disk-2.vmdk"})
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
	if Hardware(nil, nil) != nil {
		t.Error("Hardware(nil) is not nil")
	}
}
