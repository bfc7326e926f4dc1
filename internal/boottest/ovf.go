package boottest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/exitkit/exitkit/internal/vmdk"
)

// VM describes a VM to write as an OVF export for a boot test.
type VM struct {
	Name       string
	Firmware   string // "bios" or "efi"
	Controller string // the OVF's SCSI subtype ("VirtualSCSI", "lsilogic") or "sata"
	CPUs       int
	MemoryMiB  int64
	Disk       io.ReaderAt // raw disk image
	Capacity   int64
}

// WriteOVF writes dir/<name>/<name>.ovf and <name>-disk1.vmdk, a
// streamOptimized VMDK of the VM's raw disk, as a VMware export would
// lay them out; the folder is a source for exitbundle create.
func WriteOVF(dir string, vm VM) error {
	d := filepath.Join(dir, vm.Name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	disk := vm.Name + "-disk1.vmdk"
	f, err := os.Create(filepath.Join(d, disk))
	if err != nil {
		return err
	}
	if err := vmdk.WriteStreamOptimized(f, vm.Disk, vm.Capacity); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(filepath.Join(d, disk))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d, vm.Name+".ovf"), descriptor(vm, disk, st.Size()), 0o644)
}

func descriptor(vm VM, disk string, size int64) []byte {
	cpus, mem := max(vm.CPUs, 1), vm.MemoryMiB
	if mem <= 0 {
		mem = 256
	}
	ctrlType, ctrlSub, ctrlName := 6, vm.Controller, "SCSI controller 0"
	if vm.Controller == "sata" {
		ctrlType, ctrlSub, ctrlName = 20, "vmware.sata.ahci", "SATA controller 0"
	}
	if ctrlSub == "" {
		ctrlSub = "VirtualSCSI"
	}
	fw := vm.Firmware
	if fw == "" {
		fw = "bios"
	}
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References>
    <File ovf:href=%q ovf:id="file1" ovf:size="%d"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="%d" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network"><Description>The VM Network network</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id=%q>
    <Info>A virtual machine</Info>
    <Name>%s</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian12_64Guest"><Info>The guest OS</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemType>vmx-19</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ElementName>%d virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>%dMB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>%s</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>%s</rasd:ResourceSubType>
        <rasd:ResourceType>%d</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>10</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>20</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value=%q/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`, disk, size, vm.Capacity, vm.Name, vm.Name, cpus, cpus, mem, mem, ctrlName, ctrlSub, ctrlType, fw))
}
