package vcsimx

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/rest"
	_ "github.com/vmware/govmomi/vapi/simulator" // tags endpoint
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Lab is a running vCenter simulator with exports completed by Install,
// one datacenter (DC0) with a cluster, a standard network ("VM Network")
// and a distributed port group ("DC0_DVPG0"), and no VMs until AddVM.
type Lab struct {
	User     string
	Password string

	// Host is host:port of the HTTPS endpoint; Thumbprint its
	// certificate's SHA-256 fingerprint (the certificate is self-signed).
	Host       string
	Thumbprint string

	// Client is an administrator session for setting the lab up.
	Client *vim25.Client

	model  *simulator.Model
	server *simulator.Server

	mu      sync.Mutex
	nfcHook func(file string) int64
	mode    nfcMode
	calls   map[string]int
	failing map[string]bool
}

// Start runs a simulator on a random local port.
func Start(ctx context.Context) (*Lab, error) {
	m := simulator.VPX()
	m.Machine = 0
	if err := m.Create(); err != nil {
		return nil, fmt.Errorf("start vCenter simulator: %w", err)
	}
	var pw [12]byte
	_, _ = rand.Read(pw[:])
	l := &Lab{User: "exit@vsphere.local", Password: hex.EncodeToString(pw[:]), model: m}
	m.Service.TLS = new(tls.Config)
	m.Service.RegisterEndpoints = true
	m.Service.Listen = &url.URL{User: url.UserPassword(l.User, l.Password)}
	Install(m)
	installed := m.Map().Handler
	m.Map().Handler = func(ctx *simulator.Context, method *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		l.mu.Lock()
		if l.calls == nil {
			l.calls = map[string]int{}
		}
		l.calls[method.Name]++
		fail := l.failing[method.Name]
		l.mu.Unlock()
		if fail {
			return nil, &types.SystemError{Reason: "injected by vcsimx.Lab.FailMethod"}
		}
		return installed(ctx, method)
	}
	if m.Service.ServeMux == nil {
		m.Service.ServeMux = http.NewServeMux()
	}
	// More specific than vcsim's "/nfc/", so downloads come here first.
	m.Service.ServeMux.HandleFunc("GET /nfc/{lease}/{name}", l.serveNFC)
	l.server = m.Service.NewServer()
	l.Host = l.server.URL.Host
	l.Thumbprint = soap.ThumbprintSHA256(l.server.Certificate())

	sc := soap.NewClient(l.server.URL, true)
	c, err := vim25.NewClient(ctx, sc)
	if err == nil {
		err = session.NewManager(c).Login(ctx, url.UserPassword(l.User, l.Password))
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("log in to the simulator: %w", err)
	}
	l.Client = c
	return l, nil
}

// URL returns a vsphere:// source URL for this lab with the given query.
func (l *Lab) URL(query string) string {
	u := "vsphere://" + url.PathEscape(l.User) + "@" + l.Host + "/sdk"
	if query != "" {
		u += "?" + query
	}
	return u
}

// Close stops the simulator and removes its datastore folders.
func (l *Lab) Close() {
	if l.server != nil {
		l.server.Close()
	}
	l.model.Remove()
}

// Calls returns how often the API method (e.g. "HttpNfcLeaseProgress")
// has been called so far.
func (l *Lab) Calls(method string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[method]
}

// FailMethod makes every call of an API method (e.g. "RemoveSnapshot_Task")
// fail with a SystemError until called again with fail false.
func (l *Lab) FailMethod(method string, fail bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing == nil {
		l.failing = map[string]bool{}
	}
	l.failing[method] = fail
}

// FailNFC makes NFC downloads break: hook gets the file name of each GET
// and returns after how many bytes to drop the connection, or -1 to serve
// it whole. nil removes the hook.
func (l *Lab) FailNFC(hook func(file string) int64) {
	l.mu.Lock()
	l.nfcHook, l.mode = hook, nfcDrop
	l.mu.Unlock()
}

// TruncateNFC is FailNFC for a server that ends the response cleanly, as
// if the file were complete, after the given number of bytes.
func (l *Lab) TruncateNFC(hook func(file string) int64) {
	l.mu.Lock()
	l.nfcHook, l.mode = hook, nfcCut
	l.mu.Unlock()
}

// StallNFC is FailNFC for a connection that stays open after the given
// number of bytes but sends nothing more, until the client gives up.
func (l *Lab) StallNFC(hook func(file string) int64) {
	l.mu.Lock()
	l.nfcHook, l.mode = hook, nfcStall
	l.mu.Unlock()
}

func (l *Lab) serveNFC(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	hook, mode := l.nfcHook, l.mode
	l.mu.Unlock()
	if hook != nil {
		if n := hook(r.PathValue("name")); n >= 0 {
			w = &droppingWriter{ResponseWriter: w, left: n, mode: mode, done: r.Context().Done()}
		}
	}
	simulator.ServeNFC(w, r)
}

// droppingWriter passes left bytes on, then aborts the response, which
// closes the connection mid-body as a network failure would.
type droppingWriter struct {
	http.ResponseWriter
	left int64
	mode nfcMode
	done <-chan struct{} // the request's end
}

// How a broken NFC download breaks.
type nfcMode int

const (
	nfcDrop  nfcMode = iota // the connection closes mid-body
	nfcStall                // the connection stays open, silent
	nfcCut                  // the body ends cleanly, short
)

func (d *droppingWriter) Write(p []byte) (int, error) {
	if d.mode == nfcCut && d.left == 0 {
		return len(p), nil // swallowed: the response ends as if complete
	}
	if int64(len(p)) <= d.left {
		d.left -= int64(len(p))
		return d.ResponseWriter.Write(p)
	}
	n, _ := d.ResponseWriter.Write(p[:d.left])
	d.left = 0
	if f, ok := d.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	switch d.mode {
	case nfcCut:
		return len(p), nil
	case nfcStall:
		<-d.done
	}
	_ = n
	panic(http.ErrAbortHandler)
}

// Disk is one virtual disk of a lab VM.
type Disk struct {
	// VMDK is a local streamOptimized VMDK file (internal/vmdk writes
	// them), uploaded over the disk's backing file.
	VMDK string
	// Capacity is the disk's size in bytes, as the VMDK holds it.
	Capacity int64
}

// VMSpec describes a lab VM.
type VMSpec struct {
	Name       string
	Folder     string // below the datacenter's VM folder, e.g. "Acme/prod"; created when missing
	GuestID    string // default otherLinux64Guest
	CPUs       int32  // default 1
	MemoryMB   int64  // default 512
	Firmware   string // "bios" (default) or "efi"
	SecureBoot bool   // UEFI Secure Boot on (efi only), as bootOptions.efiSecureBootEnabled
	NVRAM      []byte // an EFI VM's NVRAM file, written next to its .vmx
	Disks      []Disk
	Network    string   // default "VM Network"; "DC0_DVPG0" is a distributed port group
	ISO        []byte   // when set, a CD-ROM with this image from the datastore
	Tags       []string // "category:tag", created when missing
	PowerOn    bool
}

// AddVM creates a VM as spec says and returns its inventory path.
func (l *Lab) AddVM(ctx context.Context, spec VMSpec) (string, error) {
	c := l.Client
	finder := find.NewFinder(c, false)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return "", err
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return "", err
	}
	folder := folders.VmFolder
	for _, part := range strings.Split(spec.Folder, "/") {
		if part == "" {
			continue
		}
		next, err := finder.Folder(ctx, path.Join(folder.InventoryPath, part))
		if err != nil {
			if next, err = folder.CreateFolder(ctx, part); err != nil {
				return "", fmt.Errorf("create folder %s: %w", part, err)
			}
			next.InventoryPath = path.Join(folder.InventoryPath, part)
		}
		folder = next
	}
	pool, err := finder.ResourcePool(ctx, "DC0_C0/Resources")
	if err != nil {
		return "", err
	}
	ds, err := finder.DefaultDatastore(ctx)
	if err != nil {
		return "", err
	}
	netName := spec.Network
	if netName == "" {
		netName = "VM Network"
	}
	network, err := finder.Network(ctx, netName)
	if err != nil {
		return "", fmt.Errorf("network %s: %w", netName, err)
	}
	backing, err := network.EthernetCardBackingInfo(ctx)
	if err != nil {
		return "", err
	}
	nic, err := object.EthernetCardTypes().CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		return "", err
	}

	var devs object.VirtualDeviceList
	scsi, err := devs.CreateSCSIController("lsilogic")
	if err != nil {
		return "", err
	}
	devs = append(devs, scsi)
	var changes []types.BaseVirtualDeviceConfigSpec
	changes = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: scsi})
	for _, d := range spec.Disks {
		disk := devs.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), "")
		disk.Key = devs.NewKey()
		disk.CapacityInBytes = d.Capacity
		disk.CapacityInKB = (d.Capacity + 1023) / 1024
		devs = append(devs, disk)
		changes = append(changes, &types.VirtualDeviceConfigSpec{
			Operation:     types.VirtualDeviceConfigSpecOperationAdd,
			FileOperation: types.VirtualDeviceConfigSpecFileOperationCreate,
			Device:        disk,
		})
	}
	changes = append(changes, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: nic})

	guest, cpus, mem, fw := spec.GuestID, spec.CPUs, spec.MemoryMB, spec.Firmware
	if guest == "" {
		guest = "otherLinux64Guest"
	}
	if cpus == 0 {
		cpus = 1
	}
	if mem == 0 {
		mem = 512
	}
	if fw == "" {
		fw = "bios"
	}
	cs := types.VirtualMachineConfigSpec{
		Name:         spec.Name,
		GuestId:      guest,
		NumCPUs:      cpus,
		MemoryMB:     mem,
		Firmware:     fw,
		Files:        &types.VirtualMachineFileInfo{VmPathName: "[" + ds.Name() + "]"},
		DeviceChange: changes,
	}
	if spec.SecureBoot {
		on := true
		cs.BootOptions = &types.VirtualMachineBootOptions{EfiSecureBootEnabled: &on}
	}
	task, err := folder.CreateVM(ctx, cs, pool, nil)
	if err != nil {
		return "", fmt.Errorf("create VM %s: %w", spec.Name, err)
	}
	res, err := task.WaitForResult(ctx)
	if err != nil {
		return "", fmt.Errorf("create VM %s: %w", spec.Name, err)
	}
	vm := object.NewVirtualMachine(c, res.Result.(types.ManagedObjectReference))

	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config"}, &mvm); err != nil {
		return "", err
	}
	var vmx object.DatastorePath
	vmx.FromString(mvm.Config.Files.VmPathName)
	dir := path.Dir(vmx.Path)

	// Real bytes over the disks' backing files, in device order.
	i := 0
	for _, d := range object.VirtualDeviceList(mvm.Config.Hardware.Device).SelectByType((*types.VirtualDisk)(nil)) {
		if i >= len(spec.Disks) {
			break
		}
		var p object.DatastorePath
		p.FromString(d.GetVirtualDevice().Backing.(types.BaseVirtualDeviceFileBackingInfo).GetVirtualDeviceFileBackingInfo().FileName)
		if err := ds.UploadFile(ctx, spec.Disks[i].VMDK, p.Path, &soap.DefaultUpload); err != nil {
			return "", fmt.Errorf("upload disk %d of %s: %w", i, spec.Name, err)
		}
		i++
	}
	if len(spec.NVRAM) > 0 {
		if err := ds.Upload(ctx, bytes.NewReader(spec.NVRAM), path.Join(dir, spec.Name+".nvram"), &soap.DefaultUpload); err != nil {
			return "", fmt.Errorf("upload NVRAM of %s: %w", spec.Name, err)
		}
	}
	if len(spec.ISO) > 0 {
		isoPath := path.Join(dir, spec.Name+"-install.iso")
		if err := ds.Upload(ctx, bytes.NewReader(spec.ISO), isoPath, &soap.DefaultUpload); err != nil {
			return "", fmt.Errorf("upload ISO of %s: %w", spec.Name, err)
		}
		devices, err := vm.Device(ctx)
		if err != nil {
			return "", err
		}
		ide, err := devices.FindIDEController("")
		if err != nil {
			return "", err
		}
		cd, err := devices.CreateCdrom(ide)
		if err != nil {
			return "", err
		}
		cd = devices.InsertIso(cd, ds.Path(isoPath))
		if err := vm.AddDevice(ctx, cd); err != nil {
			return "", fmt.Errorf("attach ISO to %s: %w", spec.Name, err)
		}
	}
	if len(spec.Tags) > 0 {
		if err := l.tag(ctx, vm.Reference(), spec.Tags); err != nil {
			return "", err
		}
	}
	if spec.PowerOn {
		task, err := vm.PowerOn(ctx)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return "", fmt.Errorf("power on %s: %w", spec.Name, err)
		}
	}
	return path.Join(folder.InventoryPath, spec.Name), nil
}

func (l *Lab) tag(ctx context.Context, ref types.ManagedObjectReference, specs []string) error {
	rc := rest.NewClient(l.Client)
	if err := rc.Login(ctx, url.UserPassword(l.User, l.Password)); err != nil {
		return fmt.Errorf("vAPI login: %w", err)
	}
	defer func() { _ = rc.Logout(ctx) }()
	m := tags.NewManager(rc)
	for _, s := range specs {
		catName, tagName, ok := strings.Cut(s, ":")
		if !ok {
			return fmt.Errorf("tag %q: want category:tag", s)
		}
		cat, err := m.GetCategory(ctx, catName)
		var catID string
		if err == nil {
			catID = cat.ID
		} else if catID, err = m.CreateCategory(ctx, &tags.Category{Name: catName, Cardinality: "MULTIPLE", AssociableTypes: []string{"VirtualMachine"}}); err != nil {
			return fmt.Errorf("create tag category %s: %w", catName, err)
		}
		tag, err := m.GetTagForCategory(ctx, tagName, catID)
		var tagID string
		if err == nil {
			tagID = tag.ID
		} else if tagID, err = m.CreateTag(ctx, &tags.Tag{Name: tagName, CategoryID: catID}); err != nil {
			return fmt.Errorf("create tag %s: %w", s, err)
		}
		if err := m.AttachTag(ctx, tagID, ref); err != nil {
			return fmt.Errorf("attach tag %s: %w", s, err)
		}
	}
	return nil
}

// Snapshots counts the snapshots of the VM at an inventory path, to check
// that a temporary one was removed.
func (l *Lab) Snapshots(ctx context.Context, vmPath string) (int, error) {
	vm, err := find.NewFinder(l.Client, true).VirtualMachine(ctx, vmPath)
	if err != nil {
		return 0, err
	}
	var m mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"snapshot"}, &m); err != nil {
		return 0, err
	}
	if m.Snapshot == nil {
		return 0, nil
	}
	var count func([]types.VirtualMachineSnapshotTree) int
	count = func(ts []types.VirtualMachineSnapshotTree) int {
		n := 0
		for _, t := range ts {
			n += 1 + count(t.ChildSnapshotList)
		}
		return n
	}
	return count(m.Snapshot.RootSnapshotList), nil
}
