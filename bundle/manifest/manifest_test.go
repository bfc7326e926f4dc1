package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/internal/golden"
)

// exitbundle/1 keeps its field names, types and indented encoding; a
// change to this golden file is a change to the format (only additions
// are allowed).
func TestExitManifestEncodingIsStable(t *testing.T) {
	m := &Manifest{
		Format: FormatVersion, Created: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), Tool: "exitbundle v0.3.0",
		Provider: "Nimbus Cloud B.V.", Customer: "ACME AG", Contact: "exit@nimbus.example", Description: "end of contract",
		Signer:      Signer{Fingerprint: "SHA256:abc", PublicKey: "ssh-ed25519 AAAA"},
		Encryption:  Encryption{Mode: "age", Recipients: []string{"age1x"}},
		Compression: "zstd",
		Terms:       &Terms{File: TermsFile, SHA256: strings.Repeat("a", 64), Fingerprint: "sha256:" + strings.Repeat("b", 64), Clauses: []ClauseRef{{ID: "EM-4", Version: "2", Lang: "en", Fingerprint: "sha256:" + strings.Repeat("c", 64)}}},
		VMs: []VM{{
			Name: "web", Origin: "folder /exports/web", OVF: "data/vms/web/web.ovf", MF: "data/vms/web/web.mf",
			Hardware: []VMHardware{{Name: "web", GuestOS: "Debian 12", VCPU: 2, MemoryMiB: 4096, Firmware: "efi",
				DiskControllers: []string{"pvscsi"}, NICs: []NIC{{Network: "DMZ", Adapter: "vmxnet3"}},
				Disks: []Disk{{File: "web-disk1.vmdk", CapacityBytes: 1 << 30, PopulatedBytes: 1 << 20, Controller: "pvscsi"}}}},
			Files: []File{{Name: "web-disk1.vmdk", Path: "data/vms/web/web-disk1.vmdk.zst.age", Role: RoleDisk, Size: 1 << 20,
				SHA256: strings.Repeat("1", 64), StoredSize: 1000, StoredSHA256: strings.Repeat("2", 64), Compression: "zstd", Encrypted: true}},
		}},
	}
	data, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "exit-manifest.json", data)
	back, err := Decode(data)
	if err != nil || back.VMs[0].Files[0].StoredSize != 1000 || back.Terms.Clauses[0].ID != "EM-4" {
		t.Errorf("decode: %v %+v", err, back)
	}
}
