package bundle

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports bytes, rate and ETA per file and in total. On a
// terminal it redraws one line in place four times a second; elsewhere
// (CI, logs) it prints a line per finished file and a summary every five
// seconds, so a log stays readable.
type progress struct {
	w     io.Writer
	term  bool
	start time.Time

	mu      sync.Mutex
	active  map[*fileProgress]bool
	planned int64 // sum of the known sizes of files seen so far
	done    atomic.Int64
	files   int // finished files
	width   int // of the last terminal line, to clear it

	stop chan struct{}
	wg   sync.WaitGroup
}

type fileProgress struct {
	name  string
	size  int64 // -1: unknown
	n     atomic.Int64
	start time.Time
}

func newProgress(w io.Writer, term bool) *progress {
	p := &progress{w: w, term: term, start: time.Now(), active: map[*fileProgress]bool{}, stop: make(chan struct{})}
	if w == nil {
		return p
	}
	interval := 5 * time.Second
	if term {
		interval = 250 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) close() {
	close(p.stop)
	p.wg.Wait()
	if p.w != nil && p.term && p.width > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) plan(size int64) {
	if size > 0 {
		p.mu.Lock()
		p.planned += size
		p.mu.Unlock()
	}
}

func (p *progress) begin(name string, size int64) *fileProgress {
	f := &fileProgress{name: name, size: size, start: time.Now()}
	p.mu.Lock()
	p.active[f] = true
	p.mu.Unlock()
	return f
}

func (p *progress) add(f *fileProgress, n int64) {
	f.n.Add(n)
	p.done.Add(n)
}

// restart forgets what a retried file had read.
func (p *progress) restart(f *fileProgress) {
	p.done.Add(-f.n.Swap(0))
	f.start = time.Now()
}

// skip counts a file kept from an earlier run.
func (p *progress) skip(name string, size int64) {
	p.done.Add(size)
	p.mu.Lock()
	p.files++
	p.mu.Unlock()
	p.line("kept %s (%s, checked)", name, humanBytes(size))
}

func (p *progress) end(f *fileProgress, err error) {
	p.mu.Lock()
	delete(p.active, f)
	if err == nil {
		p.files++
	}
	p.mu.Unlock()
	if err != nil {
		return
	}
	d := time.Since(f.start)
	p.line("done %s (%s in %s, %s)", f.name, humanBytes(f.n.Load()), d.Round(100*time.Millisecond), rate(f.n.Load(), d))
}

// line prints a message on a line of its own, above the redrawn status.
func (p *progress) line(format string, args ...any) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.term && p.width > 0 {
		fmt.Fprint(p.w, "\r\033[K")
		p.width = 0
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	files := make([]*fileProgress, 0, len(p.active))
	for f := range p.active {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	done := p.done.Load()
	elapsed := time.Since(p.start)
	total := fmt.Sprintf("total %s", humanBytes(done))
	if p.planned > 0 {
		total += " of " + humanBytes(p.planned)
	}
	total += ", " + rate(done, elapsed)
	if eta := eta(done, p.planned, elapsed); eta != "" {
		total += ", ETA " + eta
	}
	if p.term {
		var parts []string
		for _, f := range files {
			parts = append(parts, f.status())
		}
		parts = append(parts, total)
		s := strings.Join(parts, " | ")
		fmt.Fprint(p.w, "\r\033[K"+s)
		p.width = len(s)
		return
	}
	for _, f := range files {
		fmt.Fprintf(p.w, "  %s\n", f.status())
	}
	fmt.Fprintf(p.w, "%s (%d files done)\n", total, p.files)
}

func (f *fileProgress) status() string {
	n := f.n.Load()
	d := time.Since(f.start)
	s := f.name + " " + humanBytes(n)
	if f.size >= 0 {
		s += "/" + humanBytes(f.size)
	}
	s += " " + rate(n, d)
	if e := eta(n, f.size, d); e != "" {
		s += " ETA " + e
	}
	return s
}

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- MB/s"
	}
	return fmt.Sprintf("%.0f MB/s", float64(n)/d.Seconds()/1e6)
}

func eta(n, size int64, d time.Duration) string {
	if size <= 0 || n <= 0 || n >= size || d <= 0 {
		return ""
	}
	left := time.Duration(float64(d) * float64(size-n) / float64(n)).Round(time.Second)
	h, m, s := int(left.Hours()), int(left.Minutes())%60, int(left.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// humanBytes writes n in binary units, as Bag-Size and people expect.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
