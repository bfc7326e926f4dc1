// Package progress reports create's progress: bytes, rate and ETA per
// file and in total. Call New with the writer (stderr) and whether it is a
// terminal; then Plan every file's size as soon as it is known, Begin,
// Add and End each transfer, and Close at the end.
//
// On a terminal, github.com/vbauerster/mpb draws one line per active file
// and a total line below them, redrawn in place and never wider than the
// terminal; messages (Line) print above them. Elsewhere (CI, logs) it
// prints a line per finished file and a summary every five seconds, so a
// log stays readable.
package progress

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// nameWidth is the most a file's name takes on a terminal line; longer
// names are cut in the middle.
const nameWidth = 28

// Meter is one create's progress.
type Meter struct {
	w     io.Writer
	width int // of the terminal; 0: not one
	start time.Time

	mu      sync.Mutex
	active  map[*File]bool
	planned int64 // sum of the known sizes of every file planned so far
	files   int   // finished files
	done    atomic.Int64

	// a terminal
	bars  *mpb.Progress
	total *mpb.Bar

	// plain lines
	stop chan struct{}
	wg   sync.WaitGroup
}

// File is one file's transfer.
type File struct {
	name  string
	size  int64 // -1: unknown
	n     atomic.Int64
	start atomic.Int64 // UnixNano; reset by Restart while a ticker reads it
	bar   *mpb.Bar
}

// New returns a meter writing to w; nil w makes it quiet. width is the
// terminal's width when w is one (0 otherwise; see Width).
func New(w io.Writer, width int) *Meter {
	m := &Meter{w: w, width: width, start: time.Now(), active: map[*File]bool{}, stop: make(chan struct{})}
	switch {
	case w == nil:
	case width > 0:
		m.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(width), mpb.WithRefreshRate(250*time.Millisecond), mpb.ForceTTY(), mpb.WithAutoRefresh())
		m.total = m.bars.New(0, mpb.NopStyle(), mpb.BarPriority(1<<30),
			mpb.PrependDecorators(decor.Name("total "), decor.Any(func(decor.Statistics) string { return m.totalText() })))
	default:
		m.wg.Add(1)
		go m.tick(5 * time.Second)
	}
	return m
}

// TerminalWidth is the width progress may use on w: 0 (plain lines) unless
// the caller says w is a terminal, else its width, or 80 where it cannot
// be told.
func TerminalWidth(w io.Writer, terminal bool) int {
	if !terminal || w == nil {
		return 0
	}
	if n := Width(w); n > 0 {
		return n
	}
	return 80
}

// Width is the width of w when it is a terminal, else 0.
func Width(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		return 80
	}
	return width
}

func (m *Meter) tick(interval time.Duration) {
	defer m.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.summary()
		}
	}
}

// Close stops redrawing and leaves the terminal clean.
func (m *Meter) Close() {
	close(m.stop)
	m.wg.Wait()
	if m.bars != nil {
		m.total.SetTotal(-1, true)
		m.mu.Lock()
		for f := range m.active {
			f.bar.Abort(true)
		}
		m.mu.Unlock()
		m.bars.Wait()
	}
}

// Plan adds a file that will be transferred, so that the total and its ETA
// cover every file planned, not only those started.
func (m *Meter) Plan(size int64) {
	if size <= 0 {
		return
	}
	m.mu.Lock()
	m.planned += size
	m.mu.Unlock()
}

// Begin starts a file's transfer.
func (m *Meter) Begin(name string, size int64) *File {
	f := &File{name: name, size: size}
	f.start.Store(time.Now().UnixNano())
	m.mu.Lock()
	m.active[f] = true
	m.mu.Unlock()
	if m.bars != nil {
		total := max(size, 0)
		f.bar = m.bars.New(total, mpb.NopStyle(), mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(clipMiddle(name, nameWidth), decor.WC{W: nameWidth + 1, C: decor.DindentRight}),
				decor.Any(func(decor.Statistics) string { return f.status(false) })))
	}
	return f
}

// Add counts n bytes of f read.
func (m *Meter) Add(f *File, n int64) {
	f.n.Add(n)
	m.done.Add(n)
	if f.bar != nil {
		f.bar.IncrInt64(n)
	}
}

// Restart forgets what a retried file had read.
func (m *Meter) Restart(f *File) {
	m.done.Add(-f.n.Swap(0))
	f.start.Store(time.Now().UnixNano())
	if f.bar != nil {
		f.bar.SetCurrent(0)
	}
}

// Skip counts a file kept from an earlier run.
func (m *Meter) Skip(name string, size int64) {
	m.done.Add(size)
	m.mu.Lock()
	m.files++
	m.mu.Unlock()
	m.Line("kept %s (%s, checked)", name, manifest.HumanBytes(size))
}

// End finishes a file's transfer; err says it failed.
func (m *Meter) End(f *File, err error) {
	m.mu.Lock()
	delete(m.active, f)
	if err == nil {
		m.files++
	}
	m.mu.Unlock()
	if f.bar != nil {
		f.bar.Abort(true)
	}
	if err != nil {
		return
	}
	d := f.elapsed()
	m.Line("done %s (%s in %s, %s)", f.name, manifest.HumanBytes(f.n.Load()), d.Round(100*time.Millisecond), rate(f.n.Load(), d))
}

// Line prints a message on a line of its own, above the bars.
func (m *Meter) Line(format string, args ...any) {
	if m.w == nil {
		return
	}
	s := fmt.Sprintf(format+"\n", args...)
	if m.bars != nil {
		// Kept to one terminal line, so the bars below stay in place; the
		// full text of an error is in what Create returns.
		s = manifest.Clip(strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", " "), m.width) + "\n"
		m.bars.Write([]byte(s))
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	io.WriteString(m.w, s)
}

func (m *Meter) totalText() string {
	m.mu.Lock()
	planned := m.planned
	m.mu.Unlock()
	done := m.done.Load()
	elapsed := time.Since(m.start)
	s := manifest.HumanBytes(done)
	if planned > 0 {
		s += " of " + manifest.HumanBytes(planned)
	}
	s += ", " + rate(done, elapsed)
	if e := eta(done, planned, elapsed); e != "" {
		s += ", ETA " + e
	}
	return s
}

// summary prints the active files and the total, for logs.
func (m *Meter) summary() {
	m.mu.Lock()
	files := make([]*File, 0, len(m.active))
	for f := range m.active {
		files = append(files, f)
	}
	n := m.files
	m.mu.Unlock()
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var b []byte
	for _, f := range files {
		b = fmt.Appendf(b, "  %s\n", f.status(true))
	}
	b = fmt.Appendf(b, "total %s (%d files done)\n", m.totalText(), n)
	m.mu.Lock()
	m.w.Write(b)
	m.mu.Unlock()
}

func (f *File) elapsed() time.Duration { return time.Since(time.Unix(0, f.start.Load())) }

func (f *File) status(withName bool) string {
	n := f.n.Load()
	d := f.elapsed()
	s := manifest.HumanBytes(n)
	if withName {
		s = f.name + " " + s
	}
	if f.size >= 0 {
		s += "/" + manifest.HumanBytes(f.size)
	}
	s += " " + rate(n, d)
	if e := eta(n, f.size, d); e != "" {
		s += " ETA " + e
	}
	return s
}

// rate is in MiB/s, the family of manifest.HumanBytes, so that a size and
// the rate beside it can be compared at a glance.
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- MiB/s"
	}
	return fmt.Sprintf("%.0f MiB/s", float64(n)/d.Seconds()/(1<<20))
}

func eta(n, size int64, d time.Duration) string {
	if size <= 0 || n <= 0 || n >= size || d <= 0 {
		return ""
	}
	left := time.Duration(float64(d) * float64(size-n) / float64(n)).Round(time.Second)
	h, mi, s := int(left.Hours()), int(left.Minutes())%60, int(left.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, mi, s)
	}
	return fmt.Sprintf("%d:%02d", mi, s)
}

// clipMiddle cuts s to n runes, keeping its start and end (a file's VM and
// extension), never inside a UTF-8 sequence.
func clipMiddle(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
