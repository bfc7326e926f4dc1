package bagit

import "github.com/exitkit/exitkit/bundle/manifest"

// TagOrder is the order of the tag files in a tar (bundle/bagit/tarsink
// writes them), which come before the payload in a tar file, so a reader
// of it as a stream finds exit-manifest.json first.
var TagOrder = []string{manifest.BagItFile, manifest.BagInfoFile, manifest.ExitManifestFile, manifest.IndexFile, manifest.ReadmeFile,
	manifest.TermsFile, manifest.SignerFile, manifest.ManifestFile, manifest.TagManifestFile, manifest.SignatureFile}
