package progress

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// syncBuffer is a bytes.Buffer the redrawing goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func TestTerminalLinesNeverExceedTheWidthAndShowEveryActiveFileAndTheTotal(t *testing.T) {
	const width = 60
	var out syncBuffer
	m := New(&out, width)
	m.Plan(300 << 20)
	m.Plan(100 << 20)
	a := m.Begin("web_server/a-disk-with-a-very-long-name-indeed-1.vmdk", 300<<20)
	b := m.Begin("db/db-disk1.vmdk", 100<<20)
	m.Add(a, 30<<20)
	m.Add(b, 50<<20)
	m.Line("kept mail/mail.nvram (1.0 KiB, checked)")
	// Wait for a redraw that shows everything; what is drawn is checked, not when.
	wants := []string{"web_server/a-", "…", "db/db-disk1.vmdk", "total", "of 400.0 MiB", "kept mail/mail.nvram"}
	screen := ""
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if screen = out.String(); containsAll(screen, wants) {
			break
		}
	}
	m.End(b, nil)
	m.End(a, nil)
	m.Close()
	for _, want := range wants {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal shows no %q:\n%s", want, screen)
		}
	}
	for _, line := range regexp.MustCompile(`[\r\n]`).Split(ansi.ReplaceAllString(out.String(), ""), -1) {
		if n := utf8.RuneCountInString(line); n > width {
			t.Errorf("a line of %d columns on a %d-column terminal: %q", n, width, line)
		}
	}
}

func TestPlainLinesSayWhatFinishedAndTheTotal(t *testing.T) {
	var out syncBuffer
	m := New(&out, 0)
	m.Plan(2 << 20)
	f := m.Begin("web/web-disk1.vmdk", 2<<20)
	m.Add(f, 2<<20)
	m.End(f, nil)
	m.summary()
	m.Close()
	got := out.String()
	if strings.Contains(got, "\x1b") || strings.Contains(got, "\r") {
		t.Errorf("escape codes in a log:\n%q", got)
	}
	for _, want := range []string{"done web/web-disk1.vmdk (2.0 MiB", "total 2.0 MiB of 2.0 MiB", "(1 files done)"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
}

func TestPlainLinesOfAFileOfUnknownSizeCountWhatWasRead(t *testing.T) {
	var out syncBuffer
	m := New(&out, 0)
	f := m.Begin("web/disk.vmdk", -1)
	m.Add(f, 10)
	m.summary()
	m.Close()
	if got := out.String(); strings.Contains(got, "\r") || !strings.Contains(got, "total 10 B") || !strings.Contains(got, "web/disk.vmdk 10 B ") {
		t.Errorf("plain progress = %q", got)
	}
}

func TestClipMiddleKeepsBothEndsAndWholeRunes(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"short.vmdk", "short.vmdk"},
		{"vm/äöüäöüäöüäöü-disk.vmdk", "vm/äöüäö…disk.vmdk"},
	} {
		got := clipMiddle(tt.in, 18)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("clipMiddle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestRatesAreInTheUnitsOfTheSizesBesideThem(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		d    time.Duration
		want string
	}{
		{"ten MiB in a second", 10 << 20, time.Second, "10 MiB/s"},
		{"a GiB in four seconds", 1 << 30, 4 * time.Second, "256 MiB/s"},
		{"no time yet has no rate", 1 << 20, 0, "- MiB/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rate(tt.n, tt.d); got != tt.want {
				t.Errorf("rate(%d, %s) = %q, want %q", tt.n, tt.d, got, tt.want)
			}
		})
	}
}
