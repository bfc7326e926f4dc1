package manifest

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	_ "github.com/exitkit/exitkit/internal/golden"
)

var safeName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"web-01.vmdk", "web-01.vmdk"},
		{"web server disk 1.vmdk", "web_server_disk_1.vmdk"},
		{"../../etc/passwd", "x.._.._etc_passwd"},
		{"..", "x.."},
		{"", "x"},
		{".hidden", "x.hidden"},
		{"-rf", "x-rf"},
		{"Größe.vmdk", "Gr__e.vmdk"},
		{"a/b\\c:d", "a_b_c_d"},
		{"line\nbreak%20", "line_break_20"},
	}
	for _, tt := range tests {
		if got := SanitizeName(tt.in); got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSanitizeNameKeepsLongNamesDistinct(t *testing.T) {
	a := SanitizeName(strings.Repeat("a", 300) + "1")
	b := SanitizeName(strings.Repeat("a", 300) + "2")
	if a == b || len(a) > maxNameLen || len(b) > maxNameLen {
		t.Errorf("long names: %q (%d), %q (%d)", a, len(a), b, len(b))
	}
}

func TestUniqueNameAvoidsCaseInsensitiveClashes(t *testing.T) {
	taken := map[string]bool{}
	got := []string{UniqueName("Disk.vmdk", taken), UniqueName("disk.vmdk", taken), UniqueName("disk.vmdk", taken)}
	want := []string{"Disk.vmdk", "disk-2.vmdk", "disk-3.vmdk"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("UniqueName #%d = %q, want %q", i, got[i], want[i])
		}
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"web.vmdk", "../x", "", ".", "\x00", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeName(s)
		if !safeName.MatchString(got) || got == "." || got == ".." || len(got) > maxNameLen {
			t.Fatalf("SanitizeName(%q) = %q: not a safe name", s, got)
		}
		if SanitizeName(s) != got {
			t.Fatalf("not deterministic")
		}
	})
}

func TestClipCutsWholeRunesOnly(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{strings.Repeat("é", 100), 5, "éééé…"},
		{strings.Repeat("a", 81), 80, strings.Repeat("a", 79) + "…"},
	} {
		if got := Clip(tt.in, tt.n); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestEscapeShowsControlCharactersAndKeepsTheRest(t *testing.T) {
	tests := []struct{ in, want, lines string }{
		{"web-disk-1.vmdk", "web-disk-1.vmdk", "web-disk-1.vmdk"},
		{"Zürich 東京", "Zürich 東京", "Zürich 東京"},
		{"a\x1b[2Kb", `a\x1b[2Kb`, `a\x1b[2Kb`},
		{"a\r\nb\tc", `a\r\nb\tc`, "a\\r\nb\\tc"},
		{"del\x7f c1\u0085", `del\x7f c1\u0085`, `del\x7f c1\u0085`},
		{"evil\u202efdp.exe", `evil\u202efdp.exe`, `evil\u202efdp.exe`},
		{"bad\xffutf8", `bad\xffutf8`, `bad\xffutf8`},
		{`quoted "a\x1b"`, `quoted "a\x1b"`, `quoted "a\x1b"`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := EscapeLines(tt.in); got != tt.lines {
			t.Errorf("EscapeLines(%q) = %q, want %q", tt.in, got, tt.lines)
		}
		if HasControl(tt.in) != (tt.in != tt.want) {
			t.Errorf("HasControl(%q) = %v", tt.in, HasControl(tt.in))
		}
	}
}
