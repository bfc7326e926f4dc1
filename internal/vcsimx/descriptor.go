package vcsimx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ovfManager adds CreateDescriptor to vcsim's OvfManager.
type ovfManager struct {
	*simulator.OvfManager
}

func (m *ovfManager) CreateDescriptor(ctx *simulator.Context, req *types.CreateDescriptor) soap.HasFault {
	defer unshadow(ctx, m)
	body := new(methods.CreateDescriptorBody)
	vm, ok := ctx.Map.Get(req.Obj).(*simulator.VirtualMachine)
	if !ok || vm.Config == nil {
		body.Fault_ = simulator.Fault("CreateDescriptor: only virtual machines are supported here", &types.InvalidArgument{InvalidProperty: "obj"})
		return body
	}
	body.Res = &types.CreateDescriptorResponse{Returnval: types.OvfCreateDescriptorResult{
		OvfDescriptor: descriptor(ctx, vm, req.Cdp),
	}}
	return body
}

const (
	streamOptimized = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
	envelopeOpen    = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope vmw:buildId="build-vcsimx" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
`
)

// descriptor writes an OVF envelope for vm shaped like vCenter's: the files
// the caller lists, in its order and with its sizes; disks as
// streamOptimized; firmware and the NVRAM file in vmw elements.
func descriptor(ctx *simulator.Context, vm *simulator.VirtualMachine, cdp types.OvfCreateDescriptorParams) string {
	devices := object.VirtualDeviceList(vm.Config.Hardware.Device)

	// Lease keys, computed as vcsim's ExportSnapshot does, back to devices.
	byKey := map[string]types.BaseVirtualDevice{}
	count := map[string]int{}
	for _, d := range devices {
		if _, ok := d.GetVirtualDevice().Backing.(types.BaseVirtualDeviceFileBackingInfo); !ok {
			continue
		}
		kind := devices.Type(d)
		byKey[fmt.Sprintf("/%s/%s:%d", vm.Self.Value, kind, count[kind])] = d
		count[kind]++
	}

	name := cdp.Name
	if name == "" {
		name = vm.Name
	}
	var b bytes.Buffer
	b.WriteString(envelopeOpen)
	b.WriteString("  <References>\n")
	diskOf := map[int32]string{}        // device key -> disk id
	var disks []types.BaseVirtualDevice // in file order
	nvramFile := ""
	for i, f := range cdp.OvfFiles {
		id := fmt.Sprintf("file%d", i+1)
		fmt.Fprintf(&b, "    <File ovf:href=%s ovf:id=%q ovf:size=\"%d\"/>\n", attr(f.Path), id, f.Size)
		if strings.HasSuffix(f.DeviceId, "/"+nvramKey) {
			nvramFile = id
		}
		if d, ok := byKey[f.DeviceId].(*types.VirtualDisk); ok {
			diskOf[d.Key] = fmt.Sprintf("vmdisk%d", len(disks)+1)
			disks = append(disks, d)
		}
	}
	b.WriteString("  </References>\n")

	if len(disks) > 0 {
		b.WriteString("  <DiskSection>\n    <Info>Virtual disk information</Info>\n")
		for i, f := range cdp.OvfFiles {
			d, ok := byKey[f.DeviceId].(*types.VirtualDisk)
			if !ok {
				continue
			}
			capacity, units := d.CapacityInBytes, "byte"
			if capacity%(1<<20) == 0 {
				capacity, units = capacity>>20, "byte * 2^20"
			}
			fmt.Fprintf(&b, "    <Disk ovf:capacity=\"%d\" ovf:capacityAllocationUnits=%q ovf:diskId=%q ovf:fileRef=\"file%d\" ovf:format=%q/>\n",
				capacity, units, diskOf[d.Key], i+1, streamOptimized)
		}
		b.WriteString("  </DiskSection>\n")
	}

	// Networks by the name a NIC is connected to. Like some vCenter
	// versions, a distributed port group appears by its key.
	type nic struct {
		dev     types.BaseVirtualEthernetCard
		network string
	}
	var nics []nic
	var networks []string
	for _, d := range devices {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		n := ""
		switch bk := card.GetVirtualEthernetCard().Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			n = bk.DeviceName
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			n = bk.Port.PortgroupKey
		}
		nics = append(nics, nic{card, n})
		if n != "" && !contains(networks, n) {
			networks = append(networks, n)
		}
	}
	if len(networks) > 0 {
		b.WriteString("  <NetworkSection>\n    <Info>The list of logical networks</Info>\n")
		for _, n := range networks {
			fmt.Fprintf(&b, "    <Network ovf:name=%s>\n      <Description>The %s network</Description>\n    </Network>\n", attr(n), text(n))
		}
		b.WriteString("  </NetworkSection>\n")
	}

	guest := vm.Config.GuestId
	fmt.Fprintf(&b, "  <VirtualSystem ovf:id=%s>\n    <Info>A virtual machine</Info>\n    <Name>%s</Name>\n", attr(name), text(name))
	fmt.Fprintf(&b, "    <OperatingSystemSection ovf:id=\"101\" vmw:osType=%s>\n      <Info>The kind of installed guest operating system</Info>\n    </OperatingSystemSection>\n", attr(guest))
	b.WriteString("    <VirtualHardwareSection>\n      <Info>Virtual hardware requirements</Info>\n      <System>\n")
	fmt.Fprintf(&b, "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n        <vssd:InstanceID>0</vssd:InstanceID>\n        <vssd:VirtualSystemIdentifier>%s</vssd:VirtualSystemIdentifier>\n        <vssd:VirtualSystemType>%s</vssd:VirtualSystemType>\n      </System>\n", text(name), text(vm.Config.Version))

	id := 0
	item := func(resourceType int, elementName string, fields ...string) int {
		id++
		fmt.Fprintf(&b, "      <Item>\n        <rasd:ElementName>%s</rasd:ElementName>\n        <rasd:InstanceID>%d</rasd:InstanceID>\n        <rasd:ResourceType>%d</rasd:ResourceType>\n", text(elementName), id, resourceType)
		for _, f := range fields {
			b.WriteString("        " + f + "\n")
		}
		b.WriteString("      </Item>\n")
		return id
	}
	hw := vm.Config.Hardware
	item(3, fmt.Sprintf("%d virtual CPU(s)", hw.NumCPU),
		"<rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>",
		fmt.Sprintf("<rasd:VirtualQuantity>%d</rasd:VirtualQuantity>", hw.NumCPU))
	item(4, fmt.Sprintf("%dMB of memory", hw.MemoryMB),
		"<rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>",
		fmt.Sprintf("<rasd:VirtualQuantity>%d</rasd:VirtualQuantity>", hw.MemoryMB))

	controllerID := map[int32]int{}
	for _, d := range devices {
		c, ok := d.(types.BaseVirtualController)
		if !ok {
			continue
		}
		bus := fmt.Sprintf("<rasd:Address>%d</rasd:Address>", c.GetVirtualController().BusNumber)
		var rt int
		var sub string
		switch d.(type) {
		case *types.VirtualLsiLogicController:
			rt, sub = 6, "lsilogic"
		case *types.ParaVirtualSCSIController:
			rt, sub = 6, "VirtualSCSI"
		case *types.VirtualLsiLogicSASController:
			rt, sub = 6, "lsilogicsas"
		case *types.VirtualBusLogicController:
			rt, sub = 6, "buslogic"
		case *types.VirtualIDEController:
			rt = 5
		case *types.VirtualAHCIController:
			rt, sub = 20, "vmware.sata.ahci"
		case *types.VirtualNVMEController:
			rt, sub = 20, "vmware.nvme.controller"
		default:
			continue
		}
		fields := []string{bus}
		if sub != "" {
			fields = append(fields, "<rasd:ResourceSubType>"+sub+"</rasd:ResourceSubType>")
		}
		controllerID[d.GetVirtualDevice().Key] = item(rt, devices.Name(d), fields...)
	}
	for _, dd := range disks {
		d := dd.(*types.VirtualDisk)
		unit := int32(0)
		if d.UnitNumber != nil {
			unit = *d.UnitNumber
		}
		item(17, devices.Name(d),
			fmt.Sprintf("<rasd:AddressOnParent>%d</rasd:AddressOnParent>", unit),
			"<rasd:HostResource>ovf:/disk/"+diskOf[d.Key]+"</rasd:HostResource>",
			fmt.Sprintf("<rasd:Parent>%d</rasd:Parent>", controllerID[d.ControllerKey]))
	}
	for i, n := range nics {
		sub := "E1000"
		switch n.dev.(type) {
		case *types.VirtualVmxnet3:
			sub = "VmxNet3"
		case *types.VirtualE1000e:
			sub = "E1000e"
		case *types.VirtualPCNet32:
			sub = "PCNet32"
		}
		fields := []string{
			fmt.Sprintf("<rasd:AddressOnParent>%d</rasd:AddressOnParent>", 7+i),
			"<rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>",
		}
		if n.network != "" {
			fields = append(fields, "<rasd:Connection>"+text(n.network)+"</rasd:Connection>")
		}
		fields = append(fields, "<rasd:ResourceSubType>"+sub+"</rasd:ResourceSubType>")
		item(10, fmt.Sprintf("Network adapter %d", i+1), fields...)
	}
	firmware := vm.Config.Firmware
	if firmware == "" {
		firmware = "bios"
	}
	fmt.Fprintf(&b, "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=%s/>\n", attr(firmware))
	// vCenter writes the Secure Boot state of an EFI VM beside its firmware.
	if bo := vm.Config.BootOptions; firmware == "efi" && bo != nil && bo.EfiSecureBootEnabled != nil {
		fmt.Fprintf(&b, "      <vmw:Config ovf:required=\"false\" vmw:key=\"bootOptions.efiSecureBootEnabled\" vmw:value=\"%t\"/>\n", *bo.EfiSecureBootEnabled)
	}
	if nvramFile != "" {
		fmt.Fprintf(&b, "      <vmw:ExtraConfig ovf:required=\"false\" vmw:key=\"nvram\" vmw:value=\"ovf:/file/%s\"/>\n", nvramFile)
	}
	b.WriteString("    </VirtualHardwareSection>\n  </VirtualSystem>\n</Envelope>\n")
	return b.String()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func text(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func attr(s string) string {
	return `"` + strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(s) + `"`
}
