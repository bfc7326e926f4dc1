package bagit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/internal/fsx"
)

func TestSweepRemovesWhatTheBagDoesNotHoldAndRefusesALink(t *testing.T) {
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside.txt")
	os.WriteFile(outside, []byte("keep"), 0o644)
	bag := filepath.Join(tmp, "bag")
	for _, p := range []string{"data/vms/web/web.ovf", "data/vms/web/old.vmdk", "data/vms/gone/x.vmdk", "bag-info.txt.partial", ".exitbundle-incomplete"} {
		os.MkdirAll(filepath.Dir(filepath.Join(bag, p)), 0o755)
		os.WriteFile(filepath.Join(bag, p), []byte("x"), 0o644)
	}
	d, err := fsx.OpenDir(bag)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := Sweep(d, map[string]bool{"data/vms/web/web.ovf": true}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"data/vms/web/web.ovf": true, ".exitbundle-incomplete": true,
		"data/vms/web/old.vmdk": false, "data/vms/gone": false, "bag-info.txt.partial": false,
	} {
		if _, err := os.Lstat(filepath.Join(bag, p)); (err == nil) != want {
			t.Errorf("%s: present %v, want %v", p, err == nil, want)
		}
	}
	// A planted link is refused, named, and left as it is.
	link := filepath.Join(bag, "data/vms/web/link.vmdk")
	os.Symlink(outside, link)
	err = Sweep(d, map[string]bool{"data/vms/web/web.ovf": true})
	var le *fsx.LinkError
	if !errors.As(err, &le) || le.Path != link {
		t.Errorf("a link in the bag: err = %v", err)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("the link was removed: %v", err)
	}
	if got, _ := os.ReadFile(outside); string(got) != "keep" {
		t.Errorf("a link's target changed: %q", got)
	}
}
