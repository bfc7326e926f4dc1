package seal

import (
	"testing"

	"golang.org/x/crypto/ssh"
)

// FuzzParseSignature feeds arbitrary bytes as tagmanifest-sha256.txt.sig:
// parse or fail, never panic; what parses is checked without panicking
// too, against its own key.
func FuzzParseSignature(f *testing.F) {
	f.Add([]byte("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sig, err := Parse(data)
		if err != nil {
			return
		}
		if k := sig.PublicKey(); k != nil {
			_ = ssh.FingerprintSHA256(k)
			_ = sig.Verify([]byte("tag manifest"), k)
		}
	})
}
