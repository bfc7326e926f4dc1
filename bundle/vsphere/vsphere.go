// Package vsphere exports virtual machines straight from vCenter or ESXi
// into an exit bundle, as a bundle.Source.
//
// Call Open with a vsphere:// URL (see ParseURL) and Options carrying the
// password callback; hand the Source to bundle.Create. Open logs in and
// resolves the selectors, so a wrong password, an untrusted certificate or
// a selector that matches nothing fails before anything is written.
//
// For each VM, Export asks vSphere for an NFC export lease (ExportVm for a
// powered-off VM; for a running one, a temporary snapshot and
// ExportSnapshot, the snapshot removed afterwards whatever happens), keeps
// the lease alive with progress reports for as long as the bundle pipeline
// reads, and hands over every file of the lease that belongs to the VM:
// its disks as streamOptimized VMDKs and its NVRAM (without which an EFI
// guest does not boot), CD and floppy images only when asked. Each file is
// an HTTP download that goes straight into the pipeline; a dropped or
// stalled download, or a VMDK stream cut short of its end-of-stream
// marker, is a bundle.Transient error, which create retries from the
// first byte (NFC cannot resume).
//
// The OVF descriptor comes from vCenter's OvfManager, with the networks
// named as people know them rather than by port-group key. File sizes are
// left at 0: NFC does not know them before the transfer, and create writes
// the measured sizes into the descriptor it stores.
//
// The faults of `govc export.ovf` this avoids are listed in the project's
// bundle-formats reference: capacity written as file size, no retry,
// NVRAM dropped, port-group ids as network names, ISOs breaking the export.
package vsphere

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/source"
)

// Options configure a vSphere source.
type Options struct {
	// Password returns the password of the URL's user. It is called at
	// most once per Open. The command reads EXITBUNDLE_VSPHERE_PASSWORD
	// or prompts on the terminal; the password is never in the URL.
	Password func() (string, error)

	// Thumbprint pins the server's certificate: its SHA-256 (or SHA-1)
	// fingerprint, with or without colons. The certificate must then match
	// even where a system root would trust it.
	Thumbprint string

	// Insecure skips certificate verification. Only for labs.
	Insecure bool

	// IncludeImages also exports CD and floppy images (.iso, .flp) the VM
	// has attached from a datastore; off by default, since they are often
	// large, shared and not the customer's.
	IncludeImages bool

	// Log receives one line per step (snapshot taken, lease ready,
	// snapshot removed); nil discards them.
	Log io.Writer

	// LeaseInterval is how often the lease is renewed with a progress
	// report; 0 means every 2 seconds, as govc does. Leases expire after
	// a few minutes without one.
	LeaseInterval time.Duration

	// StallTimeout is how long a download may deliver nothing before it
	// is dropped and retried; 0 means DefaultStallTimeout.
	StallTimeout time.Duration

	// HostDownloads bounds the NFC downloads that run at once against one
	// host (the host of the lease's URLs: an ESXi host, or vCenter when it
	// proxies); 0 means DefaultHostDownloads. create's --jobs bounds the
	// downloads of all hosts together.
	HostDownloads int
}

// DefaultHostDownloads is the number of NFC downloads run at once per
// host. An ESXi host shares 48 MB of NFC buffers among all its
// connections and vCenter allows 52 in all (VMware's VDDK guide, "NFC
// Session Limits"); 8 streams stay far below both while keeping a 2-core
// exporter busy.
const DefaultHostDownloads = 8

// Source is a vSphere inventory as a bundle.Source.
type Source struct {
	target *Target
	opts   Options

	mu    sync.Mutex
	c     *vim25.Client
	vms   []selected
	hosts *hostSlots // during Export
}

var _ bundle.Source = (*Source)(nil)

// Open parses rawURL, logs in and resolves which VMs to export.
func Open(ctx context.Context, rawURL string, opts Options) (*Source, error) {
	t, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opts.Password != nil {
		opts.Password = onceString(opts.Password)
	}
	s := &Source{target: t, opts: opts}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Source) connect(ctx context.Context) error {
	c, err := connect(ctx, s.target, &s.opts)
	if err != nil {
		return err
	}
	vms, err := selectVMs(ctx, c, s.target, s.opts.Password)
	if err != nil {
		_ = session.NewManager(c).Logout(context.WithoutCancel(ctx))
		return fmt.Errorf("%s: %w", s.target, err)
	}
	s.c, s.vms = c, vms
	return nil
}

// String names the source without credentials.
func (s *Source) String() string { return s.target.String() }

// Names lists the names of the VMs Export will hand over, in order.
func (s *Source) Names() []string { return s.list(func(v selected) string { return v.name }) }

// VMs lists the inventory paths of the VMs Export will hand over, in order.
func (s *Source) VMs() []string { return s.list(func(v selected) string { return v.path }) }

func (s *Source) list(field func(selected) string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.vms))
	for i, v := range s.vms {
		out[i] = field(v)
	}
	return out
}

// Close logs out. Export logs out by itself when it ends; Close is for a
// Source that was opened and never exported.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	err := session.NewManager(s.c).Logout(context.Background())
	s.c = nil
	return err
}

// Export calls fn for the selected VMs in inventory-path order, as many
// at once as slots allow, each with its own lease (taken only once it
// has its slot); Options.HostDownloads bounds the downloads per host. A VM that fails (its lease, its snapshot, or fn
// after create's retries) is reported and the others still go; the
// errors come back joined, each naming its VM. Cancelling ctx starts no
// more VMs and cleans up the ones under way.
func (s *Source) Export(ctx context.Context, slots source.Slots, fn func(ctx context.Context, vm *bundle.SourceVM) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	defer func() {
		_ = session.NewManager(s.c).Logout(context.WithoutCancel(ctx))
		s.c = nil
	}()
	s.hosts = newHostSlots(s.opts.HostDownloads)
	var (
		mu   sync.Mutex
		errs []error
	)
	_ = source.Each(ctx, len(s.vms), slots, func(ctx context.Context, i int) error {
		vm := s.vms[i]
		err := s.exportVM(ctx, i, vm, fn)
		if err != nil {
			s.logf("%s: failed: %v", vm.name, err)
			mu.Lock()
			errs = append(errs, fmt.Errorf("VM %s: %w", vm, err))
			mu.Unlock()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // the other VMs still go
	})
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("export from %s stopped: %w", s.target.Host, ctx.Err()))
	}
	return errors.Join(errs...)
}

// hostSlots bounds the downloads at once per host.
type hostSlots struct {
	mu    sync.Mutex
	per   int
	slots map[string]chan struct{}
}

func newHostSlots(per int) *hostSlots {
	if per <= 0 {
		per = DefaultHostDownloads
	}
	return &hostSlots{per: per, slots: map[string]chan struct{}{}}
}

// acquire waits for a download slot on host and returns its release.
func (h *hostSlots) acquire(ctx context.Context, host string) (release func(), err error) {
	h.mu.Lock()
	ch, ok := h.slots[host]
	if !ok {
		ch = make(chan struct{}, h.per)
		h.slots[host] = ch
	}
	h.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return sync.OnceFunc(func() { <-ch }), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Source) logf(format string, args ...any) {
	if s.opts.Log != nil {
		fmt.Fprintf(s.opts.Log, "vsphere: "+format+"\n", args...)
	}
}

func onceString(f func() (string, error)) func() (string, error) {
	var once sync.Once
	var v string
	var err error
	return func() (string, error) {
		once.Do(func() { v, err = f() })
		return v, err
	}
}
