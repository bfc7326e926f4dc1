package source

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gate lets the calls of Each that enter it go once need of them run at
// once, so a test sees the bound reached without measuring time. A call
// that would wait longer than a minute fails the test instead of hanging.
type gate struct {
	mu      sync.Mutex
	running int
	peak    int
	need    int
	open    chan struct{}
	once    sync.Once
}

func newGate(need int) *gate { return &gate{need: need, open: make(chan struct{})} }

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) enter(t *testing.T) {
	g.mu.Lock()
	g.running++
	g.peak = max(g.peak, g.running)
	if g.running == g.need {
		g.release()
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(time.Minute):
		t.Error("the calls never ran at once: Each does not run them in parallel")
	}
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
}

func TestEachRunsUpToJobsCallsAtOnceAndEveryOneOnce(t *testing.T) {
	for _, tc := range []struct{ n, jobs int }{{8, 1}, {8, 3}, {8, 8}, {3, 8}, {0, 2}} {
		g := newGate(min(tc.n, tc.jobs))

		var calls [8]atomic.Int32
		err := Each(context.Background(), tc.n, NewSlots(tc.jobs), func(ctx context.Context, i int) error {
			calls[i].Add(1)
			g.enter(t)
			return nil
		})
		if err != nil {
			t.Fatalf("n=%d jobs=%d: %v", tc.n, tc.jobs, err)
		}
		for i := 0; i < tc.n; i++ {
			if c := calls[i].Load(); c != 1 {
				t.Errorf("n=%d jobs=%d: call %d ran %d times", tc.n, tc.jobs, i, c)
			}
		}
		if g.peak > tc.jobs {
			t.Errorf("n=%d jobs=%d: %d calls ran at once", tc.n, tc.jobs, g.peak)
		}
	}
}

func TestEachStartsNoMoreCallsAfterAFailureOrCancellation(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	err := Each(context.Background(), 100, NewSlots(1), func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if n := started.Load(); n != 3 {
		t.Errorf("%d calls started after a failure at the third, want 3", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	started.Store(0)
	err = Each(ctx, 100, NewSlots(1), func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 4 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := started.Load(); n != 5 {
		t.Errorf("%d calls started after cancelling in the fifth, want 5", n)
	}
}
