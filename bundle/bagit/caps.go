package bagit

import (
	"path"
	"strings"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// A received bag chooses the size of its metadata files, and a reader
// keeps them in memory while it checks them: so each kind is read with a
// cap a little above what a real bundle of a thousand VMs holds, and a
// larger one is refused as too large, never read whole. Together they
// keep verify's peak memory under 64 MiB on any input.
const (
	capTiny     = 64 << 10 // bagit.txt, signer.pub, the signature, the marker
	capInfo     = 1 << 20  // bag-info.txt
	capManifest = 4 << 20  // manifest-*.txt, tagmanifest-*.txt: ~150 bytes a file
	capJSON     = 4 << 20  // exit-manifest.json: a few KiB a VM
	capOVF      = 4 << 20  // an OVF descriptor (vSphere's are 10-100 KiB)
	capMF       = 1 << 20  // a VM's .mf
)

// MetadataCap is the most a reader keeps of the metadata file at bag path
// p, and 0 for a file that is not metadata (the payload, the index).
func MetadataCap(p string) int {
	base := path.Base(p)
	inData := strings.HasPrefix(p, manifest.PayloadDir+"/") || strings.HasPrefix(p, "data/")
	if inData {
		switch path.Ext(base) {
		case ".ovf":
			return capOVF
		case ".mf":
			return capMF
		}
		return 0
	}
	switch {
	case base == manifest.BagItFile, base == manifest.SignerFile, base == manifest.SignatureFile, base == manifest.IncompleteMarker:
		return capTiny
	case base == manifest.BagInfoFile:
		return capInfo
	case base == manifest.ExitManifestFile:
		return capJSON
	case strings.HasPrefix(base, "manifest-") && strings.HasSuffix(base, ".txt"),
		strings.HasPrefix(base, "tagmanifest-") && strings.HasSuffix(base, ".txt"):
		return capManifest
	}
	return 0
}
