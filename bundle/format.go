package bundle

import (
	"context"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/source"
)

// The bundle's format lives in bundle/manifest; these names keep the API
// callers use in one place.
type (
	Manifest   = manifest.Manifest
	Signer     = manifest.Signer
	Encryption = manifest.Encryption
	Terms      = manifest.Terms
	ClauseRef  = manifest.ClauseRef
	VM         = manifest.VM
	VMHardware = manifest.VMHardware
	NIC        = manifest.NIC
	Disk       = manifest.Disk
	File       = manifest.File
)

// Names of the files in a bundle's root; see bundle/manifest.
const (
	BagItFile        = manifest.BagItFile
	BagInfoFile      = manifest.BagInfoFile
	ManifestFile     = manifest.ManifestFile
	TagManifestFile  = manifest.TagManifestFile
	SignatureFile    = manifest.SignatureFile
	SignerFile       = manifest.SignerFile
	ExitManifestFile = manifest.ExitManifestFile
	IndexFile        = manifest.IndexFile
	ReadmeFile       = manifest.ReadmeFile
	TermsFile        = manifest.TermsFile
	IncompleteMarker = manifest.IncompleteMarker
	PayloadDir       = manifest.PayloadDir

	SignatureNamespace = manifest.SignatureNamespace
	FormatVersion      = manifest.FormatVersion

	RoleDescriptor = manifest.RoleDescriptor
	RoleManifest   = manifest.RoleManifest
	RoleDisk       = manifest.RoleDisk
	RoleNVRAM      = manifest.RoleNVRAM
	RoleOther      = manifest.RoleOther
)

// Errors a caller acts on; internal/cli maps them to exit codes.
var (
	ErrNotABundle = manifest.ErrNotABundle
	ErrIncomplete = manifest.ErrIncomplete
	ErrSignature  = manifest.ErrSignature
	ErrIntegrity  = manifest.ErrIntegrity
	ErrUnsafe     = manifest.ErrUnsafe

	// ErrFinished: create was pointed at a finished bundle, which it never
	// overwrites.
	ErrFinished = manifest.ErrFinished
	// ErrNotOurs: create's output holds something other than an unfinished
	// bundle of the same command.
	ErrNotOurs = manifest.ErrNotOurs
)

// SanitizeName maps s to a name of [A-Za-z0-9._-]; see manifest.SanitizeName.
func SanitizeName(s string) string { return manifest.SanitizeName(s) }

// The Source interface and its VMs live in bundle/source; these names
// keep them where callers of Create look.
type (
	Source     = source.Source
	SourceVM   = source.VM
	SourceFile = source.File
)

// ErrTransient marks a read failure worth retrying from the start; see
// source.Transient.
var ErrTransient = source.ErrTransient

// Transient wraps err so that create retries the file.
func Transient(err error) error { return source.Transient(err) }

// OpenSource opens existing OVF exports (a folder, an .ovf, an .ova or
// another archive) as a Source; see source.Open. ctx stops the indexing
// of a large archive.
func OpenSource(ctx context.Context, p string) (Source, error) { return source.Open(ctx, p) }

// Planner is a Source that knows all its files' sizes before exporting;
// see source.Planner.
type Planner = source.Planner
