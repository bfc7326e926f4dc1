// Package source holds what create exports: a Source yields VMs whose
// files are streams. Open reads existing OVF exports (a folder, an .ovf,
// an .ova or another archive) without extracting anything; bundle/vsphere
// is the vCenter source. A new kind of source is one more implementation
// of Source.
package source

import (
	"context"
	"errors"
	"io"
	"sync"
)

// A Source yields the VMs to export. A folder of OVF exports, an OVA and a
// vSphere inventory are Sources; a new kind of source is one more
// implementation.
type Source interface {
	// String names the source for messages. It never holds credentials.
	String() string

	// Names lists the VMs Export hands over, by proposed folder name, in
	// Export's order: VM.Seq is a VM's index in it. Create names every
	// VM's folder from this list before anything is exported, so that a
	// folder's name never depends on which VM was exported first, and
	// refuses to sign a bundle that lacks one of them.
	Names() []string

	// Export calls fn once for each VM, each holding one of slots while it
	// runs, so that VMs go in parallel (fn is safe for concurrent use); it
	// returns when every call has returned.
	// The VM's files can be opened only while its fn runs (a vSphere
	// export lease, say, is released when fn returns). An error from fn
	// stops the export from starting more VMs unless the source chooses to
	// go on with the others; Export then returns all errors joined.
	Export(ctx context.Context, slots Slots, fn func(ctx context.Context, vm *VM) error) error
}

// A Planner is a Source that knows, before it exports anything, how many
// bytes all its VMs' files hold, so that progress and its ETA cover every
// file from the start. Sources that learn sizes only while exporting
// (vSphere) do not implement it; create then adds each file as it is
// planned.
type Planner interface {
	PlannedBytes() int64
}

// VM is one OVF package as a source hands it over.
type VM struct {
	Seq    int    // index in the source's Names
	Name   string // proposed folder name; create maps it to [A-Za-z0-9._-]
	Origin string // recorded in the exit manifest; no credentials

	// Descriptor is the OVF XML. Its References/File hrefs name Files.
	// An ovf:size that is absent or 0 means the source cannot know the
	// size before the transfer (vSphere); create writes the measured size.
	Descriptor []byte

	// Files are the files the descriptor references, in References order,
	// plus any others that belong to the VM (NVRAM).
	Files []File

	// Manifest names the export's own manifest (vm.mf) when it has one:
	// the descriptor was checked against it, and every file is, as it is
	// read (a mismatch fails the read with ErrManifestMismatch). Cert
	// names its certificate (vm.cert), noted but not verified.
	Manifest, Cert string
}

// File is one file of a VM, read as a stream.
type File struct {
	Href string // as the descriptor names it
	Size int64  // bytes, or -1 when unknown before the transfer

	// Stamp identifies this version of the file beyond its name and size
	// (the file's path and modification time, or the archive's), so that a
	// resumed create keeps a stored file only if it came from the same
	// file. "" when the source cannot tell (vSphere).
	Stamp string

	// SHA256 is the plaintext SHA-256 (hex) the export's own manifest
	// lists for the file, or "". The store pipeline hashes every file with
	// SHA-256 anyway, so create compares that hash with this one before it
	// keeps the file, instead of hashing it a second time while reading.
	SHA256 string

	// Open starts a fresh read of the whole file. It may be called again
	// after a Transient error to retry from the first byte.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// ErrTransient marks a read failure worth retrying from the start
// (a dropped download). Test with errors.Is.
var ErrTransient = errors.New("transient")

// Transient wraps err so that create retries the file.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err}
}

type transientError struct{ err error }

func (e *transientError) Error() string   { return e.err.Error() }
func (e *transientError) Unwrap() []error { return []error{e.err, ErrTransient} }

// Slots bounds how many VMs are exported at once: create shares one among
// all its sources, so that --jobs bounds the VMs in flight (and the
// vSphere leases and snapshots they hold) across all of them.
type Slots chan struct{}

// NewSlots returns Slots for n VMs at once (at least one).
func NewSlots(n int) Slots { return make(Slots, max(n, 1)) }

// Each calls fn(i) for every i in [0, n) in order, each holding one of
// slots while it runs, and returns when every call has returned. It starts
// no more calls once ctx is done or a call has failed, and returns the
// failures joined. Sources use it to export their VMs in parallel.
func Each(ctx context.Context, n int, slots Slots, fn func(ctx context.Context, i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(errs) > 0
	}
	for i := 0; i < n; i++ {
		took := false
		select {
		case slots <- struct{}{}:
			took = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil || failed() {
			if took {
				<-slots // slots may be shared: give back what this turn took
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		return err
	}
	return errors.Join(errs...)
}
