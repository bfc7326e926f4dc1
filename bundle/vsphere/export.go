package vsphere

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/exitkit/exitkit/bundle"
)

// cleanupTimeout bounds the calls that undo an export (lease abort,
// snapshot removal), which run even after ctx is cancelled.
const cleanupTimeout = 5 * time.Minute

// SnapshotPrefix starts the name of the temporary snapshot taken of a
// running VM, so that an operator can recognise a leftover one.
const SnapshotPrefix = "exitbundle-export-"

func (s *Source) exportVM(ctx context.Context, seq int, sel selected, fn func(context.Context, *bundle.SourceVM) error) (err error) {
	vm := object.NewVirtualMachine(s.c, sel.ref)
	var m mo.VirtualMachine
	pc := property.DefaultCollector(s.c)
	if err := pc.RetrieveOne(ctx, sel.ref, []string{"runtime.powerState", "network"}, &m); err != nil {
		return fmt.Errorf("read power state: %w", err)
	}

	var lease *nfc.Lease
	if m.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff {
		s.logf("%s: powered off, exporting it directly", sel.name)
		lease, err = vm.Export(ctx)
		if err != nil {
			return fmt.Errorf("start export (ExportVm): %w", err)
		}
	} else {
		var snap types.ManagedObjectReference
		snap, err = s.createSnapshot(ctx, vm, sel)
		if err != nil {
			return err
		}
		defer func() {
			// err is the function's result: a removal failure is reported
			// with whatever happened before.
			if rerr := s.removeSnapshot(ctx, snap, sel); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}()
		lease, err = vm.ExportSnapshot(ctx, &snap)
		if err != nil {
			return fmt.Errorf("start export of the temporary snapshot (ExportSnapshot): %w", err)
		}
	}

	info, err := lease.Wait(ctx, nil)
	if err != nil {
		s.abort(ctx, lease, err)
		return fmt.Errorf("export lease: %w", err)
	}
	keeper := startKeeper(lease, info, s.opts.LeaseInterval, s.logf, sel.name)
	defer func() {
		keeper.stop()
		if err != nil {
			s.abort(ctx, lease, err)
			return
		}
		if cerr := lease.Complete(ctx); cerr != nil {
			err = fmt.Errorf("complete export lease: %w", cerr)
		}
	}()

	svm, err := s.sourceVM(ctx, vm, sel, m, info, keeper)
	if err != nil {
		return err
	}
	svm.Seq = seq
	return fn(ctx, svm)
}

func (s *Source) createSnapshot(ctx context.Context, vm *object.VirtualMachine, sel selected) (types.ManagedObjectReference, error) {
	name := SnapshotPrefix + time.Now().UTC().Format("20060102T150405Z")
	s.logf("%s: running, exporting through temporary snapshot %s", sel.name, name)
	task, err := vm.CreateSnapshot(ctx, name, "Temporary snapshot for an exitbundle export; removed when the export ends. Safe to delete if left over.", false, false)
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("take temporary snapshot: %w", err)
	}
	// Wait even when ctx is cancelled: a snapshot created after we gave up
	// waiting would be left behind.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	res, err := task.WaitForResult(wctx)
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("take temporary snapshot: %w", err)
	}
	ref, ok := res.Result.(types.ManagedObjectReference)
	if !ok {
		return types.ManagedObjectReference{}, fmt.Errorf("take temporary snapshot: unexpected result %T", res.Result)
	}
	if err := ctx.Err(); err != nil {
		return ref, errors.Join(err, s.removeSnapshot(ctx, ref, sel))
	}
	return ref, nil
}

// removeSnapshot deletes the temporary snapshot with a fresh context, so
// that it runs after a failure or Ctrl-C too.
func (s *Source) removeSnapshot(ctx context.Context, snap types.ManagedObjectReference, sel selected) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	res, err := methods.RemoveSnapshot_Task(cctx, s.c, &types.RemoveSnapshot_Task{
		This:           snap,
		RemoveChildren: false,
		Consolidate:    types.NewBool(true),
	})
	if err == nil {
		err = object.NewTask(s.c, res.Returnval).Wait(cctx)
	}
	if err != nil {
		return fmt.Errorf("remove temporary snapshot %s (%s*) of VM %s: %w; remove it by hand in vCenter", snap.Value, SnapshotPrefix, sel.name, err)
	}
	s.logf("%s: temporary snapshot removed", sel.name)
	return nil
}

func (s *Source) abort(ctx context.Context, lease *nfc.Lease, cause error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fault := &types.LocalizedMethodFault{
		Fault:            &types.SystemError{Reason: cause.Error()},
		LocalizedMessage: "exitbundle: " + cause.Error(),
	}
	_ = lease.Abort(cctx, fault) // the lease may be in error already
}

// Kinds of lease items.
const (
	itemDisk  = "disk"
	itemNVRAM = "nvram"
	itemImage = "image"
	itemOther = "other"
)

func classify(item nfc.FileItem, devs []types.HttpNfcLeaseDeviceUrl) string {
	ext := strings.ToLower(path.Ext(item.Path))
	for _, d := range devs {
		if d.Key == item.DeviceId && d.Disk != nil && *d.Disk {
			return itemDisk
		}
	}
	switch {
	case strings.HasSuffix(item.DeviceId, "/nvram") || ext == ".nvram":
		return itemNVRAM
	case ext == ".vmdk":
		return itemDisk
	case ext == ".iso" || ext == ".flp" || ext == ".img" ||
		strings.Contains(item.DeviceId, "cdrom") || strings.Contains(item.DeviceId, "floppy"):
		return itemImage
	}
	return itemOther
}

func (s *Source) sourceVM(ctx context.Context, vm *object.VirtualMachine, sel selected, m mo.VirtualMachine, info *nfc.LeaseInfo, k *keeper) (*bundle.SourceVM, error) {
	svm := &bundle.SourceVM{
		Name:   sel.name,
		Origin: Scheme + "://" + s.target.Host + sel.path,
	}
	cdp := types.OvfCreateDescriptorParams{Name: sel.name}
	seen := map[string]bool{}
	for _, item := range info.Items {
		kind := classify(item, info.DeviceUrl)
		if kind == itemImage && !s.opts.IncludeImages {
			s.logf("%s: leaving out image %s (pass --include-iso to take it)", sel.name, item.Path)
			continue
		}
		href := uniqueHref(item.Path, seen)
		size := int64(-1)
		for _, d := range info.DeviceUrl {
			if d.Key == item.DeviceId && d.FileSize > 0 {
				size = d.FileSize
			}
		}
		// OvfFile.Size stays 0: NFC does not know the exported size (a
		// streamOptimized VMDK is made on the fly), and the capacity that
		// govc puts there instead is wrong. create writes the real size.
		cdp.OvfFiles = append(cdp.OvfFiles, types.OvfFile{DeviceId: item.DeviceId, Path: href})
		svm.Files = append(svm.Files, bundle.SourceFile{
			Href: href,
			Size: size,
			Open: s.opener(item, kind, k),
		})
	}
	if len(svm.Files) == 0 {
		return nil, errors.New("the export lease offers no disk or NVRAM file")
	}
	cdp.ExportOption = s.exportOptions(ctx)
	res, err := ovf.NewManager(s.c).CreateDescriptor(ctx, vm, cdp)
	if err != nil {
		return nil, fmt.Errorf("OVF descriptor (OvfManager.CreateDescriptor): %w", err)
	}
	if len(res.Error) > 0 {
		return nil, fmt.Errorf("OVF descriptor (OvfManager.CreateDescriptor): %s", faultMessages(res.Error))
	}
	if len(res.Warning) > 0 {
		s.logf("%s: descriptor warnings: %s", sel.name, faultMessages(res.Warning))
	}
	names := s.networkNames(ctx, m.Network)
	svm.Descriptor = nameNetworks([]byte(res.OvfDescriptor), names)
	return svm, nil
}

// exportOptions asks for MAC addresses, the BIOS UUID and extraConfig to
// be kept in the descriptor (licences and guest configuration depend on
// them), among the options this server supports.
func (s *Source) exportOptions(ctx context.Context) []string {
	var om mo.OvfManager
	pc := property.DefaultCollector(s.c)
	if s.c.ServiceContent.OvfManager == nil {
		return nil
	}
	if err := pc.RetrieveOne(ctx, *s.c.ServiceContent.OvfManager, []string{"ovfExportOption"}, &om); err != nil {
		return nil
	}
	want := map[string]bool{"mac": true, "uuid": true, "extraconfig": true}
	var out []string
	for _, o := range om.OvfExportOption {
		if want[o.Option] {
			out = append(out, o.Option)
		}
	}
	return out
}

func faultMessages(fs []types.LocalizedMethodFault) string {
	var msgs []string
	for _, f := range fs {
		msgs = append(msgs, f.LocalizedMessage)
	}
	return strings.Join(msgs, "; ")
}

func uniqueHref(p string, seen map[string]bool) string {
	p = path.Base(p)
	if p == "." || p == "/" || p == "" {
		p = "file"
	}
	h := p
	for i := 2; seen[h]; i++ {
		ext := path.Ext(p)
		h = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(p, ext), i, ext)
	}
	seen[h] = true
	return h
}

// networkNames maps the keys of the VM's networks (a distributed port
// group's key is its managed object id, "dvportgroup-NN") to the names
// people see in vCenter.
func (s *Source) networkNames(ctx context.Context, refs []types.ManagedObjectReference) map[string]string {
	names := map[string]string{}
	for _, r := range refs {
		name, err := object.NewCommon(s.c, r).ObjectName(ctx)
		if err == nil && name != "" && name != r.Value {
			names[r.Value] = name
		}
	}
	return names
}

// nameNetworks replaces port-group keys by network names wherever the
// descriptor mentions them (a network's name and description, a NIC's
// connection). A key is replaced only as a whole word: dvportgroup-1 does
// not touch dvportgroup-12.
func nameNetworks(desc []byte, names map[string]string) []byte {
	for key, name := range names {
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `\b`)
		desc = re.ReplaceAllLiteral(desc, []byte(attrEscape(name)))
	}
	return desc
}

// attrEscape escapes s for XML text and double-quoted attributes alike.
func attrEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// opener returns the Open function of one lease item: a fresh GET each
// time, its bytes counted for the lease's progress reports.
func (s *Source) opener(item nfc.FileItem, kind string, k *keeper) func(context.Context) (io.ReadCloser, error) {
	idle := s.opts.StallTimeout
	if idle <= 0 {
		idle = DefaultStallTimeout
	}
	return func(ctx context.Context) (io.ReadCloser, error) {
		release, err := s.hosts.acquire(ctx, item.URL.Host)
		if err != nil {
			return nil, err
		}
		d := &download{ctx: ctx, path: item.Path, checkVMDK: kind == itemDisk, k: k, key: item.DeviceId, idle: idle, release: release}
		rctx, cancel := context.WithCancel(ctx)
		d.cancel = cancel
		// A connection that stays open but delivers nothing would hang the
		// export forever: a watchdog cancels it after idle without data.
		d.watchdog = time.AfterFunc(idle, func() { d.stalled.Store(true); cancel() })
		res, err := s.c.Client.DownloadRequest(rctx, item.URL, &soap.Download{Method: http.MethodGet})
		if err != nil {
			d.stop()
			if ctx.Err() != nil {
				return nil, err
			}
			if d.stalled.Load() {
				err = fmt.Errorf("no answer for %s", idle)
			}
			return nil, bundle.Transient(fmt.Errorf("download %s: %w", item.Path, err))
		}
		if res.StatusCode != http.StatusOK {
			_ = res.Body.Close()
			d.stop()
			err := fmt.Errorf("download %s: server answered %s", item.Path, res.Status)
			if res.StatusCode >= 500 || res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests {
				return nil, bundle.Transient(err)
			}
			return nil, fmt.Errorf("%w (the export lease may have expired or been cancelled in vCenter)", err)
		}
		k.restart(item.DeviceId)
		d.body = res.Body
		return d, nil
	}
}

// DefaultStallTimeout is how long a download may deliver no data before
// it counts as dropped and is retried.
const DefaultStallTimeout = 2 * time.Minute

// download is one NFC file being read. A read error that is not the
// caller's own cancellation is Transient; a streamOptimized VMDK that ends
// without its footer and end-of-stream marker is a truncated transfer and
// Transient too, whatever HTTP said.
type download struct {
	ctx       context.Context
	body      io.ReadCloser
	path      string
	checkVMDK bool
	k         *keeper
	key       string

	idle     time.Duration
	release  func() // the host's download slot
	cancel   context.CancelFunc
	watchdog *time.Timer
	stalled  atomic.Bool

	n    int64
	head [64]byte      // the sparse extent header's fields up to gdOffset
	tail [3 * 512]byte // last bytes read, for the footer check
	tn   int
}

func (d *download) stop() {
	d.watchdog.Stop()
	d.cancel()
	d.release()
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.body.Read(p)
	if n > 0 {
		d.watchdog.Reset(d.idle)
		d.observe(p[:n])
	}
	if err == nil || errors.Is(err, io.EOF) {
		if errors.Is(err, io.EOF) && d.checkVMDK {
			if cerr := d.checkEnd(); cerr != nil {
				return n, bundle.Transient(cerr)
			}
		}
		return n, err
	}
	if d.ctx.Err() != nil {
		return n, d.ctx.Err()
	}
	if d.stalled.Load() {
		return n, bundle.Transient(fmt.Errorf("download %s: no data for %s after %d bytes: stalled", d.path, d.idle, d.n))
	}
	return n, bundle.Transient(fmt.Errorf("download %s: connection dropped after %d bytes: %w", d.path, d.n, err))
}

func (d *download) observe(b []byte) {
	if d.n < int64(len(d.head)) {
		copy(d.head[d.n:], b)
	}
	d.n += int64(len(b))
	d.k.add(d.key, int64(len(b)))
	if len(b) >= len(d.tail) {
		copy(d.tail[:], b[len(b)-len(d.tail):])
		d.tn = len(d.tail)
		return
	}
	keep := min(d.tn, len(d.tail)-len(b))
	copy(d.tail[:keep], d.tail[d.tn-keep:d.tn])
	copy(d.tail[keep:], b)
	d.tn = keep + len(b)
}

func (d *download) checkEnd() error {
	le := binary.LittleEndian
	if d.n < int64(len(d.head)) || string(d.head[:4]) != "KDMV" || le.Uint32(d.head[8:])&(1<<17) == 0 {
		return nil // not a sparse VMDK with markers: nothing to check
	}
	t := d.tail[:d.tn]
	truncated := len(t) < len(d.tail) || !bytes.Equal(t[1024:], make([]byte, 512)) // end-of-stream marker
	if le.Uint64(d.head[56:]) == ^uint64(0) {                                      // grain directory at the end: a footer precedes the marker
		truncated = truncated || string(t[512:516]) != "KDMV" || le.Uint32(t[12:]) != 3
	}
	if truncated {
		return fmt.Errorf("download %s: the VMDK stream ended after %d bytes without its footer and end-of-stream marker: truncated", d.path, d.n)
	}
	return nil
}

func (d *download) Close() error {
	d.stop()
	return d.body.Close()
}

// keeper renews the lease with HttpNfcLeaseProgress while files are read.
// govmomi's nfc.LeaseUpdater is not used: it follows each item through a
// channel that can be closed only once, which a retried download would
// need twice, and it blocks senders once stopped.
type keeper struct {
	lease *nfc.Lease
	total int64

	mu   sync.Mutex
	read map[string]int64 // bytes of each item's current attempt

	done chan struct{}
	wg   sync.WaitGroup

	renewals atomic.Int64
}

func startKeeper(lease *nfc.Lease, info *nfc.LeaseInfo, every time.Duration, logf func(string, ...any), vm string) *keeper {
	if every <= 0 {
		every = 2 * time.Second
	}
	k := &keeper{lease: lease, read: map[string]int64{}, done: make(chan struct{}), total: info.TotalDiskCapacityInKB * 1024}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		failed := false
		for {
			select {
			case <-k.done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err := lease.Progress(ctx, k.percent())
				cancel()
				if err != nil && !failed {
					logf("%s: renewing the export lease failed: %v", vm, err)
				}
				failed = err != nil
				if err == nil {
					k.renewals.Add(1)
				}
			}
		}
	}()
	return k
}

func (k *keeper) percent() int32 {
	k.mu.Lock()
	var sum int64
	for _, n := range k.read {
		sum += n
	}
	k.mu.Unlock()
	if k.total <= 0 {
		return 0
	}
	// Exported (compressed) bytes fall short of the capacity; never claim 100
	// before Complete.
	return int32(min(99, sum*100/k.total))
}

func (k *keeper) restart(key string) {
	k.mu.Lock()
	k.read[key] = 0
	k.mu.Unlock()
}

func (k *keeper) add(key string, n int64) {
	k.mu.Lock()
	k.read[key] += n
	k.mu.Unlock()
}

func (k *keeper) stop() {
	close(k.done)
	k.wg.Wait()
}
