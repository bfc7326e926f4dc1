package seal

import (
	"bytes"
	"crypto/ed25519"

	"strings"
	"testing"
	"time"

	_ "github.com/exitkit/exitkit/internal/golden"

	"golang.org/x/crypto/ssh"
)

func TestParseAllowedSigners(t *testing.T) {
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(testSigner(t).PublicKey())))
	in := "# comment\n" +
		`"legal@p.example,ops@p.example" namespaces="exitbundle" ` + key + " a comment\n" +
		`*@p.example cert-authority ` + key + "\n" +
		`x@p.example valid-after="20200101",valid-before="20991231235959Z" ` + key + "\n"
	got, err := ParseAllowedSigners([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Principals != "legal@p.example,ops@p.example" || got[0].Namespaces != "exitbundle" || !got[1].CertAuth {
		t.Fatalf("parsed %+v", got)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !got[0].Allows("ops@p.example", "exitbundle", got[0].Key, now) {
		t.Error("listed principal refused")
	}
	if got[1].Allows("legal@p.example", "exitbundle", got[1].Key, now) {
		t.Error("a cert-authority line allowed a plain key")
	}
	if !got[2].Allows("x@p.example", "anything", got[2].Key, now) || got[2].Allows("x@p.example", "exitbundle", got[2].Key, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("validity window not applied")
	}
	for _, bad := range []string{"onlyprincipal\n", `p bogus-option ` + key + "\n", `"unterminated ` + key + "\n", "p ssh-ed25519 !!!notbase64\n", `p valid-after="yesterday" ` + key + "\n"} {
		if _, err := ParseAllowedSigners([]byte(bad)); err == nil {
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

func FuzzParseAllowedSigners(f *testing.F) {
	f.Add([]byte(`"a,b" namespaces="exitbundle",valid-after="20200101" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEl0ZW1zIHRoYXQgYXJlIG5vdCBhIGtleSBhdCBhbGwhIQ== c` + "\n"))
	f.Add([]byte("* cert-authority ssh-rsa AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		signers, err := ParseAllowedSigners(data)
		if err != nil {
			return
		}
		for _, s := range signers {
			s.Allows("p", Namespace, s.Key, time.Now())
		}
	})
}

func testSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignThenVerifyAcceptsOnlyTheSignedMessageByItsKey(t *testing.T) {
	s := testSigner(t)
	msg := []byte("abc  bagit.txt\n")
	armored, err := Sign(s, bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Parse(armored)
	if err != nil {
		t.Fatal(err)
	}
	if p := sig.Verify(msg, s.PublicKey()); p != nil {
		t.Fatalf("own signature: %s", p.Text)
	}
	if p := sig.Verify(append(msg, 'x'), s.PublicKey()); p == nil || !p.Message {
		t.Errorf("a changed message: %+v", p)
	}
	if p := sig.Verify(msg, testSigner(t).PublicKey()); p == nil || p.Message {
		t.Errorf("another key: %+v", p)
	}
}
