// Package ovf reads OVF descriptors (DMTF DSP0243, versions 1.x and 2.x)
// from any hypervisor into a summary a person can restart a VM from, and
// rewrites the References section in place without disturbing the rest of
// the document.
//
// Call Parse to read a descriptor: it returns the referenced files, the
// disks with their capacities in bytes, and per VirtualSystem (collections
// included) the guest OS, vCPU, memory, firmware, disk controllers, NICs
// and which controller each disk hangs on. Namespaces are matched by local
// name, so VMware, VirtualBox, vCloud and OVF 2.0 exports read alike.
// Problems that make the package's files wrong are errors (*Error, with the
// line and element); hardware that cannot be read is left unknown and
// listed in Descriptor.Warnings.
//
// Call Rewrite to change the ovf:href and ovf:size of References/File
// elements: it edits those attribute values in the original bytes and
// keeps everything else, byte for byte.
//
// Both read at most MaxDescriptorSize bytes and never panic on input; both
// are fuzzed.
package ovf

// Descriptor is what exitkit needs from an OVF envelope.
type Descriptor struct {
	Files   []FileRef // References/File, in document order
	Disks   []Disk    // DiskSection/Disk
	Systems []System  // each VirtualSystem, including those inside collections

	Version  string   // ovf:version, or "1.x"/"2.0" from the namespace; "" when neither says
	Warnings []string // hardware that could not be read and was left unknown, with line numbers
}

// FileRef is one References/File element.
type FileRef struct {
	ID   string
	Href string
	Size int64 // ovf:size, or -1 when absent

	ChunkSize   int64  // ovf:chunkSize: the file is split into href.000000000, ...; 0 when whole
	Compression string // ovf:compression ("gzip"), "" when absent
}

// Disk is one DiskSection/Disk element.
type Disk struct {
	ID             string // ovf:diskId
	FileRef        string // ovf:fileRef (an ID in Files), empty for a blank disk
	CapacityBytes  int64  // ovf:capacity times ovf:capacityAllocationUnits
	PopulatedBytes int64  // ovf:populatedSize, or 0
	Format         string // ovf:format URI
}

// System is one VirtualSystem's hardware.
type System struct {
	ID              string
	Name            string
	GuestOS         string // description, with vmw:osType in parentheses when both are given
	OSType          string // vmw:osType, e.g. "centos8_64Guest"
	VCPU            int
	MemoryMiB       int64
	Firmware        string   // "bios" or "efi"
	SecureBoot      bool     // vmw:Config bootOptions.efiSecureBootEnabled="true"
	DiskControllers []string // normalised: "pvscsi", "lsilogic", "lsilogicsas", "buslogic", "sata", "ide", "nvme", or the raw subtype
	NICs            []NIC
	Disks           []SystemDisk
}

type NIC struct {
	Network string
	Adapter string // normalised: "vmxnet3", "e1000", "e1000e", "pcnet32", ... or the raw subtype
}

// SystemDisk ties a hardware disk item to its DiskSection entry.
type SystemDisk struct {
	DiskID     string // ovf:diskId it refers to (from rasd:HostResource ovf:/disk/<id>)
	FileRef    string // ovf:id of a References/File, for the rare ovf:/file/<id> host resource
	Controller string // normalised controller of its parent
}
