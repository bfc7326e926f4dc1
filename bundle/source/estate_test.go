package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// listed is a source that lists names and hands over the VMs seqs says.
type listed struct {
	name  string
	names []string
	seqs  []int
}

func (l *listed) String() string  { return l.name }
func (l *listed) Names() []string { return l.names }
func (l *listed) Export(ctx context.Context, slots Slots, fn func(context.Context, *VM) error) error {
	return Each(ctx, len(l.seqs), slots, func(ctx context.Context, i int) error {
		return fn(ctx, &VM{Seq: l.seqs[i], Name: fmt.Sprint("vm", l.seqs[i])})
	})
}

func TestFoldersAreUniqueAcrossSourcesInSourceOrder(t *testing.T) {
	got := Folders([]Source{&listed{names: []string{"web", "Web Server", "web"}}, &listed{names: []string{"web", "db"}}})
	want := [][]string{{"web", "Web_Server", "web-2"}, {"web-3", "db"}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("source %d: folders %v, want %v", i, got[i], want[i])
		}
	}
}

func TestExportAllRefusesASourceThatHandsOverWhatItDidNotList(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []int
		want string
	}{
		{"all", []int{0, 1, 2}, ""},
		{"one missing", []int{0, 2}, "3 VMs were found but only 2 handed over"},
		{"out of range", []int{0, 1, 2, 3}, `handed over VM "vm3" as number 3 of the 3 it listed`},
		{"twice", []int{0, 1, 1, 2}, `handed over VM "vm1" as number 1 of the 3 it listed, or twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srcs := []Source{&listed{name: "s", names: []string{"a", "b", "c"}, seqs: tc.seqs}}
			var mu sync.Mutex
			var got []string
			errs := ExportAll(context.Background(), srcs, Folders(srcs), 1, func(ctx context.Context, slot Slot, vm *VM) error {
				mu.Lock()
				got = append(got, slot.Folder)
				mu.Unlock()
				return nil
			})
			if tc.want == "" {
				if len(errs) != 0 || !slices.Equal(got, []string{"a", "b", "c"}) {
					t.Fatalf("errs %v, folders %v", errs, got)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("errs %v, want one saying %q", errs, tc.want)
			}
		})
	}
}

// --jobs bounds the VMs in flight across all sources, not per source: with
// several vSphere sources each VM in flight holds a lease (and a snapshot
// of a running VM).
func TestExportAllSharesItsSlotsAmongTheSources(t *testing.T) {
	srcs := []Source{
		&listed{name: "a", names: []string{"a1", "a2", "a3"}, seqs: []int{0, 1, 2}},
		&listed{name: "b", names: []string{"b1", "b2", "b3"}, seqs: []int{0, 1, 2}},
		&listed{name: "c", names: []string{"c1", "c2", "c3"}, seqs: []int{0, 1, 2}},
	}
	// Each call lingers until a third runs beside it (which must not
	// happen) or a moment passes; a slow machine can only hide a third.
	var mu sync.Mutex
	running, peak := 0, 0
	third := make(chan struct{})
	var once sync.Once
	errs := ExportAll(context.Background(), srcs, Folders(srcs), 2, func(ctx context.Context, slot Slot, vm *VM) error {
		mu.Lock()
		running++
		peak = max(peak, running)
		if running > 2 {
			once.Do(func() { close(third) })
		}
		mu.Unlock()
		select {
		case <-third:
		case <-time.After(100 * time.Millisecond):
		}
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if peak != 2 {
		t.Errorf("%d VMs of 3 sources were exported at once; jobs 2 bounds them all", peak)
	}
}
