// Package demo runs exitbundle's main job end to end on a fresh machine
// with nothing but Go: Run starts govmomi's vCenter simulator in-process
// with three sample VMs, exports them through the vSphere source into an
// encrypted, signed bundle, and verifies it.
//
// The sample VMs are small but real: their disks are streamOptimized
// VMDKs written by internal/vmdk (one EFI VM with its NVRAM and running,
// so it is exported through a temporary snapshot; one with two disks; one
// on a distributed port group), and each VM's boot disk carries
// internal/guest's boot program, so that `exitbundle drill` of the bundle
// (Result.DrillCommand) boots all three in QEMU and sees each print
// "exitkit demo guest NAME running". The keys are throwaway ones written
// next to the bundle. Nothing keeps running after Run returns.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/index"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/guest"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/internal/vcsimx"
	"github.com/exitkit/exitkit/internal/vmdk"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/module"
)

// DefaultDir is where the demo writes when no folder is given.
const DefaultDir = "exitbundle-demo"

// ErrNotEmpty means the demo folder holds something an earlier demo did
// not write (see MarkerFile).
var ErrNotEmpty = errors.New("demo folder is not empty")

// Principal names the demo signer in allowed_signers.
const Principal = "exitbundle-demo"

// Options for Run.
type Options struct {
	Dir      string    // folder to write into: new, empty or an earlier demo's
	Progress io.Writer // steps and create's progress; nil: quiet

	// Profile, when set, is a customer profile of the clause library in
	// Content: its exit-management module is rendered and embedded in the
	// bundle as TERMS.html, and its parties name the bundle's provider and
	// customer, so the demo shows both halves of exitkit meeting.
	Content, Profile string
}

// Result is where everything went.
type Result struct {
	Dir            string
	Bundle         string // the bundle folder
	Index          string // its index.html
	SigningKey     string // OpenSSH private key (and .pub)
	AllowedSigners string // for ssh-keygen -Y verify
	AgeIdentity    string // age identity the payload is encrypted to
	Terms          string // the customer's module embedded as TERMS.html; "" without a profile
	Manifest       *bundle.Manifest
	Report         *bundle.Report
}

// Run writes the demo into opts.Dir and verifies it.
func Run(ctx context.Context, opts Options) (*Result, error) {
	dir := opts.Dir
	if dir == "" {
		dir = DefaultDir
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, "demo: "+format+"\n", args...) }
	if err := claimDir(dir, demoEntries(opts.Profile != ""), step); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		dir = abs
	}

	res := &Result{
		Dir:            dir,
		Bundle:         filepath.Join(dir, "bundle"),
		SigningKey:     filepath.Join(dir, "keys", "signing-key"),
		AllowedSigners: filepath.Join(dir, "keys", "allowed_signers"),
		AgeIdentity:    filepath.Join(dir, "keys", "age-identity.txt"),
	}
	res.Index = filepath.Join(res.Bundle, bundle.IndexFile)
	if err := fsx.MkdirAll(filepath.Dir(res.SigningKey), 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	step("generating a throwaway signing key and age identity in %s", filepath.Dir(res.SigningKey))
	pub, err := keys.GenerateSigningKey(res.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	signer, err := keys.LoadSigner(res.SigningKey, nil)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	allowed := fmt.Sprintf("%s namespaces=%q %s", Principal, bundle.SignatureNamespace, ssh.MarshalAuthorizedKey(pub))
	if err := fsx.WriteNewFile(res.AllowedSigners, []byte(allowed), 0o644); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	id, err := keys.GenerateAgeIdentity(res.AgeIdentity)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	// vcsim logs every TLS handshake a thumbprint check starts with, and
	// more; the demo's output is for people. This is the global logger
	// because there is no other way in: govmomi's simulator starts its
	// http.Server inside Service.NewServer (too late to set ErrorLog without
	// a race) and logs through the log package itself. The previous output
	// is restored when the demo returns.
	prevLog := log.Writer()
	log.SetOutput(io.Discard)
	defer log.SetOutput(prevLog)

	step("starting a vCenter simulator in this process")
	lab, err := vcsimx.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer lab.Close()
	if err := addSampleVMs(ctx, lab, step); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	info := bundle.Info{
		Provider:    "Example Cloud (demo)",
		Customer:    "ACME (demo)",
		Contact:     "exit@example.invalid",
		Description: "exitbundle demo: three sample VMs from a simulated vCenter",
	}
	if opts.Profile != "" {
		res.Terms = filepath.Join(dir, "terms.html")
		step("rendering the exit-management module of %s from the clause library in %s", opts.Profile, opts.Content)
		if info, err = writeTerms(opts.Content, opts.Profile, res.Terms, signer, info); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}

	url := lab.URL("folder=Acme")
	step("exporting %s (certificate pinned to %s...)", url, lab.Thumbprint[:23])
	src, err := vsphere.Open(ctx, url, vsphere.Options{
		Password:   func() (string, error) { return lab.Password, nil },
		Thumbprint: lab.Thumbprint,
		Log:        progress,
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	m, err := bundle.Create(ctx, bundle.CreateOptions{
		Sources:        []bundle.Source{src},
		Out:            res.Bundle,
		Signer:         signer,
		Recipients:     []age.Recipient{id.Recipient()},
		RecipientNames: []string{id.Recipient().String()},
		Info:           info,
		Terms:          res.Terms,
		Progress:       progress,
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.Manifest = m

	step("verifying the bundle: signature by the demo key, every stored and decrypted hash")
	rep, err := bundle.Verify(ctx, res.Bundle, bundle.VerifyOptions{Signer: pub, Identities: []age.Identity{id}})
	if err != nil {
		return nil, fmt.Errorf("demo: verify: %w", err)
	}
	res.Report = rep
	if !rep.OK {
		return res, fmt.Errorf("demo: the bundle just written does not verify: %w", rep.Err())
	}
	return res, nil
}

// writeTerms renders the profile's module into path, signed (path.sig) by
// the demo's signing key and naming it as the key that signs exit
// bundles: the profile's own signing_key is the real provider's, which did
// not sign the demo bundle, so a trustee checking TERMS.html against
// signer.pub would take the bundle for a forgery (and create refuses such
// terms). The bundle's parties are the module's, as create checks.
func writeTerms(content, profile, path string, signer ssh.Signer, info bundle.Info) (bundle.Info, error) {
	lib, err := clause.Load(content)
	if err != nil {
		return info, err
	}
	p, err := clause.LoadProfile(profile)
	if err != nil {
		return info, err
	}
	p.Provider.SigningKey = ""
	mod, err := module.Render(lib, p, module.Options{Signer: ssh.FingerprintSHA256(signer.PublicKey())})
	if err != nil {
		return info, fmt.Errorf("render the module of %s: %w", profile, err)
	}
	sig, err := terms.Sign(signer, mod.HTML)
	if err != nil {
		return info, err
	}
	if err := fsx.WriteNewFile(path, mod.HTML, 0o644); err != nil {
		return info, err
	}
	if err := fsx.WriteNewFile(path+terms.SignatureSuffix, sig, 0o644); err != nil {
		return info, err
	}
	info.Provider = p.Provider.Name
	info.Customer = p.Customer.Name
	if p.Provider.Contact != "" {
		info.Contact = p.Provider.Contact
	}
	return info, nil
}

// sampleDisk writes a streamOptimized VMDK of a small disk with a few
// recognisable, partly compressible regions.
func sampleDisk(dir, name string, capacity int64, seed uint64) (vcsimx.Disk, error) {
	raw := make([]byte, capacity)
	copy(raw, "exitbundle demo disk "+name+"\n")
	r := rand.New(rand.NewPCG(seed, 42))
	text := []byte(strings.Repeat("The customer's data, exported with exitbundle. ", 40))
	for off := int64(1 << 20); off+int64(len(text)) < capacity/2; off += 256 << 10 {
		copy(raw[off:], text)
	}
	for i := capacity / 2; i < capacity/2+(512<<10) && i < capacity; i++ {
		raw[i] = byte(r.Uint32())
	}
	p := filepath.Join(dir, name+".vmdk")
	var disk bytes.Buffer
	if err := vmdk.WriteStreamOptimized(&disk, bytes.NewReader(raw), capacity); err != nil {
		return vcsimx.Disk{}, err
	}
	return vcsimx.Disk{VMDK: p, Capacity: capacity}, fsx.WriteNewFile(p, disk.Bytes(), 0o644)
}

// bootDisk writes a streamOptimized VMDK of internal/guest's disk for the
// VM called vm: it boots under fw and prints "exitkit demo guest VM
// running" on the serial console and the screen.
func bootDisk(dir, file, vm string, fw guest.Firmware, capacity int64) (vcsimx.Disk, error) {
	im, err := guest.Disk(vm, fw, capacity)
	if err != nil {
		return vcsimx.Disk{}, err
	}
	var disk bytes.Buffer
	if err := vmdk.WriteStreamOptimized(&disk, im, capacity); err != nil {
		return vcsimx.Disk{}, err
	}
	p := filepath.Join(dir, file+".vmdk")
	return vcsimx.Disk{VMDK: p, Capacity: capacity}, fsx.WriteNewFile(p, disk.Bytes(), 0o644)
}

func addSampleVMs(ctx context.Context, lab *vcsimx.Lab, step func(string, ...any)) error {
	tmp, err := fsx.MkdirTemp("", "exitbundle-demo-disks-")
	if err != nil {
		return err
	}
	defer fsx.RemoveAll(tmp)
	disk := func(name string, mib int64, seed uint64) vcsimx.Disk {
		if err != nil {
			return vcsimx.Disk{}
		}
		var d vcsimx.Disk
		d, err = sampleDisk(tmp, name, mib<<20, seed)
		return d
	}
	boot := func(file, vm string, fw guest.Firmware, mib int64) vcsimx.Disk {
		if err != nil {
			return vcsimx.Disk{}
		}
		var d vcsimx.Disk
		d, err = bootDisk(tmp, file, vm, fw, mib<<20)
		return d
	}
	web := boot("web", "web", guest.EFI, 16)
	db1, db2 := boot("db-system", "db", guest.BIOS, 16), disk("db-data", 24, 3)
	mail := boot("mail", "mail", guest.BIOS, 8)
	if err != nil {
		return fmt.Errorf("write sample disks: %w", err)
	}
	nvram := bytes.Repeat([]byte("EFI variables of the demo web VM\n"), 256)
	specs := []vcsimx.VMSpec{
		{Name: "web", Folder: "Acme", GuestID: "ubuntu64Guest", CPUs: 2, MemoryMB: 2048, Firmware: "efi", NVRAM: nvram, Disks: []vcsimx.Disk{web}, PowerOn: true},
		{Name: "db", Folder: "Acme", GuestID: "rhel9_64Guest", CPUs: 4, MemoryMB: 8192, Disks: []vcsimx.Disk{db1, db2}},
		{Name: "mail", Folder: "Acme", GuestID: "debian12_64Guest", CPUs: 1, MemoryMB: 1024, Network: "DC0_DVPG0", Disks: []vcsimx.Disk{mail}},
	}
	for _, s := range specs {
		if _, err := lab.AddVM(ctx, s); err != nil {
			return err
		}
	}
	step("created VMs Acme/web (EFI with NVRAM, running), Acme/db (two disks), Acme/mail (distributed port group), each booting a tiny demo guest")
	return nil
}

// DrillMarker is what drill --expect waits for: every demo guest prints it.
const DrillMarker = "exitkit demo guest"

// DrillCommand is the exitbundle drill command that restores and boots
// every VM of the demo bundle in QEMU, writing a report signed with the
// demo key into out.
func (r *Result) DrillCommand(out string) string {
	return fmt.Sprintf("exitbundle drill %s --identity %s --out %s --expect '%s' --sign-key %s",
		index.ShellQuote(r.Bundle), index.ShellQuote(r.AgeIdentity), index.ShellQuote(out), DrillMarker, index.ShellQuote(r.SigningKey))
}

// Commands are the stock-tool commands that check a demo bundle by hand,
// to be run in the bundle folder.
func (r *Result) Commands() []string {
	var disk, name string
	for _, vm := range r.Manifest.VMs {
		for _, f := range vm.Files {
			if f.Role == bundle.RoleDisk && disk == "" {
				disk, name = f.Path, f.Name
			}
		}
	}
	cmds := []string{
		"cd " + index.ShellQuote(r.Bundle),
		"sha256sum -c tagmanifest-sha256.txt",
		"sha256sum -c manifest-sha256.txt",
		fmt.Sprintf("ssh-keygen -Y verify -f %s -I %s -n %s -s %s < %s",
			index.ShellQuote(r.AllowedSigners), Principal, bundle.SignatureNamespace, bundle.SignatureFile, bundle.TagManifestFile),
	}
	if disk != "" {
		// Beside the bundle (a file inside it would be unlisted), in a
		// folder the demo's marker claims, so a rerun replaces it.
		dir := filepath.Join(r.Dir, RestoredDir)
		out := filepath.Join(dir, name)
		dec := fmt.Sprintf("age -d -i %s %s", index.ShellQuote(r.AgeIdentity), disk)
		if strings.Contains(disk, ".zst") {
			dec += " | zstd -d"
		}
		cmds = append(cmds,
			"mkdir -p "+index.ShellQuote(dir),
			dec+" > "+index.ShellQuote(out),
			"qemu-img check "+index.ShellQuote(out)+" && qemu-img info "+index.ShellQuote(out))
	}
	return cmds
}
