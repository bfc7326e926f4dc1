package bagit

import (
	_ "github.com/exitkit/exitkit/internal/golden"

	"strings"
	"testing"
)

func TestParseManifestFile(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, in string
		want     []string // paths
		err      string
	}{
		{"two spaces, as sha256sum writes", sum + "  data/a.vmdk\n", []string{"data/a.vmdk"}, ""},
		{"one space and CRLF", sum + " data/a\r\n" + sum + " data/b\r\n", []string{"data/a", "data/b"}, ""},
		{"binary-mode star", sum + " *data/a\n", []string{"data/a"}, ""},
		{"upper-case hex", strings.ToUpper(sum) + "  data/a\n", []string{"data/a"}, ""},
		{"percent-encoded newline", sum + "  data/a%0Ab\n", []string{"data/a\nb"}, ""},
		{"space in name", sum + "  data/my disk.vmdk\n", []string{"data/my disk.vmdk"}, ""},
		{"blank lines ignored", "\n" + sum + "  data/a\n\n", []string{"data/a"}, ""},
		{"short checksum", "abcd  data/a\n", nil, "line 1"},
		{"no path", sum + "\n", nil, "line 1"},
		{"absolute path", sum + "  /etc/passwd\n", nil, "absolute"},
		{"dot-dot", sum + "  data/../../etc/passwd\n", nil, "clean"},
		{"backslash", sum + "  data\\a\n", nil, "absolute"},
		{"duplicate", sum + "  data/a\n" + sum + "  data/a\n", nil, "line 2"},
		{"bad percent", sum + "  data/a%2Fb\n", nil, "percent"},
		{"truncated percent", sum + "  data/a%0\n", nil, "percent"},
		{"not UTF-8", sum + "  data/\xff\n", nil, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseManifest([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, l := range got {
				paths = append(paths, l.Path)
				if l.SHA256 != sum {
					t.Errorf("sum = %s", l.SHA256)
				}
			}
			if strings.Join(paths, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("paths = %q, want %q", paths, tc.want)
			}
		})
	}
}

func TestParseBagInfoFile(t *testing.T) {
	info, err := ParseInfo([]byte("Source-Organization: Provider\nExternal-Description: one\n  two\nPayload-Oxum: 10.2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := info.Get("external-description"); v != "one two" {
		t.Errorf("continuation: %q", v)
	}
	if o, n, err := ParsePayloadOxum(mustGet(info, "Payload-Oxum")); err != nil || o != 10 || n != 2 {
		t.Errorf("oxum = %d.%d, %v", o, n, err)
	}
	for _, bad := range []string{"  leading continuation\n", "no colon here\n", "\xef\xbb\xbfA: b\n"} {
		if _, err := ParseInfo([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, bad := range []string{"10", "a.b", "-1.2", "1.-2", "99999999999999999999.1", ".1", "1."} {
		if _, _, err := ParsePayloadOxum(bad); err == nil {
			t.Errorf("Payload-Oxum %q accepted", bad)
		}
	}
	if err := CheckBagItTxt([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")); err != nil {
		t.Error(err)
	}
	if err := CheckBagItTxt([]byte("BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n")); err == nil {
		t.Error("BagIt-Version 2.0 accepted")
	}
}

func mustGet(b *Info, label string) string {
	v, _ := b.Get(label)
	return v
}

func FuzzParseManifestFile(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", 32) + "  data/a%0Ab\n"))
	f.Add([]byte(strings.Repeat("ab", 32) + " *data/../x\r\n"))
	f.Add([]byte("%"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseManifest(data)
		if err != nil {
			return
		}
		for _, l := range lines {
			if CheckPath(l.Path) != nil || len(l.SHA256) != 64 {
				t.Fatalf("accepted unsafe line %+v", l)
			}
		}
	})
}

func FuzzParseBagInfoFile(f *testing.F) {
	f.Add([]byte("Payload-Oxum: 10.2\nA: b\n  c\n"))
	f.Add([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if info, err := ParseInfo(data); err == nil {
			if v, ok := info.Get("Payload-Oxum"); ok {
				o, n, err := ParsePayloadOxum(v)
				if err == nil && (o < 0 || n < 0) {
					t.Fatalf("negative oxum %d.%d", o, n)
				}
			}
		}
		CheckBagItTxt(data)
	})
}
