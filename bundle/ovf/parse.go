package ovf

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Parse reads an OVF descriptor (at most MaxDescriptorSize bytes) and
// returns its references, disks and the hardware of every VirtualSystem.
//
// It fails, with an *Error naming the line and element, on what would make
// the files of the package wrong: input that is not XML or not an OVF
// Envelope, a References/File without href or with an unreadable size, a
// disk without capacity or referring to a file References does not list,
// duplicate ids, and an envelope without any VirtualSystem. Hardware it
// cannot read (an unknown memory unit, say) is left zero and noted in
// Warnings instead, because a VM whose summary is incomplete can still be
// exported and restarted.
func Parse(r io.Reader) (*Descriptor, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	root, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	if root.name != "Envelope" {
		return nil, root.errorf("the root element is <%s>, not an OVF <Envelope>: this file is not an OVF descriptor", root.name)
	}
	p := &parser{props: map[string]string{}}
	p.collectProperties(root)
	p.config = defaultConfiguration(root)

	d := &Descriptor{Version: envelopeVersion(root)}
	if err := p.references(root, d); err != nil {
		return nil, err
	}
	if err := p.disks(root, d); err != nil {
		return nil, err
	}
	p.systems(root, d)
	if len(d.Systems) == 0 {
		if hasCollection(root) {
			return nil, root.errorf("its VirtualSystemCollection holds no VirtualSystem: the descriptor describes no virtual machine")
		}
		return nil, root.errorf("no VirtualSystem or VirtualSystemCollection: the descriptor describes no virtual machine")
	}
	d.Warnings = p.warnings
	return d, nil
}

type parser struct {
	props    map[string]string // ProductSection property defaults, for ${key} references
	config   string            // the DeploymentOptionSection configuration in effect
	warnings []string
}

func (p *parser) warnf(n *node, format string, args ...any) {
	p.warnings = append(p.warnings, (&Error{Line: n.line, Element: n.path, Msg: fmt.Sprintf(format, args...)}).Error())
}

// envelopeVersion tells OVF 1.x from 2.x by the envelope namespace.
func envelopeVersion(root *node) string {
	for _, a := range root.attrs {
		if a.Name.Local == "version" {
			return a.Value
		}
	}
	for _, a := range root.attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			switch a.Value {
			case "http://schemas.dmtf.org/ovf/envelope/2":
				return "2.0"
			case "http://schemas.dmtf.org/ovf/envelope/1":
				return "1.x"
			}
		}
	}
	return ""
}

func hasCollection(root *node) bool {
	found := false
	walk(root, func(n *node) { found = found || n.name == "VirtualSystemCollection" })
	return found
}

// walk calls fn for n and every element below it, in document order.
func walk(n *node, fn func(*node)) {
	fn(n)
	for _, c := range n.children {
		walk(c, fn)
	}
}

func (p *parser) collectProperties(root *node) {
	walk(root, func(n *node) {
		if n.name != "ProductSection" {
			return
		}
		class, instance := n.attrOr("class", ""), n.attrOr("instance", "")
		for _, c := range n.children {
			if c.name != "Property" {
				continue
			}
			key, ok := c.attr("key")
			if !ok {
				continue
			}
			val := c.attrOr("value", "")
			// DSP0243 9.5: the full key is class.key.instance.
			full := key
			if class != "" {
				full = class + "." + full
			}
			if instance != "" {
				full = full + "." + instance
			}
			for _, k := range []string{full, key} {
				if _, seen := p.props[k]; !seen {
					p.props[k] = val
				}
			}
		}
	})
}

// defaultConfiguration returns the deployment option exporters mark
// default, else the first one, else "".
func defaultConfiguration(root *node) string {
	sec := root.child("DeploymentOptionSection")
	if sec == nil {
		return ""
	}
	first := ""
	for _, c := range sec.children {
		if c.name != "Configuration" {
			continue
		}
		id := c.attrOr("id", "")
		if first == "" {
			first = id
		}
		if strings.EqualFold(c.attrOr("default", ""), "true") {
			return id
		}
	}
	return first
}

func (p *parser) references(root *node, d *Descriptor) error {
	ids := map[string]bool{}
	for _, refs := range root.children {
		if refs.name != "References" {
			continue
		}
		for _, f := range refs.children {
			if f.name != "File" {
				continue
			}
			ref := FileRef{Size: -1}
			ref.ID = f.attrOr("id", "")
			if ref.ID == "" {
				return f.errorf("a File without ovf:id; every referenced file needs an id")
			}
			if ids[ref.ID] {
				return f.errorf("two files have ovf:id %q; ids must be unique", ref.ID)
			}
			ids[ref.ID] = true
			ref.Href = f.attrOr("href", "")
			if strings.TrimSpace(ref.Href) == "" {
				return f.errorf("File %q has no ovf:href; it must name the file", ref.ID)
			}
			if s, ok := f.attr("size"); ok && strings.TrimSpace(s) != "" {
				v, err := parseCount(s)
				if err != nil {
					return f.errorf("File %q: ovf:size %v; it must be the file's length in bytes", ref.ID, err)
				}
				ref.Size = v
			}
			if s, ok := f.attr("chunkSize"); ok && strings.TrimSpace(s) != "" {
				v, err := parseCount(s)
				if err != nil {
					return f.errorf("File %q: ovf:chunkSize %v", ref.ID, err)
				}
				ref.ChunkSize = v
			}
			ref.Compression = strings.TrimSpace(f.attrOr("compression", ""))
			d.Files = append(d.Files, ref)
		}
	}
	return nil
}

var propertyRef = regexp.MustCompile(`^\$\{([^}]+)\}$`)

// resolve replaces a whole-value ${key} reference by the property's
// default value (DSP0243 9.1 allows that for disk capacities).
func (p *parser) resolve(n *node, attr, s string) (string, error) {
	s = strings.TrimSpace(s)
	m := propertyRef.FindStringSubmatch(s)
	if m == nil {
		return s, nil
	}
	v, ok := p.props[m[1]]
	if !ok || strings.TrimSpace(v) == "" {
		return "", n.errorf("ovf:%s %q refers to property %q, which no ProductSection gives a default value", attr, s, m[1])
	}
	return strings.TrimSpace(v), nil
}

func (p *parser) disks(root *node, d *Descriptor) error {
	files := map[string]bool{}
	for _, f := range d.Files {
		files[f.ID] = true
	}
	ids := map[string]bool{}
	for _, sec := range root.children {
		if sec.name != "DiskSection" && sec.name != "VirtualDiskSection" {
			continue
		}
		for _, n := range sec.children {
			if n.name != "Disk" {
				continue
			}
			var disk Disk
			disk.ID = n.attrOr("diskId", "")
			if disk.ID == "" {
				return n.errorf("a Disk without ovf:diskId; hardware items refer to disks by that id")
			}
			if ids[disk.ID] {
				return n.errorf("two disks have ovf:diskId %q; ids must be unique", disk.ID)
			}
			ids[disk.ID] = true
			disk.FileRef = strings.TrimSpace(n.attrOr("fileRef", ""))
			if disk.FileRef != "" && !files[disk.FileRef] {
				return n.errorf("Disk %q refers to ovf:fileRef %q, which References does not list", disk.ID, disk.FileRef)
			}
			disk.Format = strings.TrimSpace(n.attrOr("format", ""))

			capStr, ok := n.attr("capacity")
			if !ok || strings.TrimSpace(capStr) == "" {
				return n.errorf("Disk %q has no ovf:capacity", disk.ID)
			}
			capStr, err := p.resolve(n, "capacity", capStr)
			if err != nil {
				return err
			}
			capacity, err := parseCount(capStr)
			if err != nil {
				return n.errorf("Disk %q: ovf:capacity %v", disk.ID, err)
			}
			unit, err := byteUnits(n.attrOr("capacityAllocationUnits", ""))
			if err != nil {
				return n.errorf("Disk %q: ovf:capacityAllocationUnits: %v", disk.ID, err)
			}
			if disk.CapacityBytes, ok = mulInt64(capacity, unit); !ok {
				return n.errorf("Disk %q: capacity %s × %d bytes is too large", disk.ID, capStr, unit)
			}
			if s, ok := n.attr("populatedSize"); ok && strings.TrimSpace(s) != "" {
				v, err := parseCount(s)
				if err != nil {
					return n.errorf("Disk %q: ovf:populatedSize %v", disk.ID, err)
				}
				disk.PopulatedBytes = v
			}
			d.Disks = append(d.Disks, disk)
		}
	}
	return nil
}

// systems collects every VirtualSystem, descending into collections.
func (p *parser) systems(n *node, d *Descriptor) {
	for _, c := range n.children {
		switch c.name {
		case "VirtualSystem":
			d.Systems = append(d.Systems, p.system(c))
		case "VirtualSystemCollection":
			p.systems(c, d)
		}
	}
}

// item is a hardware item (Item, StorageItem or EthernetPortItem) reduced
// to the fields exitkit reads.
type item struct {
	n            *node
	resourceType string
	subType      string
	instanceID   string
	parent       string
	quantity     string
	units        string
	connection   string
	hostResource string
	specific     bool // applies to the chosen deployment configuration by name
}

func readItem(n *node) item {
	it := item{n: n}
	for _, c := range n.children {
		text := strings.TrimSpace(c.text.String())
		switch strings.ToLower(c.name) { // OVF 0.9 exports spell InstanceId
		case "resourcetype":
			it.resourceType = text
		case "resourcesubtype":
			it.subType = text
		case "instanceid":
			it.instanceID = text
		case "parent":
			it.parent = text
		case "virtualquantity":
			it.quantity = text
		case "allocationunits":
			it.units = text
		case "virtualquantityunits":
			if it.units == "" {
				it.units = text
			}
		case "connection":
			if it.connection == "" {
				it.connection = text
			}
		case "hostresource":
			if it.hostResource == "" {
				it.hostResource = text
			}
		}
	}
	return it
}

// applies reports whether an item belongs to the configuration in effect
// and to the normal bound (min and max bounds describe ranges).
func (p *parser) applies(it *item) bool {
	if b := it.n.attrOr("bound", ""); b == "min" || b == "max" {
		return false
	}
	cfg, ok := it.n.attr("configuration")
	if !ok || strings.TrimSpace(cfg) == "" {
		return true
	}
	if p.config == "" {
		return true
	}
	if slices.Contains(strings.Fields(cfg), p.config) {
		it.specific = true
		return true
	}
	return false
}

const (
	rtIDE   = "5"
	rtSCSI  = "6"
	rtFC    = "7"
	rtCPU   = "3"
	rtMem   = "4"
	rtNIC   = "10"
	rtDisk  = "17"
	rtOther = "20"
)

func (p *parser) system(n *node) System {
	s := System{ID: n.attrOr("id", ""), Firmware: "bios"}
	s.Name = n.childText("Name")
	if s.Name == "" {
		s.Name = s.ID
	}
	if os := n.child("OperatingSystemSection"); os != nil {
		s.OSType = strings.TrimSpace(os.attrOr("osType", ""))
		s.GuestOS = guestOS(os)
	}

	hw := hardwareSection(n)
	if hw == nil {
		p.warnf(n, "VirtualSystem %q has no VirtualHardwareSection; its hardware is unknown", s.Name)
		return s
	}
	var items []item
	for _, c := range hw.children {
		switch c.name {
		case "Item", "StorageItem", "EthernetPortItem":
			it := readItem(c)
			if p.applies(&it) {
				items = append(items, it)
			}
		case "Config", "ExtraConfig":
			if strings.EqualFold(c.attrOr("key", ""), "bootOptions.efiSecureBootEnabled") {
				s.SecureBoot = strings.EqualFold(strings.TrimSpace(c.attrOr("value", "")), "true")
			}
			if strings.EqualFold(c.attrOr("key", ""), "firmware") {
				switch v := strings.ToLower(strings.TrimSpace(c.attrOr("value", ""))); v {
				case "efi", "bios":
					s.Firmware = v
				case "":
				default:
					p.warnf(c, "firmware %q is neither bios nor efi; assuming bios", v)
				}
			}
		}
	}

	controllers := map[string]string{}
	cpuSpecific, memSpecific := false, false
	for i := range items {
		it := &items[i]
		switch it.resourceType {
		case rtCPU:
			if cpuSpecific && !it.specific {
				continue
			}
			v, err := parseCount(it.quantity)
			if err != nil || v > 1<<16 {
				p.warnf(it.n, "CPU VirtualQuantity %q is not a usable count; vCPU left unknown", it.quantity)
				continue
			}
			s.VCPU, cpuSpecific = int(v), it.specific
		case rtMem:
			if memSpecific && !it.specific {
				continue
			}
			v, err := parseCount(it.quantity)
			if err != nil {
				p.warnf(it.n, "memory VirtualQuantity %q is not a whole number; memory left unknown", it.quantity)
				continue
			}
			unit := int64(1 << 20) // DSP0243: MiB when no unit is given
			if it.units != "" {
				if unit, err = byteUnits(it.units); err != nil {
					p.warnf(it.n, "memory: %v; memory left unknown", err)
					continue
				}
			}
			b, ok := mulInt64(v, unit)
			if !ok {
				p.warnf(it.n, "memory %s × %d bytes is too large; memory left unknown", it.quantity, unit)
				continue
			}
			s.MemoryMiB, memSpecific = b>>20, it.specific
		case rtIDE, rtSCSI, rtFC, rtOther:
			name := controllerName(it.resourceType, it.subType)
			if name == "" {
				continue
			}
			if it.instanceID != "" {
				controllers[it.instanceID] = name
			}
			if !slices.Contains(s.DiskControllers, name) {
				s.DiskControllers = append(s.DiskControllers, name)
			}
		case rtNIC:
			s.NICs = append(s.NICs, NIC{Network: it.connection, Adapter: nicAdapter(it.subType)})
		}
	}
	for _, it := range items {
		if it.resourceType != rtDisk {
			continue
		}
		sd := SystemDisk{Controller: controllers[it.parent]}
		kind, id := hostResource(it.hostResource)
		switch kind {
		case "disk":
			sd.DiskID = id
		case "file":
			sd.FileRef = id
		default:
			if it.hostResource != "" {
				p.warnf(it.n, "disk HostResource %q names neither ovf:/disk/<id> nor ovf:/file/<id>", it.hostResource)
			}
		}
		s.Disks = append(s.Disks, sd)
	}
	if s.DiskControllers == nil {
		s.DiskControllers = []string{}
	}
	return s
}

// hardwareSection picks the VirtualSystem's hardware. Several sections
// describe alternatives for different platforms; the first is the one
// exporters write for their own.
func hardwareSection(n *node) *node {
	var first *node
	for _, c := range n.children {
		if c.name != "VirtualHardwareSection" {
			continue
		}
		if first == nil {
			first = c
		}
		for _, it := range c.children {
			if it.name == "Item" || it.name == "StorageItem" || it.name == "EthernetPortItem" {
				return c
			}
		}
	}
	return first
}

// hostResource splits "ovf:/disk/vmdisk1", "/disk/x", "ovf://file/y".
func hostResource(s string) (kind, id string) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "ovf:")
	s = strings.TrimLeft(s, "/")
	kind, id, ok := strings.Cut(s, "/")
	if !ok || id == "" || (kind != "disk" && kind != "file") {
		return "", ""
	}
	return kind, id
}

var spaceRun = regexp.MustCompile(`\s+`)

// guestOS is the human description, with VMware's exact osType when it
// says something the description does not.
func guestOS(os *node) string {
	desc := spaceRun.ReplaceAllString(strings.TrimSpace(os.childText("Description")), " ")
	if len(desc) > 200 {
		desc = desc[:200] + "…"
	}
	osType := strings.TrimSpace(os.attrOr("osType", ""))
	switch {
	case desc != "" && osType != "" && !strings.EqualFold(desc, osType):
		return desc + " (" + osType + ")"
	case desc != "":
		return desc
	case osType != "":
		return osType
	}
	if name, ok := cimOS[strings.TrimSpace(os.attrOr("id", ""))]; ok {
		return name
	}
	return ""
}

// cimOS names the CIM_OperatingSystem OSType values exporters use most
// when they give no description.
var cimOS = map[string]string{
	"1":   "Other",
	"36":  "Linux",
	"58":  "Windows 2000 Server",
	"67":  "Windows XP",
	"69":  "Windows Server 2003",
	"70":  "Windows Server 2003 64-bit",
	"73":  "Windows Vista",
	"74":  "Windows Vista 64-bit",
	"76":  "Windows Server 2008 64-bit",
	"77":  "FreeBSD 64-bit",
	"79":  "Red Hat Enterprise Linux",
	"80":  "Red Hat Enterprise Linux 64-bit",
	"82":  "SUSE Linux",
	"83":  "SUSE Linux 64-bit",
	"93":  "Ubuntu",
	"94":  "Ubuntu 64-bit",
	"95":  "Debian",
	"96":  "Debian 64-bit",
	"100": "Other Linux",
	"101": "Other Linux 64-bit",
	"102": "Other 64-bit",
	"103": "Windows Server 2008 R2",
	"105": "Windows 7",
	"106": "CentOS 32-bit",
	"107": "CentOS 64-bit",
	"109": "Oracle Linux 64-bit",
	"112": "Windows Server 2012",
	"113": "Windows 8",
	"114": "Windows 8 64-bit",
}

// controllerName normalises a storage controller; "" for items that are
// not disk controllers (NVDIMM, USB and the like under type 20).
func controllerName(resourceType, subType string) string {
	tokens := strings.FieldsFunc(strings.ToLower(subType), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	for _, t := range tokens {
		switch {
		case t == "virtualscsi" || t == "pvscsi" || t == "paravirtual":
			return "pvscsi"
		case t == "lsilogic" || t == "lsilogicsas" || t == "buslogic":
			return t
		case strings.Contains(t, "ahci") || strings.Contains(t, "sata"):
			return "sata"
		case strings.Contains(t, "nvme"):
			return "nvme"
		case t == "piix3" || t == "piix4" || t == "ich6" || strings.Contains(t, "ide"):
			return "ide"
		case strings.Contains(t, "nvdimm") || strings.Contains(t, "usb"):
			return ""
		}
	}
	switch resourceType {
	case rtIDE:
		return "ide"
	case rtFC:
		return "fibrechannel"
	}
	if len(tokens) > 0 {
		return tokens[0]
	}
	if resourceType == rtSCSI {
		return "scsi"
	}
	return "storage"
}

// nicAdapter normalises a network adapter subtype.
func nicAdapter(subType string) string {
	t := strings.ToLower(strings.Join(strings.Fields(subType), ""))
	switch t {
	case "vmxnet3", "vmxnet2", "vmxnet", "e1000", "e1000e", "pcnet32", "flexible":
		return t
	case "virtio", "virtio-net", "virtionet":
		return "virtio"
	case "sriovethernetcard":
		return "sriov"
	}
	return t
}
