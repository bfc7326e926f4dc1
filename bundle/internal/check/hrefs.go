package check

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/ovf"
)

// Hrefs refuses a descriptor that references any file but the VM's own,
// as the signed exit manifest lists them: an href such as
// ../../../../../etc/passwd would make the import read (or a hypervisor
// write) a file outside the restored folder. Restore runs it before it
// writes a descriptor.
func Hrefs(vm manifest.VM, ovfData []byte) error {
	names := map[string]bool{}
	for _, f := range vm.Files {
		if f.Path != vm.OVF && f.Path != vm.MF {
			names[f.Name] = true
		}
	}
	d, err := ovf.Parse(bytes.NewReader(ovfData))
	if err != nil {
		return fmt.Errorf("%s: not a readable OVF descriptor: %w", vm.OVF, err)
	}
	for _, ref := range d.Files {
		if !names[ref.Href] || ref.Href == "" || strings.ContainsAny(ref.Href, "/\\") || strings.HasPrefix(ref.Href, ".") || manifest.HasControl(ref.Href) {
			return fmt.Errorf("%s: references \"%s\", which is not a file of VM %s in %s: refused, nothing of this VM is restored", vm.OVF, manifest.Escape(bagit.Clip(ref.Href)), vm.Name, manifest.ExitManifestFile)
		}
	}
	return nil
}
