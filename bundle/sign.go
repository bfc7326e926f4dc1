package bundle

import (
	"fmt"
	"io"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// SignTagManifest signs the tag manifest in the SSHSIG format of OpenSSH's
// PROTOCOL.sshsig (namespace "exitbundle", SHA-512) and returns the armored
// signature, which verifies with
//
//	ssh-keygen -Y verify -f allowed_signers -I NAME -n exitbundle -s tagmanifest-sha256.txt.sig < tagmanifest-sha256.txt
//
// Signing the tag manifest covers the whole bag: it lists the hashes of the
// payload manifest, which lists the hash of every payload file.
func SignTagManifest(signer ssh.Signer, tagManifest io.Reader) ([]byte, error) {
	if signer == nil {
		return nil, fmt.Errorf("sign tag manifest: no signing key given")
	}
	sig, err := sshsig.Sign(tagManifest, signer, sshsig.HashSHA512, SignatureNamespace)
	if err != nil {
		return nil, fmt.Errorf("sign tag manifest: %w", err)
	}
	return sshsig.Armor(sig), nil
}
