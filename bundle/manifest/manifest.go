// Package manifest is the exit bundle's format as data: the names of the
// files in a bag, exit-manifest.json (format exitbundle/1, whose field
// names, types and indented encoding stay; new fields are only added), the
// sanitizing of stored file names, and the errors every reader of a bundle
// reports. It imports nothing of exitkit, so any package may use it.
//
// Read a manifest with Decode; Encode writes it as every bundle holds it.
package manifest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Names of the files in a bundle's root. The layout is a BagIt 1.0 bag
// (RFC 8493) whose tag manifest is signed; see DESIGN.md.
const (
	BagItFile        = "bagit.txt"
	BagInfoFile      = "bag-info.txt"
	ManifestFile     = "manifest-sha256.txt"
	TagManifestFile  = "tagmanifest-sha256.txt"
	SignatureFile    = "tagmanifest-sha256.txt.sig"
	SignerFile       = "signer.pub"
	ExitManifestFile = "exit-manifest.json"
	IndexFile        = "index.html"
	ReadmeFile       = "README.txt"
	TermsFile        = "TERMS.html"

	// IncompleteMarker exists in a bundle folder from the first byte create
	// writes until just before the signature is renamed into place. Its
	// presence, like a missing signature, means the bundle is unfinished.
	IncompleteMarker = ".exitbundle-incomplete"

	// LockFile names the create that holds an unfinished bundle's lock
	// (its pid, host and start time), for the message of a second create
	// into the same output. The lock itself is a flock on the folder; the
	// file is removed before the signature is written.
	LockFile = ".exitbundle-lock"

	// PayloadDir holds one folder per VM: data/vms/<vm>/.
	PayloadDir = "data/vms"

	// SignatureNamespace is the SSHSIG namespace of the tag manifest's
	// signature (ssh-keygen -Y verify -n exitbundle).
	SignatureNamespace = "exitbundle"

	// FormatVersion names the layout of exit-manifest.json.
	FormatVersion = "exitbundle/1"
)

// File roles in the exit manifest.
const (
	RoleDescriptor = "descriptor" // <vm>.ovf, stored in plaintext
	RoleManifest   = "manifest"   // <vm>.mf, stored in plaintext
	RoleDisk       = "disk"
	RoleNVRAM      = "nvram"
	RoleOther      = "other"
)

// Manifest is exit-manifest.json: what the bundle holds, for machines.
// The index (index.html, README.txt) is rendered from it alone, and
// inspect reads nothing else, so everything a reader needs is here.
type Manifest struct {
	Format string `json:"format"` // FormatVersion
	// ID is the bundle identifier (bag-info.txt External-Identifier), the
	// label exit terms require on the drive; "" in bundles made before
	// the manifest carried it.
	ID          string     `json:"id,omitempty"`
	Created     time.Time  `json:"created"`
	Tool        string     `json:"tool"` // "exitbundle <version>"
	Provider    string     `json:"provider,omitempty"`
	Customer    string     `json:"customer,omitempty"`
	Contact     string     `json:"contact,omitempty"`
	Description string     `json:"description,omitempty"`
	Signer      Signer     `json:"signer"`
	Encryption  Encryption `json:"encryption"`
	Compression string     `json:"compression"` // "none" or "zstd": what create was asked for
	Terms       *Terms     `json:"terms,omitempty"`
	// Sources says how many VMs create found in each source before it
	// exported them; the bundle holds every one of them.
	Sources []SourceCount `json:"sources,omitempty"`
	VMs     []VM          `json:"vms"`
}

// SourceCount is one source and the VMs create found in it.
type SourceCount struct {
	Source string `json:"source"` // as create names it: "folder /x", "ova /x/y.ova", a vsphere:// URL without secrets
	VMs    int    `json:"vms"`
}

// Signer identifies the key whose SSHSIG signature covers the tag manifest.
type Signer struct {
	Fingerprint string `json:"fingerprint"` // "SHA256:..." as ssh-keygen -l prints it
	PublicKey   string `json:"public_key"`  // authorized_keys line, as in signer.pub
}

// Encryption says how payload files other than descriptors and .mf files
// are stored.
type Encryption struct {
	Mode       string   `json:"mode"`                 // "none" or "age"
	Recipients []string `json:"recipients,omitempty"` // age1... and ssh-... public recipients
	Passphrase bool     `json:"passphrase,omitempty"` // an scrypt (passphrase) recipient
}

// Terms records the exit terms embedded as TERMS.html (an exitsite module).
type Terms struct {
	File        string      `json:"file"`        // TermsFile
	SHA256      string      `json:"sha256"`      // of TERMS.html, hex
	Fingerprint string      `json:"fingerprint"` // the module's own "sha256:..." fingerprint
	Clauses     []ClauseRef `json:"clauses"`
	// Values are the module's parameter values that set the trustee's
	// deadlines (data-param markers of TERMS.html, e.g.
	// media_verification_working_days), for the index to state.
	Values map[string]string `json:"values,omitempty"`
}

// ClauseRef cites one clause version as agreed.
type ClauseRef struct {
	ID          string `json:"id"`
	Version     string `json:"version"`
	Lang        string `json:"lang"`
	Fingerprint string `json:"fingerprint"` // "sha256:..."
}

// VM is one exported OVF package: usually one virtual machine.
type VM struct {
	Name     string       `json:"name"`   // folder name under data/vms, [A-Za-z0-9._-]
	Origin   string       `json:"origin"` // where it came from, without credentials
	OVF      string       `json:"ovf"`    // bag path of the descriptor
	MF       string       `json:"mf"`     // bag path of the VMware-compatible manifest
	Hardware []VMHardware `json:"hardware"`
	Files    []File       `json:"files"`

	// SourceMF names the export's own manifest (.mf) when it had one: every
	// file was checked against it as it was read. SourceCert names the
	// export's certificate (.cert): present, its X.509 chain not verified.
	SourceMF   string `json:"source_mf,omitempty"`
	SourceCert string `json:"source_cert,omitempty"`
}

// VMHardware is what a person restarting the VM elsewhere needs to know,
// one per VirtualSystem in the descriptor.
type VMHardware struct {
	Name      string `json:"name"`
	GuestOS   string `json:"guest_os,omitempty"` // vmw:osType or OperatingSystemSection description
	VCPU      int    `json:"vcpu,omitempty"`
	MemoryMiB int64  `json:"memory_mib,omitempty"`
	Firmware  string `json:"firmware"` // "bios" or "efi"
	// SecureBoot is the source VM's UEFI Secure Boot state (vmw:Config
	// bootOptions.efiSecureBootEnabled): the restart guide keeps Secure
	// Boot off elsewhere unless the source had it on, since a loader not
	// signed by Microsoft's UEFI CA does not start under it.
	SecureBoot      bool     `json:"secure_boot,omitempty"`
	DiskControllers []string `json:"disk_controllers"` // e.g. "pvscsi", "lsilogic", "sata", "ide", "nvme"
	NICs            []NIC    `json:"nics"`
	Disks           []Disk   `json:"disks"`
}

// NIC is one network adapter and the network it was connected to.
type NIC struct {
	Network string `json:"network,omitempty"`
	Adapter string `json:"adapter,omitempty"` // e.g. "vmxnet3", "e1000"
}

// Disk is one virtual disk: its file in the VM folder and its sizes.
type Disk struct {
	File           string `json:"file"` // plaintext file name in the VM folder
	CapacityBytes  int64  `json:"capacity_bytes"`
	PopulatedBytes int64  `json:"populated_bytes,omitempty"`
	Controller     string `json:"controller,omitempty"`
}

// File is one payload file. Name is the plaintext name the descriptor and
// the .mf use; Path is where the stored form lies in the bag.
type File struct {
	Name         string `json:"name"`
	Path         string `json:"path"` // bag path, e.g. data/vms/web/web-disk-1.vmdk.zst.age
	Role         string `json:"role"`
	Size         int64  `json:"size"`   // plaintext bytes
	SHA256       string `json:"sha256"` // plaintext, hex
	StoredSize   int64  `json:"stored_size"`
	StoredSHA256 string `json:"stored_sha256"`         // as listed in manifest-sha256.txt
	Compression  string `json:"compression,omitempty"` // "zstd" when stored compressed
	Encrypted    bool   `json:"encrypted,omitempty"`   // age
}

// MaxSize bounds exit-manifest.json as every reader reads it: a bundle of
// thousands of VMs stays far below.
const MaxSize = 32 << 20

// Encode writes m as bundles hold it: indented JSON and a final newline.
func Encode(m *Manifest) ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Decode reads exit-manifest.json.
func Decode(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", ExitManifestFile, err)
	}
	return &m, nil
}
