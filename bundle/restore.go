package bundle

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/internal/check"
	"github.com/exitkit/exitkit/bundle/internal/pipeline"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/ovf"
	"github.com/exitkit/exitkit/internal/fsx"
	"golang.org/x/crypto/ssh"
)

// RestoreOptions says which VMs to restore from a bundle, where to, and
// with what keys.
type RestoreOptions struct {
	Out string   // folder that receives <vm>/<vm>.ovf, .mf, disks, NVRAM
	VMs []string // VM folder names to open; empty: all

	Identities []age.Identity // decrypt the payload; not needed for an unencrypted bundle

	// The expected signer, as in VerifyOptions. Without any, the bundle's
	// own signer.pub is used and the report says the signer is not pinned.
	Signer            ssh.PublicKey
	SignerFingerprint string
	AllowedSigners    string
	Principal         string

	// Force opens a bundle whose signature is missing or does not verify,
	// or that is marked incomplete. Every file is still checked against
	// the hashes the bundle records, but nothing then vouches for those
	// hashes; use it to rescue what is there, not to trust it.
	Force bool

	Jobs     int       // files decrypted at once; default: the number of CPUs
	Progress io.Writer // one line per file, or nil
}

// RestoreReport is what Restore did, for callers and --json.
type RestoreReport struct {
	Path string `json:"path"`
	Out  string `json:"out"`
	// Signer made the signature (not necessarily a valid one: see Forced).
	Signer       *Signer `json:"signer,omitempty"`
	SignerPinned bool    `json:"signer_pinned"` // the caller named the signer; else signer.pub was trusted
	// Forced says the bundle was restored despite the Problems its
	// signature, completeness or tag-manifest checks found (Force).
	Forced   bool         `json:"forced"`
	Problems []string     `json:"problems,omitempty"`
	VMs      []RestoredVM `json:"vms"`
}

// RestoredVM is one VM Restore wrote, or tried to.
type RestoredVM struct {
	Name   string        `json:"name"`
	Dir    string        `json:"dir"`
	Ready  bool          `json:"ready"` // every file verified and the descriptor written
	Failed []FileProblem `json:"failed,omitempty"`
}

// OutputExistsError is Restore's refusal to overwrite: the chosen VMs in
// the way and the others, so that a caller can offer to open those alone.
type OutputExistsError struct {
	Path   string   // the first file in the way
	VMs    []string // the chosen VMs with a file in the way
	Others []string // the chosen VMs with none, which could be opened
}

func (e *OutputExistsError) Error() string {
	return fmt.Sprintf("%s already exists (VM %s is already there); restore never overwrites, so choose another output folder or move it away", e.Path, strings.Join(e.VMs, ", "))
}

// Restore restores VMs from a bundle (folder or .tar) into plain OVF folders
// ready to import: <Out>/<vm>/<vm>.ovf, <vm>.mf, and the decrypted,
// decompressed disks and NVRAM under the names the .mf lists.
//
// It checks the signature over the tag manifest first and refuses an
// unsigned, incomplete or wrongly signed bundle unless Force is set. Every
// file is written under a temporary name and renamed only after its stored
// and plaintext SHA-256 matched the bundle's manifests, because age hands
// out plaintext before a later chunk fails its check. Open never
// overwrites an existing file: it refuses to start when any output exists.
// A file that fails its check is removed; the other files stay, and a VM's
// descriptor is written only when all its files succeeded, so a folder
// never looks importable when it is not. The error then wraps ErrIntegrity
// and names each failed file.
//
// The report says who signed, whether that signer was pinned, and whether
// the bundle was restored despite failed checks; it is returned with the
// error too, describing what was done before it.
func Restore(ctx context.Context, bagPath string, opts RestoreOptions) (*RestoreReport, error) {
	rep := &RestoreReport{Path: bagPath, Out: opts.Out, VMs: []RestoredVM{}}
	err := restore(ctx, bagPath, opts, rep)
	return rep, err
}

func restore(ctx context.Context, bagPath string, opts RestoreOptions, rep *RestoreReport) error {
	if opts.Out == "" {
		return errors.New("restore: no output folder given")
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	} else {
		// Progress quotes the bundle (names, problems): escaped.
		progress = manifest.EscapingWriter{W: progress}
	}
	bag, err := bagit.Open(bagPath)
	if err != nil {
		return fmt.Errorf("open %s: %w", bagPath, err)
	}
	defer bag.Close()

	m, stored, err := openPreflight(bag, bagPath, opts, progress, rep)
	if err != nil {
		return err
	}

	vms, err := chooseVMs(m, opts.VMs)
	if err != nil {
		return fmt.Errorf("open %s: %w", bagPath, err)
	}
	// Refuse before writing anything: no output may exist, and encrypted
	// files need keys.
	var exists OutputExistsError
	for _, vm := range vms {
		names := &exists.Others // until a file of vm is found in the way
		for _, name := range outputNames(vm) {
			p := filepath.Join(opts.Out, vm.Name, name)
			if _, err := os.Lstat(p); err == nil {
				exists.Path, names = cmp.Or(exists.Path, p), &exists.VMs
			}
		}
		*names = append(*names, vm.Name)
	}
	if exists.Path != "" {
		return fmt.Errorf("open %s: %w", bagPath, &exists)
	}
	for _, vm := range vms {
		for _, f := range vm.Files {
			if f.Encrypted && len(opts.Identities) == 0 {
				return fmt.Errorf("open %s: %s is encrypted; give an identity or the passphrase it was encrypted with", bagPath, f.Path)
			}
		}
	}

	var failures []error
	for _, vm := range vms {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(opts.Out, vm.Name)
		out, err := fsx.OpenDir(dir)
		if err != nil {
			return fmt.Errorf("open %s: %w", bagPath, err)
		}
		if err := removePartials(out, vm, progress); err != nil {
			out.Close()
			return fmt.Errorf("open %s: %w", bagPath, err)
		}
		errs := openVM(ctx, bag, vm, stored, out, opts, progress)
		out.Close()
		rv := RestoredVM{Name: vm.Name, Dir: dir, Ready: len(errs) == 0}
		for _, e := range errs {
			rv.Failed = append(rv.Failed, FileProblem{Path: vm.Name, Problem: e.Error()})
		}
		rep.VMs = append(rep.VMs, rv)
		if ctx.Err() != nil {
			break // reported once, below, as an interruption
		}
		if len(errs) > 0 {
			failures = append(failures, errs...)
			fmt.Fprintf(progress, "open: %s: %d files failed; its descriptor was not written\n", vm.Name, len(errs))
			continue
		}
		fmt.Fprintf(progress, "open: %s ready in %s\n", vm.Name, dir)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("open %s: interrupted; files not yet checked were removed, finished ones kept: %w", bagPath, err)
	}
	if len(failures) > 0 {
		for _, f := range failures {
			if errors.Is(f, pipeline.ErrDecrypt) {
				failures = append(failures, errors.New(pipeline.DecryptHint))
				break
			}
		}
		return fmt.Errorf("open %s: %w: %w", bagPath, ErrIntegrity, errors.Join(failures...))
	}
	return nil
}

// openPreflight reads the files restore relies on, checks that the
// signature vouches for them (or records that Force overrides it), and
// returns the exit manifest and the stored hashes of manifest-sha256.txt.
func openPreflight(bag *bagit.Bag, bagPath string, opts RestoreOptions, progress io.Writer, rep *RestoreReport) (*Manifest, map[string]string, error) {
	res, err := check.ReadTrustFiles(bag)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", bagPath, err)
	}
	vopts := VerifyOptions{Signer: opts.Signer, SignerFingerprint: opts.SignerFingerprint, AllowedSigners: opts.AllowedSigners, Principal: opts.Principal, Now: time.Now}
	pin := vopts.pin()
	if err := pin.Load(); err != nil {
		return nil, nil, fmt.Errorf("open: %w", err)
	}
	e := check.NewEvaluator(res, pin)
	problems := check.TrustProblems(e, res)
	rep.Signer, rep.SignerPinned = e.Report().Signer, e.Report().SignerPinned
	if e.Report().Signer != nil {
		how := "pinned"
		if !e.Report().SignerPinned {
			how = "NOT pinned: compare this fingerprint with the one the provider published"
		}
		fmt.Fprintf(progress, "open: signed by %s (%s)\n", e.Report().Signer.Fingerprint, how)
	}
	if len(problems) > 0 {
		if !opts.Force {
			cause := ErrSignature
			hint := "check the bundle with exitbundle verify; forcing opens it anyway, checking every file against the bundle's own, unauthenticated hashes"
			if e.Report().Incomplete {
				cause = ErrIncomplete
				hint = "run the same create command again to resume it, or force the restore to rescue what is there"
			}
			return nil, nil, fmt.Errorf("open %s: %w:\n  %s\n%s", bagPath, cause, strings.Join(problems, "\n  "), hint)
		}
		rep.Forced, rep.Problems = true, problems
		fmt.Fprintf(progress, "open: WARNING: opening despite:\n  %s\n", strings.Join(problems, "\n  "))
	}
	m, stored, err := readDescription(res)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", bagPath, err)
	}
	return m, stored, nil
}

// readDescription parses the exit manifest and the payload manifest.
func readDescription(res *check.Result) (*Manifest, map[string]string, error) {
	ms, ok := res.Files[ManifestFile]
	if !ok {
		return nil, nil, fmt.Errorf("no %s: %w", ManifestFile, ErrIntegrity)
	}
	lines, err := bagit.ParseManifest(ms.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v: %w", ManifestFile, err, ErrIntegrity)
	}
	stored := map[string]string{}
	for _, l := range lines {
		stored[l.Path] = l.SHA256
	}
	em, ok := res.Files[ExitManifestFile]
	if !ok {
		return nil, nil, fmt.Errorf("no %s: %w", ExitManifestFile, ErrIntegrity)
	}
	m, err := manifest.Decode(em.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("%v: %w", err, ErrIntegrity)
	}
	return m, stored, nil
}

func chooseVMs(m *Manifest, names []string) ([]VM, error) {
	var all []string
	for _, vm := range m.VMs {
		all = append(all, vm.Name)
		if vm.Name == "" || SanitizeName(vm.Name) != vm.Name {
			return nil, fmt.Errorf("%s names an unsafe VM folder %q: %w", ExitManifestFile, bagit.Clip(vm.Name), ErrIntegrity)
		}
		for _, f := range vm.Files {
			if err := checkOutputName(f.Name); err != nil {
				return nil, fmt.Errorf("VM %s: %w: %w", vm.Name, err, ErrIntegrity)
			}
		}
	}
	if len(names) == 0 {
		return m.VMs, nil
	}
	var out []VM
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		i := slices.IndexFunc(m.VMs, func(vm VM) bool { return vm.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("no VM %q in the bundle; it holds: %s", n, strings.Join(all, ", "))
		}
		out = append(out, m.VMs[i])
	}
	return out, nil
}

func checkOutputName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") {
		return fmt.Errorf("unsafe file name %q", bagit.Clip(name))
	}
	if manifest.HasControl(name) {
		return fmt.Errorf("file name \"%s\" holds control characters, which restore never writes (they can rewrite a terminal)", manifest.Escape(bagit.Clip(name)))
	}
	return nil
}

// partialName matches fsx's temporary names: .<name>.<12 hex>.exitbundle-partial.
var partialName = regexp.MustCompile(`^\.(.+)\.[0-9a-f]{12}\.exitbundle-partial$`)

// removePartials deletes what an earlier, killed restore of vm left in
// its folder: temporary files never verified, which must not stay beside
// the verified ones. Only the temporaries of the VM's own output names are
// touched.
func removePartials(dir *fsx.Dir, vm VM, progress io.Writer) error {
	mine := map[string]bool{}
	for _, n := range outputNames(vm) {
		mine[n] = true
	}
	list, err := dir.ReadDir(".")
	if err != nil {
		return err
	}
	for _, d := range list {
		m := partialName.FindStringSubmatch(d.Name())
		if m == nil || !mine[m[1]] || d.IsDir() {
			continue
		}
		if err := dir.Remove(d.Name()); err != nil {
			return fmt.Errorf("remove an earlier run's unverified %s: %w", dir.Join(d.Name()), err)
		}
		fmt.Fprintf(progress, "open: removed an earlier run's unverified partial file %s\n", dir.Join(d.Name()))
	}
	return nil
}

// outputNames lists the files Open writes for a VM.
func outputNames(vm VM) []string {
	names := []string{path.Base(vm.OVF), path.Base(vm.MF)}
	for _, f := range vm.Files {
		if f.Path == vm.OVF || f.Path == vm.MF {
			continue
		}
		names = append(names, f.Name)
	}
	return names
}

// openVM writes one VM: payload files first (in parallel), then the .mf,
// then the descriptor, so that the descriptor's presence means the folder
// is complete.
func openVM(ctx context.Context, bag *bagit.Bag, vm VM, stored map[string]string, dir *fsx.Dir, opts RestoreOptions, progress io.Writer) []error {
	mfData, err := bag.ReadListed(vm.MF)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", vm.MF, err)}
	}
	if sum := sha256.Sum256(mfData); hex.EncodeToString(sum[:]) != stored[vm.MF] {
		return []error{fmt.Errorf("%s: SHA-256 differs from %s", vm.MF, ManifestFile)}
	}
	mf, err := ovf.ParseMF(mfData)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", vm.MF, err)}
	}
	ovfData, err := bag.ReadListed(vm.OVF)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", vm.OVF, err)}
	}
	ovfSum := sha256.Sum256(ovfData)
	if hex.EncodeToString(ovfSum[:]) != stored[vm.OVF] {
		return []error{fmt.Errorf("%s: SHA-256 differs from %s", vm.OVF, ManifestFile)}
	}
	if l := mf[path.Base(vm.OVF)]; l.Sum != hex.EncodeToString(ovfSum[:]) {
		return []error{fmt.Errorf("%s: SHA-256 differs from %s", vm.OVF, path.Base(vm.MF))}
	}
	if err := check.Hrefs(vm, ovfData); err != nil {
		return []error{err}
	}

	var files []File
	for _, f := range vm.Files {
		if f.Path != vm.OVF && f.Path != vm.MF {
			files = append(files, f)
		}
	}
	var mu sync.Mutex
	var errs []error
	ch := make(chan File)
	var wg sync.WaitGroup
	for range max(1, min(opts.Jobs, len(files))) {
		wg.Go(func() {
			for f := range ch {
				err := openFile(ctx, bag, f, stored[f.Path], mf[f.Name], dir, opts.Identities)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					if ctx.Err() == nil { // an interruption is reported once, by the error returned
						fmt.Fprintf(progress, "open: %s/%s FAILED: %v\n", vm.Name, f.Name, err)
					}
				} else {
					fmt.Fprintf(progress, "open: %s/%s %s verified\n", vm.Name, f.Name, manifest.HumanBytes(f.Size))
				}
				mu.Unlock()
			}
		})
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
	if len(errs) > 0 {
		return errs
	}
	if err := fsx.WriteNew(dir, path.Base(vm.MF), mfData, 0o644); err != nil {
		return []error{err}
	}
	if err := fsx.WriteNew(dir, path.Base(vm.OVF), ovfData, 0o644); err != nil {
		return []error{err}
	}
	return nil
}

// openFile decrypts and decompresses one stored file into dir/f.Name,
// through a temporary file that is renamed only after every hash matched.
func openFile(ctx context.Context, bag *bagit.Bag, f File, storedSum string, mfl ovf.MFLine, dir *fsx.Dir, ids []age.Identity) (err error) {
	what := f.Path
	if storedSum == "" {
		return fmt.Errorf("%s: not listed in %s", what, ManifestFile)
	}
	if mfl.Sum == "" {
		return fmt.Errorf("%s: %s is not listed in the VM's .mf", what, f.Name)
	}
	if mfl.Sum != strings.ToLower(f.SHA256) {
		return fmt.Errorf("%s: the .mf and %s disagree on its SHA-256", what, ExitManifestFile)
	}
	src, err := bag.OpenListed(f.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer src.Close()

	enc, comp := check.StoredForm(f.Path)
	if enc != f.Encrypted || comp != (f.Compression == "zstd") {
		return fmt.Errorf("%s: its name disagrees with the encryption or compression %s records", what, ExitManifestFile)
	}
	err = pipeline.DecodeFile(ctx, src, dir, f.Name, pipeline.Want{
		Encrypted: enc, Compressed: comp, StoredSHA256: storedSum, Size: f.Size, SHA256: mfl.Sum,
	}, ids)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
