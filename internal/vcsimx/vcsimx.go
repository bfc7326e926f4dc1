// Package vcsimx completes govmomi's vSphere simulator (vcsim) for
// exports, so that the vSphere source can be tested, and demonstrated,
// against a real vSphere API in-process.
//
// vcsim implements ExportSnapshot and serves a VM's disk backing files
// over /nfc/, but not ExportVm, not the NVRAM file an EFI VM's export
// lease carries, and not OvfManager.CreateDescriptor. Install adds those
// three to a simulator model; Start runs a model with them, a password and
// TLS, and Lab.AddVM creates VMs whose disks hold real VMDK bytes (the
// datastores are local folders: what is uploaded over a disk's backing
// file is what the export serves, byte for byte).
//
// The descriptor written by CreateDescriptor imitates vCenter's, faults
// included where they matter to a test: files listed with the sizes the
// caller passed, and a NIC on a distributed port group connected by the
// port group's key rather than its name.
package vcsimx

import (
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Install makes model m answer ExportVm, put an EFI VM's NVRAM file into
// its export leases, and answer OvfManager.CreateDescriptor. Call it after
// m.Create and before serving.
func Install(m *simulator.Model) {
	prev := m.Map().Handler
	m.Map().Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		var w mo.Reference
		switch method.Name {
		case "ExportVm":
			if vm, ok := ctx.Map.Get(method.This).(*simulator.VirtualMachine); ok {
				w = &exportableVM{vm}
			}
		case "ExportSnapshot":
			if s, ok := ctx.Map.Get(method.This).(*simulator.VirtualMachineSnapshot); ok {
				w = &exportableSnapshot{s}
			}
		case "CreateDescriptor":
			if om, ok := ctx.Map.Get(method.This).(*simulator.OvfManager); ok {
				w = &ovfManager{om}
			}
		}
		if w == nil {
			if prev != nil {
				return prev(ctx, method)
			}
			return nil, nil
		}
		// vcsim dispatches a logged-in call to what the session's own
		// registry holds before the global one, so the wrapper shadows the
		// object there for this one call; the method removes it again.
		if ctx.Session != nil {
			ctx.Session.Registry.Put(w)
		}
		return w, nil
	}
}

// unshadow removes a wrapper that Install put into the session registry.
func unshadow(ctx *simulator.Context, w mo.Reference) {
	if ctx.Session != nil && ctx.Session.Registry.Get(w.Reference()) == w {
		ctx.Session.Registry.Remove(ctx, w.Reference())
	}
}

// exportableVM adds ExportVm to a simulated VM. It is handed to the
// dispatcher per call, never stored in the registry, whose other methods
// expect the plain *simulator.VirtualMachine.
type exportableVM struct {
	*simulator.VirtualMachine
}

func (vm *exportableVM) ExportVm(ctx *simulator.Context, req *types.ExportVm) soap.HasFault {
	defer unshadow(ctx, vm)
	body := new(methods.ExportVmBody)
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		body.Fault_ = simulator.Fault("ExportVm needs a powered-off VM; export a snapshot of a running one",
			&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: vm.Runtime.PowerState})
		return body
	}
	// A snapshot of the VM as it is now, never registered: vcsim's
	// ExportSnapshot builds the lease from its devices.
	snap := &simulator.VirtualMachineSnapshot{}
	snap.Vm = vm.Self
	snap.Config = *vm.Config
	ref, fault := exportWithNVRAM(ctx, snap, vm.VirtualMachine)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.ExportVmResponse{Returnval: ref}
	return body
}

// exportableSnapshot adds the NVRAM file to a snapshot's export lease.
type exportableSnapshot struct {
	*simulator.VirtualMachineSnapshot
}

func (s *exportableSnapshot) ExportSnapshot(ctx *simulator.Context, req *types.ExportSnapshot) soap.HasFault {
	defer unshadow(ctx, s)
	body := new(methods.ExportSnapshotBody)
	vm, ok := ctx.Map.Get(s.Vm).(*simulator.VirtualMachine)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: s.Vm})
		return body
	}
	cp := &simulator.VirtualMachineSnapshot{VirtualMachineSnapshot: s.VirtualMachineSnapshot.VirtualMachineSnapshot}
	ref, fault := exportWithNVRAM(ctx, cp, vm)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.ExportSnapshotResponse{Returnval: ref}
	return body
}

// nvramKey ends the lease device key of the NVRAM file, as on ESXi.
const nvramKey = "nvram"

func exportWithNVRAM(ctx *simulator.Context, snap *simulator.VirtualMachineSnapshot, vm *simulator.VirtualMachine) (types.ManagedObjectReference, *soap.Fault) {
	devices := slices.Clone(snap.Config.Hardware.Device)
	nvram := nvramPath(ctx, vm)
	if nvram != "" {
		// vcsim's ExportSnapshot serves every device with a file backing; a
		// device that exists only here makes it serve the NVRAM file too.
		devices = append(devices, &types.VirtualDevice{
			Key:     -nvramDeviceKey,
			Backing: &types.VirtualDeviceFileBackingInfo{FileName: nvram},
		})
	}
	snap.Config.Hardware.Device = devices
	res := snap.ExportSnapshot(ctx, &types.ExportSnapshot{This: snap.Self})
	if f := res.Fault(); f != nil {
		return types.ManagedObjectReference{}, f
	}
	ref := res.(*methods.ExportSnapshotBody).Res.Returnval
	if nvram == "" {
		return ref, nil
	}
	lease, ok := ctx.Session.Get(ref).(*simulator.HttpNfcLease)
	if !ok || lease.Info == nil {
		return ref, nil
	}
	var p object.DatastorePath
	p.FromString(nvram)
	info := *lease.Info
	info.DeviceUrl = slices.Clone(info.DeviceUrl)
	for i := range info.DeviceUrl {
		if info.DeviceUrl[i].TargetId == path.Base(p.Path) {
			info.DeviceUrl[i].Key = "/" + vm.Self.Value + "/" + nvramKey
			info.DeviceUrl[i].ImportKey = "/" + vm.Name + "/" + nvramKey
			info.DeviceUrl[i].Disk = types.NewBool(false)
		}
	}
	ctx.WithLock(lease, func() {
		ctx.Update(lease, []types.PropertyChange{{Name: "info", Val: &info}})
	})
	return ref, nil
}

const nvramDeviceKey = 424242

// nvramPath is the datastore path of an EFI VM's NVRAM file, next to its
// .vmx and named after the VM, when that file exists.
func nvramPath(ctx *simulator.Context, vm *simulator.VirtualMachine) string {
	if vm.Config == nil || vm.Config.Firmware != string(types.GuestOsDescriptorFirmwareTypeEfi) {
		return ""
	}
	var vmx object.DatastorePath
	if !vmx.FromString(vm.Config.Files.VmPathName) {
		return ""
	}
	p := object.DatastorePath{Datastore: vmx.Datastore, Path: path.Join(path.Dir(vmx.Path), vm.Name+".nvram")}
	if local := localPath(ctx, vm, p); local != "" {
		if _, err := os.Stat(local); err == nil {
			return p.String()
		}
	}
	return ""
}

// localPath maps a datastore path to the folder vcsim keeps it in.
func localPath(ctx *simulator.Context, vm *simulator.VirtualMachine, p object.DatastorePath) string {
	for _, ref := range vm.Datastore {
		ds, ok := ctx.Map.Get(ref).(*simulator.Datastore)
		if !ok || ds.Name != p.Datastore {
			continue
		}
		return filepath.Join(ds.Info.GetDatastoreInfo().Url, filepath.FromSlash(p.Path))
	}
	return ""
}
