package drill

// The only code of the drill that knows package bundle: it verifies the
// whole bundle, reads its exit manifest and restores one VM, and turns
// bundle's types into the drill's own (verification, vmInfo), so that
// porting to a new bundle API touches this file alone.

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle"
)

// verification is what the drill needs of bundle.Verify's report.
type verification struct {
	OK     bool
	Err    error // nil when OK
	Files  int
	Pinned bool
	Note   string
	Signer string // "SHA256:..."
	Checks []CheckResult
	failed map[string]bool // VM folder names with a failing file
}

// vmInfo is one VM of the exit manifest, as the drill boots it.
type vmInfo struct {
	Name        string
	GuestOS     string
	Firmware    string // "bios" or "efi"
	VCPU        int
	MemoryMiB   int64
	Controllers []string
	Disks       []diskInfo
	Bytes       int64 // plaintext bytes of all its files
}

type diskInfo struct {
	File       string // plaintext name, as open writes it into <vm>/
	Capacity   int64
	Controller string
}

// verifyBundle checks the signature and every stored hash
// (bundle.Verify), and reads the exit manifest (bundle.Inspect).
func verifyBundle(ctx context.Context, opts *Options) (*verification, BundleInfo, []vmInfo, error) {
	r, err := bundle.Verify(ctx, opts.Bundle, bundle.VerifyOptions{
		Signer: opts.Signer, SignerFingerprint: opts.SignerFingerprint,
		AllowedSigners: opts.AllowedSigners, Principal: opts.Principal,
	})
	if err != nil {
		return nil, BundleInfo{}, nil, err
	}
	insp, err := bundle.Inspect(opts.Bundle)
	if err != nil {
		return nil, BundleInfo{}, nil, err
	}
	m := insp.Manifest
	v := &verification{OK: r.OK, Err: r.Err(), Files: r.Files, Pinned: r.SignerPinned, Note: r.SignerNote, Signer: m.Signer.Fingerprint, failed: map[string]bool{}}
	if r.Signer != nil {
		v.Signer = r.Signer.Fingerprint
	}
	for _, c := range r.Checks {
		v.Checks = append(v.Checks, CheckResult{Name: c.Name, Status: c.Status, Detail: c.Detail})
		for _, f := range c.Files {
			if rest, ok := strings.CutPrefix(f.Path, bundle.PayloadDir+"/"); ok {
				vm, _, _ := strings.Cut(rest, "/")
				v.failed[vm] = true
			}
		}
	}
	bi := BundleInfo{
		Path: opts.Bundle, Created: m.Created, Tool: m.Tool, Provider: m.Provider, Customer: m.Customer,
		Description: m.Description, SignerFingerprint: v.Signer, SignerPinned: v.Pinned, SignerNote: v.Note,
		Verified: v.OK, Checks: v.Checks,
	}
	if b, err := os.ReadFile(filepath.Join(opts.Bundle, bundle.TagManifestFile)); err == nil {
		bi.TagManifestSHA256 = sha256Hex(b) // a folder's identity; a .tar has none here
	}
	if m.Terms != nil {
		bi.TermsFingerprint, bi.TermsSHA256 = m.Terms.Fingerprint, m.Terms.SHA256
	}
	var vms []vmInfo
	for _, vm := range m.VMs {
		vi := vmInfo{Name: vm.Name, Firmware: "bios"}
		if len(vm.Hardware) > 0 {
			hw := vm.Hardware[0]
			vi.GuestOS, vi.VCPU, vi.MemoryMiB, vi.Controllers = hw.GuestOS, hw.VCPU, hw.MemoryMiB, hw.DiskControllers
			if hw.Firmware != "" {
				vi.Firmware = hw.Firmware
			}
			for _, d := range hw.Disks {
				vi.Disks = append(vi.Disks, diskInfo{File: d.File, Capacity: d.CapacityBytes, Controller: d.Controller})
			}
		}
		for _, f := range vm.Files {
			vi.Bytes += f.Size
			if len(vm.Hardware) == 0 && f.Role == bundle.RoleDisk {
				vi.Disks = append(vi.Disks, diskInfo{File: f.Name})
			}
		}
		vms = append(vms, vi)
	}
	return v, bi, vms, nil
}

// restoreVM decrypts one VM's files into dir/<vm>/ (bundle.Restore), each
// checked against the bundle's hashes before it is kept.
func restoreVM(ctx context.Context, opts *Options, dir, vm string, ids []age.Identity) error {
	_, err := bundle.Restore(ctx, opts.Bundle, bundle.RestoreOptions{
		Out: dir, VMs: []string{vm}, Identities: ids,
		Signer: opts.Signer, SignerFingerprint: opts.SignerFingerprint,
		AllowedSigners: opts.AllowedSigners, Principal: opts.Principal,
	})
	return err
}
