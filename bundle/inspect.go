package bundle

import (
	"fmt"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/manifest"
	"golang.org/x/crypto/ssh"
)

// Inspection is what Inspect learns about a bundle from its tag files
// alone, without reading the payload or checking any hash or signature.
type Inspection struct {
	Path     string    `json:"path"`
	Manifest *Manifest `json:"manifest"`

	Signed     bool `json:"signed"`     // tagmanifest-sha256.txt.sig is present (not checked)
	Marker     bool `json:"marker"`     // the .exitbundle-incomplete marker is present
	Complete   bool `json:"complete"`   // Signed and no marker
	HasSigner  bool `json:"has_signer"` // signer.pub is present
	SignerSame bool `json:"signer_matches_manifest"`

	// Skipped is what inspect never checks: it reads the tag files only.
	Skipped []string `json:"skipped"`

	Files        int   `json:"files"`
	PayloadBytes int64 `json:"payload_bytes"` // plaintext
	StoredBytes  int64 `json:"stored_bytes"`
}

// Inspect reads what a bundle (folder or tar) holds from its tag files
// alone: the exit manifest, whether it was finished (signature present, no
// incomplete marker), whether signer.pub is the key the manifest names,
// and the totals. It reads no payload and checks no hash or signature:
// that is Verify's job. A path that holds no bundle is ErrNotABundle; a
// bundle create has begun but not yet described is ErrIncomplete.
func Inspect(p string) (*Inspection, error) {
	bag, err := bagit.Open(p)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	defer bag.Close()
	present := map[string]bool{}
	tags := map[string][]byte{}
	for _, name := range []string{ExitManifestFile, SignerFile, SignatureFile, IncompleteMarker} {
		e, ok := bag.Lookup(name)
		if !ok {
			continue
		}
		if e.Kind != bagit.Regular {
			return nil, fmt.Errorf("inspect %s: %s is not a regular file: %w", p, name, ErrIntegrity)
		}
		present[name] = true
		if name == ExitManifestFile || name == SignerFile {
			data, err := bag.ReadSmall(name)
			if err != nil {
				return nil, fmt.Errorf("inspect %s: %w", p, err)
			}
			tags[name] = data
		}
	}
	data, ok := tags[ExitManifestFile]
	if !ok {
		if present[IncompleteMarker] {
			return nil, fmt.Errorf("inspect %s: %w: no %s yet (%s is present); run the same create command again to finish it", p, ErrIncomplete, ExitManifestFile, IncompleteMarker)
		}
		return nil, fmt.Errorf("inspect %s: %w: no %s", p, ErrNotABundle, ExitManifestFile)
	}
	m, err := manifest.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w: %w", p, err, ErrIntegrity)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("inspect %s: %w: %s has format %q, not %q (or it is from a newer exitbundle)", p, ErrNotABundle, ExitManifestFile, bagit.Clip(m.Format), FormatVersion)
	}
	in := &Inspection{
		Path:      p,
		Manifest:  m,
		Signed:    present[SignatureFile],
		Marker:    present[IncompleteMarker],
		HasSigner: present[SignerFile],
	}
	in.Complete = in.Signed && !in.Marker
	in.Skipped = []string{CheckSignature, CheckTagManifest, CheckPayload, CheckPlaintext}
	if pub, ok := tags[SignerFile]; ok {
		if key, _, _, _, err := ssh.ParseAuthorizedKey(pub); err == nil {
			in.SignerSame = ssh.FingerprintSHA256(key) == m.Signer.Fingerprint
		}
	}
	for _, vm := range m.VMs {
		for _, f := range vm.Files {
			in.Files++
			in.PayloadBytes += f.Size
			in.StoredBytes += f.StoredSize
		}
	}
	return in, nil
}
