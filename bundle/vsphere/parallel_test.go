package vsphere_test

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/internal/vcsimx"
)

func TestExportDownloadsSeveralVMsAtOnceBoundedPerHost(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "p", 1<<20, 21)
	for _, name := range []string{"p1", "p2", "p3", "p4"} {
		addVM(t, lab, vcsimx.VMSpec{Name: name, Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	}
	opts := options(lab)
	opts.HostDownloads = 2
	src := open(t, lab, "vm=p*", opts)
	names := src.Names()

	var (
		mu         sync.Mutex
		open, peak int
		seqs       = map[int]string{}
	)
	two := make(chan struct{})
	var once sync.Once
	err := src.Export(context.Background(), source.NewSlots(4), func(ctx context.Context, vm *bundle.SourceVM) error {
		mu.Lock()
		seqs[vm.Seq] = vm.Name
		mu.Unlock()
		rc, err := vm.Files[0].Open(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		mu.Lock()
		open++
		peak = max(peak, open)
		if open == 2 {
			once.Do(func() { close(two) })
		}
		mu.Unlock()
		select {
		case <-two:
		case <-time.After(time.Minute):
			t.Error("never two downloads at once: VMs are not exported in parallel")
		}
		_, err = io.Copy(io.Discard, rc)
		mu.Lock()
		open--
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak != 2 {
		t.Errorf("%d downloads ran at once against one host, want HostDownloads = 2", peak)
	}
	for i, n := range names {
		if seqs[i] != n {
			t.Errorf("VM %d of Names is %q but was handed over as %q", i, n, seqs[i])
		}
	}
	if len(seqs) != 4 || lab.Calls("HttpNfcLeaseComplete") != 4 {
		t.Errorf("%d VMs handed over, %d leases completed; want 4 each", len(seqs), lab.Calls("HttpNfcLeaseComplete"))
	}
}
