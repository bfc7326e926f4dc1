// Package seal signs and checks the tag manifest of a bag, which covers the
// whole bag: the tag manifest lists the hash of the payload manifest, which
// lists the hash of every payload file.
//
// Sign makes the signature create writes last; Verify checks one against
// a key; Pin says which key a reader expects (a key, a fingerprint, or an
// ssh-keygen allowed_signers file and a principal) and Pin.Resolve finds
// it. The scheme is SSHSIG (OpenSSH's PROTOCOL.sshsig), so that
// "ssh-keygen -Y verify" checks the same signature; a second scheme would
// be one more implementation beside it.
package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/manifest"
)

// Namespace is the SSHSIG namespace of the tag manifest's signature
// (ssh-keygen -Y verify -n exitbundle).
const Namespace = manifest.SignatureNamespace

// Sign signs the tag manifest (SHA-512) and returns the armored signature,
// which verifies with
//
//	ssh-keygen -Y verify -f allowed_signers -I NAME -n exitbundle -s tagmanifest-sha256.txt.sig < tagmanifest-sha256.txt
func Sign(signer ssh.Signer, tagManifest io.Reader) ([]byte, error) {
	if signer == nil {
		return nil, fmt.Errorf("sign tag manifest: no signing key given")
	}
	sig, err := sshsig.Sign(tagManifest, signer, sshsig.HashSHA512, Namespace)
	if err != nil {
		return nil, fmt.Errorf("sign tag manifest: %w", err)
	}
	return sshsig.Armor(sig), nil
}

// Signature is a parsed signature file.
type Signature struct {
	sig *sshsig.Signature
}

// Parse reads an armored SSHSIG signature.
func Parse(data []byte) (*Signature, error) {
	sig, err := sshsig.Unarmor(data)
	if err != nil {
		return nil, err
	}
	return &Signature{sig: sig}, nil
}

// PublicKey is the key that made the signature (not yet checked).
func (s *Signature) PublicKey() ssh.PublicKey { return s.sig.PublicKey }

// HashAlgorithm names the hash the signature was made over ("sha512").
func (s *Signature) HashAlgorithm() string { return string(s.sig.HashAlgorithm) }

// Problem explains why a signature does not verify, for people.
type Problem struct {
	Text string
	// Message is set when the signed message (the tag manifest) or the
	// signature was changed, as opposed to signed by another key or for
	// another namespace.
	Message bool
}

// Verify checks that s signs msg, made by key in Namespace; nil when it does.
func (s *Signature) Verify(msg []byte, key ssh.PublicKey) *Problem {
	err := sshsig.Verify(bytes.NewReader(msg), s.sig, key, s.sig.HashAlgorithm, Namespace)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sshsig.ErrPublicKeyMismatch):
		return &Problem{Text: fmt.Sprintf("signed by %s, not by the expected key %s", ssh.FingerprintSHA256(s.sig.PublicKey), ssh.FingerprintSHA256(key))}
	case errors.Is(err, sshsig.ErrNamespaceMismatch):
		return &Problem{Text: fmt.Sprintf("signed for namespace %q, not %q", s.sig.Namespace, Namespace)}
	default:
		return &Problem{Text: "does not verify over " + manifest.TagManifestFile + " (" + err.Error() + ")", Message: true}
	}
}

// Pin is the signer a reader expects; at most one of its ways is set.
// An empty Pin trusts the bundle's own signer.pub, which proves only that
// the bag is intact, not who made it.
type Pin struct {
	Key            ssh.PublicKey // the key that must have signed
	Fingerprint    string        // or its "SHA256:..." fingerprint, as published
	AllowedSigners string        // or an ssh-keygen allowed_signers file...
	Principal      string        // ...and the principal to look up in it
	Now            func() time.Time

	allowed []AllowedSigner
}

// Pinned says whether the expected signer comes from the caller rather
// than from the bundle.
func (p *Pin) Pinned() bool {
	return p.Key != nil || p.Fingerprint != "" || p.AllowedSigners != ""
}

// Load checks the pin is usable and reads the allowed signers file.
func (p *Pin) Load() error {
	n := 0
	for _, set := range []bool{p.Key != nil, p.Fingerprint != "", p.AllowedSigners != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("give one of a signer key, a signer fingerprint or an allowed signers file, not several")
	}
	if p.Fingerprint != "" && !strings.HasPrefix(p.Fingerprint, "SHA256:") {
		return fmt.Errorf("signer fingerprint %q: expected SHA256:... as ssh-keygen -l prints it", bagit.Clip(p.Fingerprint))
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.AllowedSigners == "" {
		return nil
	}
	if p.Principal == "" {
		return errors.New("an allowed signers file needs a principal to look up")
	}
	data, err := keys.ReadKeyFile(p.AllowedSigners)
	if err != nil {
		return fmt.Errorf("read allowed signers: %w", err)
	}
	allowed, err := ParseAllowedSigners(data)
	if err != nil {
		return fmt.Errorf("allowed signers file %s: %w", p.AllowedSigners, err)
	}
	p.allowed = allowed
	return nil
}

// Expect returns the key the signature must verify with: the pinned key,
// the signer when its fingerprint or the allowed signers file admits it,
// or, without a pin, own (the bundle's signer.pub). how says which, for
// the report; a problem says why no key is acceptable.
func (p *Pin) Expect(signer, own ssh.PublicKey) (key ssh.PublicKey, how string, problem string) {
	fp := ssh.FingerprintSHA256(signer)
	switch {
	case p.Key != nil:
		return p.Key, "pinned by the given signer key", ""
	case p.Fingerprint != "":
		if fp != p.Fingerprint {
			return nil, "", fmt.Sprintf("signed by %s, not by the expected key %s", fp, p.Fingerprint)
		}
		return signer, "pinned by fingerprint", ""
	case p.AllowedSigners != "":
		for _, a := range p.allowed {
			if a.Allows(p.Principal, Namespace, signer, p.Now()) {
				return signer, fmt.Sprintf("allowed for %q by %s", p.Principal, p.AllowedSigners), ""
			}
		}
		return nil, "", fmt.Sprintf("signed by %s, which %s does not allow for principal %q in namespace %q", fp, p.AllowedSigners, p.Principal, Namespace)
	case own != nil:
		return own, "from the bundle's own signer.pub", ""
	}
	return nil, "", ""
}
