package bundle

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
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
			got, err := parseManifestFile([]byte(tc.in))
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
	info, err := parseBagInfoFile([]byte("Source-Organization: Provider\nExternal-Description: one\n  two\nPayload-Oxum: 10.2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := info.get("external-description"); v != "one two" {
		t.Errorf("continuation: %q", v)
	}
	if o, n, err := parsePayloadOxum(mustGet(info, "Payload-Oxum")); err != nil || o != 10 || n != 2 {
		t.Errorf("oxum = %d.%d, %v", o, n, err)
	}
	for _, bad := range []string{"  leading continuation\n", "no colon here\n", "\xef\xbb\xbfA: b\n"} {
		if _, err := parseBagInfoFile([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, bad := range []string{"10", "a.b", "-1.2", "1.-2", "99999999999999999999.1", ".1", "1."} {
		if _, _, err := parsePayloadOxum(bad); err == nil {
			t.Errorf("Payload-Oxum %q accepted", bad)
		}
	}
	if err := checkBagItFile([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")); err != nil {
		t.Error(err)
	}
	if err := checkBagItFile([]byte("BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n")); err == nil {
		t.Error("BagIt-Version 2.0 accepted")
	}
}

func mustGet(b *bagInfoFile, label string) string {
	v, _ := b.get(label)
	return v
}

func TestParseMFFile(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	mf, err := parseMFFile([]byte("SHA256(web.ovf)= " + sum + "\nSHA1(web-disk1.vmdk)= " + sum[:40] + "\nSHA256(name (with) parens.vmdk)= " + sum + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if mf["web.ovf"].Alg != "SHA256" || mf["web-disk1.vmdk"].Alg != "SHA1" || mf["name (with) parens.vmdk"].Sum != sum {
		t.Fatalf("parsed %+v", mf)
	}
	for _, bad := range []string{"SHA256 web.ovf = x\n", "(a)= " + sum + "\n", "SHA256(a)= zz\n", "SHA256(a)= " + sum + "\nSHA256(a)= " + sum + "\n"} {
		if _, err := parseMFFile([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseAllowedSigners(t *testing.T) {
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(testSigner(t).PublicKey())))
	in := "# comment\n" +
		`"legal@p.example,ops@p.example" namespaces="exitbundle" ` + key + " a comment\n" +
		`*@p.example cert-authority ` + key + "\n" +
		`x@p.example valid-after="20200101",valid-before="20991231235959Z" ` + key + "\n"
	got, err := parseAllowedSigners([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Principals != "legal@p.example,ops@p.example" || got[0].Namespaces != "exitbundle" || !got[1].CertAuth {
		t.Fatalf("parsed %+v", got)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !got[0].allows("ops@p.example", "exitbundle", got[0].Key, now) {
		t.Error("listed principal refused")
	}
	if got[1].allows("legal@p.example", "exitbundle", got[1].Key, now) {
		t.Error("a cert-authority line allowed a plain key")
	}
	if !got[2].allows("x@p.example", "anything", got[2].Key, now) || got[2].allows("x@p.example", "exitbundle", got[2].Key, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("validity window not applied")
	}
	for _, bad := range []string{"onlyprincipal\n", `p bogus-option ` + key + "\n", `"unterminated ` + key + "\n", "p ssh-ed25519 !!!notbase64\n", `p valid-after="yesterday" ` + key + "\n"} {
		if _, err := parseAllowedSigners([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMatchPatternList(t *testing.T) {
	for _, tc := range []struct {
		s, list string
		want    bool
	}{
		{"a@b", "a@b", true},
		{"a@b", "*@b", true},
		{"a@b", "?@b", true},
		{"aa@b", "?@b", false},
		{"a@b", "x@y,*", true},
		{"a@b", "*,!a@b", false},
		{"a@b", "!a@b", false},
		{"", "*", true},
		{"abc", "a*c*", true},
		{"abc", "a*d", false},
		{strings.Repeat("a", 200), strings.Repeat("*a", 50) + "b", false},
	} {
		if got := matchPatternList(tc.s, tc.list); got != tc.want {
			t.Errorf("matchPatternList(%q, %q) = %v", tc.s, tc.list, got)
		}
	}
}

func FuzzParseManifestFile(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", 32) + "  data/a%0Ab\n"))
	f.Add([]byte(strings.Repeat("ab", 32) + " *data/../x\r\n"))
	f.Add([]byte("%"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := parseManifestFile(data)
		if err != nil {
			return
		}
		for _, l := range lines {
			if checkSafeBagPath(l.Path) != nil || len(l.SHA256) != 64 {
				t.Fatalf("accepted unsafe line %+v", l)
			}
		}
	})
}

func FuzzParseBagInfoFile(f *testing.F) {
	f.Add([]byte("Payload-Oxum: 10.2\nA: b\n  c\n"))
	f.Add([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if info, err := parseBagInfoFile(data); err == nil {
			if v, ok := info.get("Payload-Oxum"); ok {
				o, n, err := parsePayloadOxum(v)
				if err == nil && (o < 0 || n < 0) {
					t.Fatalf("negative oxum %d.%d", o, n)
				}
			}
		}
		checkBagItFile(data)
	})
}

func FuzzParseMFFile(f *testing.F) {
	f.Add([]byte("SHA256(a.ovf)= " + strings.Repeat("0", 64) + "\n"))
	f.Add([]byte("SHA1 (a) = 00\n)=(\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseMFFile(data)
	})
}

func FuzzParseAllowedSigners(f *testing.F) {
	f.Add([]byte(`"a,b" namespaces="exitbundle",valid-after="20200101" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEl0ZW1zIHRoYXQgYXJlIG5vdCBhIGtleSBhdCBhbGwhIQ== c` + "\n"))
	f.Add([]byte("* cert-authority ssh-rsa AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		signers, err := parseAllowedSigners(data)
		if err != nil {
			return
		}
		for _, s := range signers {
			s.allows("p", SignatureNamespace, s.Key, time.Now())
		}
	})
}

// FuzzVerifyTar feeds arbitrary bytes to verify as a tar: it must report
// or fail, never panic or hang.
func FuzzVerifyTar(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := scanTar(context.Background(), bytes.NewReader(data), 2, nil, nil)
		if err != nil {
			return
		}
		r := evaluate(res, VerifyOptions{Now: time.Now}, nil)
		if r.OK {
			t.Fatal("random bytes verified as a good bundle")
		}
	})
}
