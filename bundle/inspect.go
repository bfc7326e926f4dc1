package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// maxManifestSize bounds exit-manifest.json as inspect reads it: a bundle
// of thousands of VMs stays far below.
const maxManifestSize = 64 << 20

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

	Files        int   `json:"files"`
	PayloadBytes int64 `json:"payload_bytes"` // plaintext
	StoredBytes  int64 `json:"stored_bytes"`
}

// Inspect returns a bundle's exit manifest, from a bundle folder or a
// bundle tar, without reading the payload. It checks nothing: that is
// Verify's job.
func Inspect(p string) (*Manifest, error) {
	in, err := InspectBundle(p)
	if err != nil {
		return nil, err
	}
	return in.Manifest, nil
}

// InspectBundle is Inspect with what else the tag files tell: whether the
// bundle was finished (signature present, no incomplete marker), whether
// signer.pub is the key the manifest names, and the totals.
func InspectBundle(p string) (*Inspection, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	var tags map[string][]byte
	var present map[string]bool
	if info.IsDir() {
		tags, present, err = readDirTags(p)
	} else {
		tags, present, err = readTarTags(p)
	}
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", p, err)
	}
	data, ok := tags[ExitManifestFile]
	if !ok {
		if present[IncompleteMarker] {
			return nil, fmt.Errorf("inspect %s: no %s yet: the bundle is unfinished (%s is present); run create again to finish it", p, ExitManifestFile, IncompleteMarker)
		}
		return nil, fmt.Errorf("inspect %s: no %s: not an exit bundle", p, ExitManifestFile)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("inspect %s: %s: %w", p, ExitManifestFile, err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("inspect %s: %s has format %q, not %q: not an exit bundle, or one from a newer exitbundle", p, ExitManifestFile, m.Format, FormatVersion)
	}
	in := &Inspection{
		Path:      p,
		Manifest:  &m,
		Signed:    present[SignatureFile],
		Marker:    present[IncompleteMarker],
		HasSigner: present[SignerFile],
	}
	in.Complete = in.Signed && !in.Marker
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

// inspectTags are the small files inspect reads; others are only noted.
var inspectTags = map[string]bool{ExitManifestFile: true, SignerFile: true}

func readDirTags(dir string) (map[string][]byte, map[string]bool, error) {
	tags := map[string][]byte{}
	present := map[string]bool{}
	for _, name := range []string{ExitManifestFile, SignerFile, SignatureFile, IncompleteMarker} {
		p := filepath.Join(dir, name)
		info, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if !info.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s is not a regular file", name)
		}
		present[name] = true
		if inspectTags[name] {
			data, err := readBounded(p)
			if err != nil {
				return nil, nil, err
			}
			tags[name] = data
		}
	}
	return tags, present, nil
}

func readBounded(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", filepath.Base(p), maxManifestSize>>20)
	}
	return data, nil
}

// readTarTags reads the tag files of a bundle tar in one pass over its
// headers; the payload members are skipped by seeking, never read. The
// bag may sit at the tar's root or in one top-level folder.
func readTarTags(p string) (map[string][]byte, map[string]bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	tags := map[string][]byte{}
	present := map[string]bool{}
	tr := tar.NewReader(f)
	prefix := ""
	first := true
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if first {
				return nil, nil, fmt.Errorf("not a bundle folder or a bundle tar: %w", err)
			}
			return nil, nil, fmt.Errorf("read tar: %w (the file is truncated or damaged)", err)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if first {
			// A bag written as one folder: "acme-exit/" comes first.
			if hdr.Typeflag == tar.TypeDir && strings.Count(strings.TrimSuffix(name, "/"), "/") == 0 {
				prefix = strings.TrimSuffix(name, "/") + "/"
			}
			first = false
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		rel := strings.TrimPrefix(name, prefix)
		if rel != path.Base(rel) {
			continue // payload under data/
		}
		present[rel] = true
		if inspectTags[rel] {
			if hdr.Size > maxManifestSize {
				return nil, nil, fmt.Errorf("%s is larger than %d MiB", rel, maxManifestSize>>20)
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, tr); err != nil {
				return nil, nil, fmt.Errorf("read %s: %w", rel, err)
			}
			tags[rel] = buf.Bytes()
		}
	}
	return tags, present, nil
}
