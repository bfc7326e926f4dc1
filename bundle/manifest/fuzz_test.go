package manifest

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeExitManifest feeds arbitrary bytes as exit-manifest.json, the
// file every reader of a received bundle trusts once it is signed: it must
// decode or fail, never panic, and what it decodes re-encodes.
func FuzzDecodeExitManifest(f *testing.F) {
	f.Add([]byte(`{"format":"exitbundle/1","vms":[{"name":"web","files":[{"name":"a","path":"data/vms/web/a","size":1}]}]}`))
	f.Add([]byte(`{"vms":[{"hardware":[{"firmware":"efi\u001b[2J"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("decoded but does not encode: %v", err)
		}
		for _, vm := range m.VMs {
			_ = Escape(vm.Name)
			_ = SanitizeName(vm.Name)
		}
	})
}
