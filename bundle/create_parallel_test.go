package bundle

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// singleDiskVMs is a source of VMs with one small real VMDK each.
func singleDiskVMs(t *testing.T, dir, name string, vms ...string) *crSource {
	t.Helper()
	src := &crSource{name: name}
	for i, vm := range vms {
		p := filepath.Join(dir, name+"-"+SanitizeName(vm)+".vmdk")
		crDisk(t, p, 1<<20, uint64(100+i))
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		src.vms = append(src.vms, &crVM{
			name:  vm,
			desc:  crDescriptor(vm, []string{"disk.vmdk"}, []int64{fi.Size()}, 1<<20, ""),
			files: []*crFile{{href: "disk.vmdk", path: p, size: fi.Size()}},
		})
	}
	return src
}

// inFlight counts the files being read at once. Each reader waits at its
// first read until need of them are open together (or a minute passes,
// which fails the test: the files were not read in parallel), so the
// test sees the bound reached without measuring time.
type inFlight struct {
	t    *testing.T
	mu   sync.Mutex
	now  int
	peak int
	need int
	all  chan struct{}
	once sync.Once
}

func (f *inFlight) wrap(n int, r io.Reader) io.Reader { return &flightReader{f: f, r: r} }

type flightReader struct {
	f       *inFlight
	r       io.Reader
	entered bool
	left    bool
}

func (fr *flightReader) Read(p []byte) (int, error) {
	f := fr.f
	if !fr.entered {
		fr.entered = true
		f.mu.Lock()
		f.now++
		f.peak = max(f.peak, f.now)
		if f.now >= f.need {
			f.once.Do(func() { close(f.all) })
		}
		f.mu.Unlock()
		select {
		case <-f.all:
		case <-time.After(time.Minute):
			f.t.Errorf("never %d files read at once: VMs are not exported in parallel", f.need)
		}
	}
	n, err := fr.r.Read(p)
	if err != nil && !fr.left {
		fr.left = true
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	}
	return n, err
}

func TestCreateReadsTheFilesOfSeveralVMsAtOnceNeverMoreThanJobs(t *testing.T) {
	dir := t.TempDir()
	src := singleDiskVMs(t, dir, "estate", "vm1", "vm2", "vm3", "vm4", "vm5", "vm6")
	flight := &inFlight{t: t, need: 3, all: make(chan struct{})}
	for _, vm := range src.vms {
		vm.files[0].wrap = flight.wrap
	}
	opts := CreateOptions{Sources: []Source{src}, Out: filepath.Join(dir, "b"), Signer: testSigner(t), Jobs: 3}
	m, err := testCreate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if flight.peak > opts.Jobs {
		t.Errorf("%d files were read at once; --jobs %d bounds them", flight.peak, opts.Jobs)
	}
	var names []string
	for _, vm := range m.VMs {
		names = append(names, vm.Name)
	}
	if got, want := names, []string{"vm1", "vm2", "vm3", "vm4", "vm5", "vm6"}; !slices.Equal(got, want) {
		t.Errorf("manifest lists VMs %v, want the source's order %v", got, want)
	}
	if _, err := Verify(context.Background(), opts.Out, VerifyOptions{Signer: opts.Signer.PublicKey()}); err != nil {
		t.Fatal(err)
	}
}

func TestVMFoldersAreNamedInSourceOrderWhicheverVMFinishesFirst(t *testing.T) {
	dir := t.TempDir()
	a := singleDiskVMs(t, dir, "a", "web", "db")
	b := singleDiskVMs(t, dir, "b", "web")
	// a's web is held back until b's web has been read whole: b's web
	// finishes first, and must still be web-2.
	bDone := make(chan struct{})
	b.vms[0].files[0].wrap = func(_ int, r io.Reader) io.Reader { return &eofSignal{r: r, done: bDone} }
	a.vms[0].files[0].wrap = func(_ int, r io.Reader) io.Reader { return &waitFirst{t: t, r: r, wait: bDone} }
	opts := CreateOptions{Sources: []Source{a, b}, Out: filepath.Join(dir, "b"), Signer: testSigner(t), Jobs: 2}
	m, err := testCreate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var order []string
	for _, vm := range m.VMs {
		got[vm.Name] = vm.Origin
		order = append(order, vm.Name)
	}
	if got["web"] != "test:a/web" || got["web-2"] != "test:b/web" || !slices.Equal(order, []string{"web", "db", "web-2"}) {
		t.Errorf("VMs %v with origins %v; want web (a), db (a), web-2 (b)", order, got)
	}
}

type eofSignal struct {
	r    io.Reader
	done chan struct{}
	once sync.Once
}

func (e *eofSignal) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.once.Do(func() { close(e.done) })
	}
	return n, err
}

type waitFirst struct {
	t      *testing.T
	r      io.Reader
	wait   chan struct{}
	waited bool
}

func (w *waitFirst) Read(p []byte) (int, error) {
	if !w.waited {
		w.waited = true
		select {
		case <-w.wait:
		case <-time.After(time.Minute):
			w.t.Error("the other source's VM was never read while this one waited: sources are not exported at once")
		}
	}
	return w.r.Read(p)
}
