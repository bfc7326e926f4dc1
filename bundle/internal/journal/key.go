package journal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// The resume journal is authenticated with a key derived from a signature
// of the signing key over a fixed challenge, in a namespace of its own:
//
//   - Only the holder of the signing key can make that signature (SSHSIG
//     is unforgeable), so only they can derive the key; a journal planted
//     by anyone who can merely write to the output does not verify.
//   - ed25519 and RSA (PKCS #1 v1.5) signatures are deterministic, so the
//     same key gives the same MAC key on every run, which is what lets a
//     second run check the first run's records. A key that signs with
//     fresh randomness (ECDSA) gives another MAC key each run: its
//     journals never verify, and create starts over instead of resuming
//     (Open then refuses the folder, saying so).
//   - The signature is never written anywhere: it is only the HKDF
//     secret. The namespace differs from the bundle's ("exitbundle"), so
//     no bundle signature is ever this signature, and SSHSIG binds the
//     namespace into what is signed, so this one cannot pass for a bundle's.
//   - The passphrase (when encrypting with one) and the parameters hash
//     are mixed into the key, so records made for another passphrase,
//     other recipients or other compression do not verify either.
const (
	journalNamespace = "exitbundle-journal-key@exitkit"
	journalChallenge = "exitbundle: derive the key that authenticates create's resume journal, v1"
)

// DeriveKey derives the journal's MAC key; deterministic reports whether
// the signer signs deterministically (two signatures equal), which a
// resume needs.
func DeriveKey(signer ssh.Signer, params string, passphrase []byte) (key []byte, deterministic bool, err error) {
	sign := func() ([]byte, error) {
		sig, err := sshsig.Sign(strings.NewReader(journalChallenge), signer, sshsig.HashSHA512, journalNamespace)
		if err != nil {
			return nil, fmt.Errorf("derive the resume journal's key: %w", err)
		}
		return sig.Signature.Blob, nil
	}
	a, err := sign()
	if err != nil {
		return nil, false, err
	}
	b, err := sign()
	if err != nil {
		return nil, false, err
	}
	secret := append(append(append([]byte(nil), a...), 0), passphrase...)
	defer clear(secret)
	key, err = hkdf.Key(sha256.New, secret, []byte(journalNamespace), "journal MAC key\x00"+params, 32)
	if err != nil {
		return nil, false, err
	}
	return key, bytes.Equal(a, b), nil
}
