package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// ErrNoVMs means the selectors matched no virtual machine.
var ErrNoVMs = errors.New("no virtual machine matches")

// selected is one VM chosen for export.
type selected struct {
	ref  types.ManagedObjectReference
	name string
	path string // inventory path, e.g. /DC0/vm/Acme/web
}

// selectVMs resolves the target's selectors to VMs, sorted by inventory
// path so that every run exports in the same order.
func selectVMs(ctx context.Context, c *vim25.Client, t *Target, password func() (string, error)) ([]selected, error) {
	finder := find.NewFinder(c, false)
	var dc *object.Datacenter
	var err error
	if t.Datacenter != "" {
		dc, err = finder.Datacenter(ctx, t.Datacenter)
	} else {
		dc, err = finder.DefaultDatacenter(ctx)
	}
	if err != nil {
		if t.Datacenter == "" {
			return nil, fmt.Errorf("choose the datacenter: %w; add datacenter=NAME to the source URL", err)
		}
		return nil, fmt.Errorf("datacenter %q: %w", t.Datacenter, err)
	}
	finder.SetDatacenter(dc)

	var sets []map[types.ManagedObjectReference]bool
	add := func(what string, vms []*object.VirtualMachine, err error) error {
		var nf *find.NotFoundError
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(sets) == 0 || sets[len(sets)-1] == nil {
			sets = append(sets, map[types.ManagedObjectReference]bool{})
		}
		for _, vm := range vms {
			sets[len(sets)-1][vm.Reference()] = true
		}
		return nil
	}
	next := func() { sets = append(sets, nil) }

	for _, p := range t.VMs {
		vms, err := finder.VirtualMachineList(ctx, p)
		if err := add("vm="+p, vms, err); err != nil {
			return nil, err
		}
	}
	if len(t.VMs) > 0 {
		next()
	}
	for _, p := range t.Folders {
		fp := p
		if !strings.HasPrefix(fp, "/") {
			fp = path.Join(dc.InventoryPath, "vm", fp) // relative to the VM folder, as vm= is
		}
		folders, err := finder.FolderList(ctx, fp)
		var nf *find.NotFoundError
		if err != nil && !errors.As(err, &nf) {
			return nil, fmt.Errorf("folder=%s: %w", p, err)
		}
		for _, f := range folders {
			vms, err := finder.VirtualMachineList(ctx, path.Join(f.InventoryPath, "..."))
			if err := add("folder="+p, vms, err); err != nil {
				return nil, err
			}
		}
		if err := add("folder="+p, nil, nil); err != nil {
			return nil, err
		}
	}
	if len(t.Folders) > 0 {
		next()
	}
	for _, p := range t.Pools {
		pools, err := finder.ResourcePoolList(ctx, p)
		var nf *find.NotFoundError
		if err != nil && !errors.As(err, &nf) {
			return nil, fmt.Errorf("pool=%s: %w", p, err)
		}
		var vms []*object.VirtualMachine
		for _, rp := range pools {
			refs, err := poolVMs(ctx, c, rp.Reference())
			if err != nil {
				return nil, fmt.Errorf("pool=%s: %w", p, err)
			}
			for _, r := range refs {
				vms = append(vms, object.NewVirtualMachine(c, r))
			}
		}
		if err := add("pool="+p, vms, nil); err != nil {
			return nil, err
		}
	}
	if len(t.Pools) > 0 {
		next()
	}
	if len(t.Tags) > 0 {
		refs, err := taggedVMs(ctx, c, t, password)
		if err != nil {
			return nil, err
		}
		var vms []*object.VirtualMachine
		for _, r := range refs {
			vms = append(vms, object.NewVirtualMachine(c, r))
		}
		if err := add("tag", vms, nil); err != nil {
			return nil, err
		}
	}

	// Intersect the kinds of selector.
	var chosen map[types.ManagedObjectReference]bool
	for _, s := range sets {
		if s == nil {
			continue
		}
		if chosen == nil {
			chosen = s
			continue
		}
		for r := range chosen {
			if !s[r] {
				delete(chosen, r)
			}
		}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("%s in %s: %w; list the inventory with `govc find / -type m`", t, dc.InventoryPath, ErrNoVMs)
	}

	refs := make([]types.ManagedObjectReference, 0, len(chosen))
	for r := range chosen {
		refs = append(refs, r)
	}
	var mos []mo.VirtualMachine
	pc := property.DefaultCollector(c)
	if err := pc.Retrieve(ctx, refs, []string{"name"}, &mos); err != nil {
		return nil, fmt.Errorf("read VM names: %w", err)
	}
	out := make([]selected, 0, len(mos))
	for _, m := range mos {
		p, err := find.InventoryPath(ctx, c, m.Self)
		if err != nil {
			p = dc.InventoryPath + "/vm/" + m.Name
		}
		out = append(out, selected{ref: m.Self, name: m.Name, path: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// poolVMs lists the VMs of a resource pool and of the pools below it.
func poolVMs(ctx context.Context, c *vim25.Client, pool types.ManagedObjectReference) ([]types.ManagedObjectReference, error) {
	var rp mo.ResourcePool
	pc := property.DefaultCollector(c)
	if err := pc.RetrieveOne(ctx, pool, []string{"vm", "resourcePool"}, &rp); err != nil {
		return nil, err
	}
	vms := rp.Vm
	for _, child := range rp.ResourcePool {
		more, err := poolVMs(ctx, c, child)
		if err != nil {
			return nil, err
		}
		vms = append(vms, more...)
	}
	return vms, nil
}

// taggedVMs lists the VMs that carry any of the target's tags, through
// the vAPI endpoint (tags live there, not in the SOAP API).
func taggedVMs(ctx context.Context, c *vim25.Client, t *Target, password func() (string, error)) ([]types.ManagedObjectReference, error) {
	rc := rest.NewClient(c)
	pass, err := password()
	if err != nil {
		return nil, err
	}
	if err := rc.Login(ctx, url.UserPassword(t.User, pass)); err != nil {
		return nil, fmt.Errorf("tag selection: log in to the vAPI endpoint of %s: %w", t.Host, err)
	}
	defer func() { _ = rc.Logout(context.WithoutCancel(ctx)) }()
	m := tags.NewManager(rc)
	var out []types.ManagedObjectReference
	for _, tag := range t.Tags {
		tg, err := m.GetTagForCategory(ctx, tag.Name, tag.Category)
		if err != nil {
			return nil, fmt.Errorf("tag=%s: %w", tag, err)
		}
		objs, err := m.ListAttachedObjects(ctx, tg.ID)
		if err != nil {
			return nil, fmt.Errorf("tag=%s: list tagged objects: %w", tag, err)
		}
		for _, o := range objs {
			if r := o.Reference(); r.Type == "VirtualMachine" {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// String for messages: the inventory path, shortened.
func (s selected) String() string { return strings.TrimPrefix(s.path, "/") }
