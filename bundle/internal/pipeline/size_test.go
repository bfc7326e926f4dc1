package pipeline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// The size computed before the data flows is the size age writes, for
// every chunk boundary and every recipient kind create uses.
func TestStoredSizeIsTheSizeAgeWrites(t *testing.T) {
	x1, _ := age.GenerateX25519Identity()
	x2, _ := age.GenerateX25519Identity()
	scrypt, err := age.NewScryptRecipient("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	scrypt.SetWorkFactor(10)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edPub, _ := ssh.NewPublicKey(edPriv.Public())
	edRec, err := agessh.NewEd25519Recipient(edPub)
	if err != nil {
		t.Fatal(err)
	}
	recipients := map[string][]age.Recipient{
		"an ssh-ed25519 key":    {edRec},
		"one X25519 recipient":  {x1.Recipient()},
		"two X25519 recipients": {x1.Recipient(), x2.Recipient()},
		"a passphrase":          {&SerialRecipient{R: scrypt}},
	}
	for name, rs := range recipients {
		var sizer Sizer
		header, err := AgeHeaderSize(rs)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int64{0, 1, 65535, 65536, 65537, 3 * 65536} {
			var out bytes.Buffer
			w, err := age.Encrypt(&out, rs...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyN(w, bytes.NewReader(make([]byte, n)), n); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := AgeSize(n, header); got != int64(out.Len()) {
				t.Errorf("%s, %d bytes: computed %d, age wrote %d", name, n, got, out.Len())
			}
			if got, err := sizer.Size(n, rs); err != nil || got != int64(out.Len()) {
				t.Errorf("%s, %d bytes: Sizer %d (%v), age wrote %d", name, n, got, err, out.Len())
			}
		}
	}
	if n, err := new(Sizer).Size(12345, nil); err != nil || n != 12345 {
		t.Errorf("unencrypted: %d %v", n, err)
	}
}
