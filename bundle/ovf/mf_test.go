package ovf

import (
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func TestParseMFFile(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	mf, err := ParseMF([]byte("SHA256(web.ovf)= " + sum + "\nSHA1(web-disk1.vmdk)= " + sum[:40] + "\nSHA256(name (with) parens.vmdk)= " + sum + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if mf["web.ovf"].Alg != "SHA256" || mf["web-disk1.vmdk"].Alg != "SHA1" || mf["name (with) parens.vmdk"].Sum != sum {
		t.Fatalf("parsed %+v", mf)
	}
	for _, bad := range []string{"SHA256 web.ovf = x\n", "(a)= " + sum + "\n", "SHA256(a)= zz\n", "SHA256(a)= " + sum + "\nSHA256(a)= " + sum + "\n"} {
		if _, err := ParseMF([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseMFFile(f *testing.F) {
	f.Add([]byte("SHA256(a.ovf)= " + strings.Repeat("0", 64) + "\n"))
	f.Add([]byte("SHA1 (a) = 00\n)=(\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseMF(data)
	})
}
