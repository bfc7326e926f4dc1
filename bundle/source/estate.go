package source

import (
	"context"
	"fmt"
	"sync"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// A Slot is where one VM of several sources goes: its source (an index
// into the sources), its index in that source's Names, and its folder
// name, unique across all of them.
type Slot struct {
	Source, Seq int
	Folder      string
}

// Folders names the folder of every VM of the sources, by source and
// Seq: each VM's proposed name mapped to [A-Za-z0-9._-] and made unique
// in source order. Naming them all before anything is exported makes
// the names those of an earlier run of the same command whichever VM
// finishes first, which is what resuming relies on.
func Folders(sources []Source) [][]string {
	taken := map[string]bool{}
	out := make([][]string, len(sources))
	for i, src := range sources {
		for _, n := range src.Names() {
			out[i] = append(out[i], manifest.UniqueName(manifest.SanitizeName(n), taken))
		}
	}
	return out
}

// ExportAll exports every source at once, with up to jobs VMs at once
// across all of them (one Slots shared by every source), calling fn with each VM's slot in folders (from Folders). It
// returns what went wrong with the sources themselves: an Export error, a
// VM handed over that the source did not list (or twice), or fewer VMs
// handed over than listed, which would leave the bundle without them.
// After cancellation it returns nothing: the caller reports ctx.Err().
func ExportAll(ctx context.Context, sources []Source, folders [][]string, jobs int, fn func(ctx context.Context, slot Slot, vm *VM) error) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	slots := NewSlots(jobs)
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handed := make([]bool, len(folders[i]))
			n := 0
			err := src.Export(ctx, slots, func(ctx context.Context, vm *VM) error {
				mu.Lock()
				bad := vm.Seq < 0 || vm.Seq >= len(handed) || handed[vm.Seq]
				if !bad {
					handed[vm.Seq] = true
					n++
				}
				mu.Unlock()
				if bad {
					fail(fmt.Errorf("source %s handed over VM %q as number %d of the %d it listed, or twice", src, vm.Name, vm.Seq, len(handed)))
					return nil
				}
				return fn(ctx, Slot{Source: i, Seq: vm.Seq, Folder: folders[i][vm.Seq]}, vm)
			})
			mu.Lock()
			got := n
			mu.Unlock()
			switch {
			case ctx.Err() != nil:
			case err != nil:
				fail(fmt.Errorf("source %s: %w", src, err))
			case got < len(handed):
				fail(fmt.Errorf("source %s: %d VMs were found but only %d handed over; the bundle would lack the others", src, len(handed), got))
			}
		}()
	}
	wg.Wait()
	return errs
}
