package qemu

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// rules classify one line of console, firmware log or screen text; the
// first that matches wins. The messages are those of SeaBIOS, OVMF
// (EDK II), iPXE and common loaders and kernels; final marks the ones after
// which the firmware gives up for good.
var rules = []struct {
	kind  string
	final bool
	re    *regexp.Regexp
}{
	{"no-boot", true, regexp.MustCompile(`No bootable device|No bootable option or device|UEFI Interactive Shell|EFI Internal Shell`)},
	{"no-boot", false, regexp.MustCompile(`Boot failed|BdsDxe: failed to load|could not read the boot disk|not a bootable disk|Missing operating system|Operating System not found|Invalid partition table|No operating system`)},
	{"network-boot", false, regexp.MustCompile(`iPXE|PXE-E\d|Start PXE over|Booting from ROM`)},
	{"os", false, regexp.MustCompile(`Linux version \d|Run /init as init process|systemd\[1\]: |Reached target |^Welcome to .*!$|INIT: version|FreeBSD/\S+ \(|Copyright \(c\) \d+-\d+ The FreeBSD|OpenBSD \d|NetBSD \d|\blogin:( |$)|exitkit demo guest \S.* running`)},
	{"loader", false, regexp.MustCompile(`SYSLINUX \d|ISOLINUX \d|EXTLINUX \d|GNU GRUB|Welcome to GRUB|GRUB loading|Loading Linux|EFI stub: |Windows Boot Manager|BdsDxe: starting Boot|Booting .*Linux`)},
	{"firmware", false, regexp.MustCompile(`SeaBIOS \(version|Booting from (Hard Disk|DVD|Floppy)|BdsDxe: loading Boot|Press ESC in 1 second`)},
}

const (
	maxEvidence  = 40
	maxLineBytes = 300
)

// watcher turns what the VM prints into an outcome, line by line.
type watcher struct {
	expect  *regexp.Regexp
	start   time.Time
	partial map[string]string    // per source: the line not yet ended
	grew    map[string]time.Time // per source: when that line last grew
	judged  map[string]bool      // per source: that line was judged unended
	seen    map[string]bool      // evidence already recorded (source+line)

	outcome  Outcome
	evidence []Evidence
	loader   bool
	os       bool
	marker   bool
	noBoot   bool // any no-boot or network-boot evidence
	final    bool // the firmware gave up
}

func newWatcher(expect *regexp.Regexp, start time.Time) *watcher {
	return &watcher{expect: expect, start: start, partial: map[string]string{}, grew: map[string]time.Time{}, judged: map[string]bool{}, seen: map[string]bool{}, outcome: NoOutput}
}

// promptQuiet is how long a line must stay unended before it is judged
// as it is: a prompt ("login: ", "Shell> ") ends no line and waits, while
// a line the guest is still writing (seen in two reads under load) must
// not be judged by its first half.
const promptQuiet = time.Second

// lines takes more output of a source and classifies its complete lines;
// called with nothing new, it judges a line left unended for promptQuiet.
func (w *watcher) lines(source, text string) {
	if text == "" {
		if s := w.partial[source]; s != "" && !w.judged[source] && time.Since(w.grew[source]) >= promptQuiet {
			w.judged[source] = true
			w.line(source, s)
		}
		return
	}
	s := w.partial[source] + text
	for {
		i := strings.IndexAny(s, "\n")
		if i < 0 {
			break
		}
		w.line(source, s[:i])
		s = s[i+1:]
	}
	if len(s) > 4096 {
		w.line(source, s) // an endless line: judge what there is
		s = ""
	}
	w.partial[source], w.grew[source], w.judged[source] = s, time.Now(), false
}

// screen classifies a whole text screen.
func (w *watcher) screen(text string) {
	for _, l := range strings.Split(text, "\n") {
		w.line("screen", l)
	}
}

// flush classifies the last, unterminated line of each source.
func (w *watcher) flush() {
	for source, s := range w.partial {
		if !w.judged[source] {
			w.line(source, s)
		}
		w.partial[source] = ""
	}
}

func (w *watcher) line(source, raw string) {
	l := strings.TrimSpace(printable(raw))
	if l == "" {
		return
	}
	kind, final := "", false
	if w.expect != nil && w.expect.MatchString(l) {
		kind = "marker"
	} else {
		for _, r := range rules {
			if r.re.MatchString(l) {
				kind, final = r.kind, r.final
				break
			}
		}
	}
	if kind == "" {
		return
	}
	switch kind {
	case "marker":
		w.marker = true
	case "os":
		w.os = true
	case "loader":
		w.loader = true
	case "no-boot", "network-boot":
		w.noBoot = true
		w.final = w.final || final
	}
	key := source + "\x00" + l
	if !w.seen[key] && (len(w.evidence) < maxEvidence || kind != "firmware" && len(w.evidence) < 2*maxEvidence) {
		w.seen[key] = true
		if len(l) > maxLineBytes {
			l = l[:maxLineBytes] + "..."
		}
		w.evidence = append(w.evidence, Evidence{Kind: kind, Source: source, Line: l, After: fmt.Sprintf("%.1fs", time.Since(w.start).Seconds())})
	}
	w.outcome = w.best()
}

func (w *watcher) best() Outcome {
	switch {
	case w.marker:
		return MarkerSeen
	case w.os:
		return OSRunning
	case w.loader:
		return LoaderReached
	case w.noBoot:
		return NoBootableDisk
	}
	return NoOutput
}

// decided says the boot needs watching no longer: the marker appeared,
// the OS runs and no marker is asked for, or the firmware gave up without
// any loader having run.
func (w *watcher) decided() bool {
	switch {
	case w.marker:
		return true
	case w.os && w.expect == nil:
		return true
	case w.final && !w.loader && !w.os:
		return true
	}
	return false
}

var ansi = regexp.MustCompile(`\x1b(\[[0-9;?=]*[ -/]*[@-~]|[()][0-9A-Za-z]|[@-Z\\-_])`)

// printable drops terminal escape sequences and control characters (but
// newlines and tabs), so text from the guest is safe to print and embed.
func printable(s string) string {
	s = ansi.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
