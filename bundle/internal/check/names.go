package check

import "github.com/exitkit/exitkit/bundle/manifest"

// The format's names, as the checks use them.
type (
	Manifest = manifest.Manifest
	Signer   = manifest.Signer
	File     = manifest.File
)

const (
	BagItFile          = manifest.BagItFile
	BagInfoFile        = manifest.BagInfoFile
	ManifestFile       = manifest.ManifestFile
	TagManifestFile    = manifest.TagManifestFile
	SignatureFile      = manifest.SignatureFile
	SignerFile         = manifest.SignerFile
	ExitManifestFile   = manifest.ExitManifestFile
	IncompleteMarker   = manifest.IncompleteMarker
	PayloadDir         = manifest.PayloadDir
	SignatureNamespace = manifest.SignatureNamespace
	FormatVersion      = manifest.FormatVersion
	RoleDescriptor     = manifest.RoleDescriptor
	RoleManifest       = manifest.RoleManifest
)

var (
	ErrNotABundle = manifest.ErrNotABundle
	ErrIncomplete = manifest.ErrIncomplete
	ErrSignature  = manifest.ErrSignature
	ErrIntegrity  = manifest.ErrIntegrity
)

var SanitizeName = manifest.SanitizeName
