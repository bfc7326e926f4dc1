package bagit

import (
	"strings"
	"testing"
)

// RFC 8493 as the Library of Congress suite and bagit-python read it.

func TestBagItTxtIsExactlyTheTwoLinesRFC8493Names(t *testing.T) {
	const v, enc = "BagIt-Version: 1.0", "Tag-File-Character-Encoding: UTF-8"
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"the two lines with LF", v + "\n" + enc + "\n", true},
		{"the two lines with CRLF", v + "\r\n" + enc + "\r\n", true},
		{"no final line break", v + "\n" + enc, true},
		{"a space before the colon", "BagIt-Version : 1.0\n" + enc + "\n", false},
		{"a space after the version", v + " \n" + enc + "\n", false},
		{"lower-case labels", "bagit-version: 1.0\ntag-file-character-encoding: UTF-8\n", false},
		{"reversed lines", enc + "\n" + v + "\n", false},
		{"an extra line", v + "\n" + enc + "\nContact-Name: x\n", false},
		{"one line only", v + "\n", false},
		{"another version", "BagIt-Version: 0.96\n" + enc + "\n", false},
		{"another encoding", v + "\nTag-File-Character-Encoding: ISO-8859-1\n", false},
		{"a byte-order mark", "\xef\xbb\xbf" + v + "\n" + enc + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckBagItTxt([]byte(tc.in)); (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestBagInfoFollowsRFC8493Section222(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"labels and values", "Source-Organization: Provider\nPayload-Oxum: 1.1\n", true},
		{"a continuation line", "External-Description: a long\n  description\n", true},
		{"a tab continuation", "External-Description: a long\n\tdescription\n", true},
		{"a repeated label", "Contact-Name: a\nContact-Name: b\n", true},
		{"a label ending in a space", "Source-Organization : Provider\n", false},
		{"a label ending in a tab", "Source-Organization\t: Provider\n", false},
		{"no colon", "Source-Organization Provider\n", false},
		{"an empty label", ": Provider\n", false},
		{"a continuation first", "  orphan\n", false},
		{"not UTF-8", "Source-Organization: \xff\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseInfo([]byte(tc.in)); (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestManifestLinesOfEveryAlgorithmRFC8493Names(t *testing.T) {
	for _, tc := range []struct {
		name, alg, in string
		path          string // "" when refused
	}{
		{"tab-separated, a space in the path", "sha256", strings.Repeat("a", 64) + "\tdata/my disk.vmdk\n", "data/my disk.vmdk"},
		{"several spaces, spaces in the path", "sha256", strings.Repeat("a", 64) + "   data/a b  c\n", "data/a b  c"},
		{"a ./data/ path is the same path", "sha256", strings.Repeat("a", 64) + "  ./data/a\n", "data/a"},
		{"percent-encoded CR LF and %", "sha256", strings.Repeat("a", 64) + "  data/a%0D%0Ab%25\n", "data/a\r\nb%"},
		{"md5", "md5", strings.Repeat("a", 32) + "  data/a\n", "data/a"},
		{"sha1", "sha1", strings.Repeat("a", 40) + "  data/a\n", "data/a"},
		{"sha512", "sha512", strings.Repeat("a", 128) + "  data/a\n", "data/a"},
		{"a sha256 sum in an md5 manifest", "md5", strings.Repeat("a", 64) + "  data/a\n", ""},
		{"another percent-encoding", "sha256", strings.Repeat("a", 64) + "  data/a%20b\n", ""},
		{"a path leaving the bag", "sha256", strings.Repeat("a", 64) + "  data/../../etc/passwd\n", ""},
		{"the same path twice", "sha256", strings.Repeat("a", 64) + "  data/a\n" + strings.Repeat("b", 64) + "  ./data/a\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, err := ParseManifestAlg([]byte(tc.in), tc.alg)
			switch {
			case tc.path == "" && err == nil:
				t.Errorf("accepted: %+v", lines)
			case tc.path != "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.path != "" && (len(lines) != 1 || lines[0].Path != tc.path):
				t.Errorf("lines %+v, want %q", lines, tc.path)
			}
		})
	}
	for name, want := range map[string]string{"manifest-md5.txt": "md5", "tagmanifest-sha512.txt": "sha512", "manifest-sha256.txt": "sha256"} {
		if alg, _, ok := ManifestName(name); !ok || alg != want {
			t.Errorf("ManifestName(%s) = %s, %v", name, alg, ok)
		}
	}
	if _, _, ok := ManifestName("data/manifest-md5.txt"); ok {
		t.Error("a payload file taken for a manifest")
	}
}

func FuzzCheckBagItTxt(f *testing.F) {
	f.Add([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
	f.Add([]byte("BagIt-Version : 1.0\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if CheckBagItTxt(data) == nil && !strings.HasPrefix(string(data), "BagIt-Version: 1.0") {
			t.Fatalf("accepted %q", data)
		}
	})
}

func FuzzParseManifestAlg(f *testing.F) {
	f.Add([]byte(strings.Repeat("a", 32)+"\tdata/a b\n"), "md5")
	f.Add([]byte(strings.Repeat("a", 128)+"  ./data/a%0A\n"), "sha512")
	f.Fuzz(func(t *testing.T, data []byte, alg string) {
		lines, err := ParseManifestAlg(data, alg)
		if err != nil {
			return
		}
		for _, l := range lines {
			if CheckPath(l.Path) != nil {
				t.Fatalf("unsafe path %q accepted", l.Path)
			}
		}
	})
}
