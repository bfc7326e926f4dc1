package bundle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/bagit/tarsink"
	"github.com/exitkit/exitkit/bundle/internal/journal"
	"github.com/exitkit/exitkit/bundle/internal/pipeline"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/ovf"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/progress"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/templates"
)

// CreateOptions says what Create exports and how.
type CreateOptions struct {
	Sources []Source

	// Out is the bundle folder to write: new, empty, or an unfinished
	// bundle of the same command to resume. Tar, instead, writes the bag as
	// one tar file in one pass (resumable; its journal and tag files wait
	// in Tar+".parts"). Tar "-" streams the tar to TarOut, not resumable,
	// and needs Compress "none", since each header precedes its data.
	Out    string
	Tar    string
	TarOut io.Writer

	Signer ssh.Signer // signs the tag manifest (SSHSIG, namespace exitbundle)

	// Recipients encrypt every payload file but descriptors and .mf files
	// with age; RecipientNames are their public strings for the manifest
	// and index. Passphrase, instead, encrypts with an scrypt recipient and
	// cannot be combined with Recipients. With neither, files are stored
	// unencrypted (still signed), and the index says so.
	Recipients     []age.Recipient
	RecipientNames []string
	Passphrase     []byte

	// Compress is "none", "zstd" or "auto" (the default). auto stores a
	// file that is compressed already (a streamOptimized VMDK, whose
	// grains are deflated, or an archive: known by its magic number) as it
	// is, and every other one as a zstd stream that compresses only the
	// segments that compress (autozstd), deciding as the data flows: an
	// encrypted file system inside a disk costs about what none costs, and
	// `zstd -d` restores every .zst file.
	Compress string

	Jobs int // files transferred at once; 0: the number of CPUs

	Info Info

	// Terms is an exitsite contract module (HTML) to embed as TERMS.html,
	// checked before anything is exported (see checkTerms); Info's
	// Customer and Provider, when empty, are taken from it.
	Terms string

	// Templates brands the index (index.html, README.txt): the files under
	// bundle/ in it (see templates.Open) replace the defaults. nil: the
	// embedded defaults.
	Templates fs.FS

	// ShowOrigin prints in the index where each VM was exported from (a
	// vCenter URL, a folder); by default only the kind of source is shown
	// (see index.Options).
	ShowOrigin bool

	Progress io.Writer // nil: quiet
	Terminal bool      // Progress is a terminal: redraw in place
}

// seams are what tests vary in create beyond its options: where faults
// are injected and how long to wait. Create uses none of them.
type seams struct {
	retryDelay time.Duration                               // first back-off; doubles per retry; 0: a second
	scryptLogN int                                         // passphrase work factor; 0: age's default
	wrap       bagit.Wrap                                  // decorates the sink's folders (fsx.Faulty)
	wrapOutput func(bagPath string, w io.Writer) io.Writer // wraps each stored file's writer
}

// Info is the bag's provenance, written to bag-info.txt, the manifest and
// the index.
type Info struct {
	Provider    string // Source-Organization
	Customer    string
	Contact     string // an email address: Contact-Email (a contact with none is written as Contact-Name)
	ContactName string // Contact-Name
	Description string // External-Description
}

// maxRetries is how often a file is retried after a transient source error.
const maxRetries = 3

// ErrVMFailed is wrapped by Create's error when one or more VMs could not
// be exported; the others were, and the bundle is left unsigned so that
// running the same command again finishes it.
var ErrVMFailed = errors.New("one or more VMs failed")

// Create exports every VM of the sources into a signed BagIt bundle; see
// the package documentation for the layout. It returns the manifest it
// wrote.
//
// Create resumes: when the output is an unfinished bundle of the same
// command (interrupted by Ctrl-C, a crash or kill -9), files already
// stored are checked by re-hashing and kept, and only the rest is
// transferred. When a VM fails, the others are still exported and Create
// returns an error wrapping ErrVMFailed, leaving the bundle unsigned.
func Create(ctx context.Context, opts CreateOptions) (*Manifest, error) {
	return create(ctx, opts, seams{})
}

func create(ctx context.Context, opts CreateOptions, sm seams) (*Manifest, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	checkedTerms, err := checkTerms(&opts)
	if err != nil {
		return nil, err
	}
	if sm.retryDelay == 0 {
		sm.retryDelay = time.Second
	}
	sink, err := openSink(&opts, sm.wrap)
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	defer sink.Close()
	out := sink.FS()
	params := paramsHash(&opts)
	key, deterministic, err := journal.DeriveKey(opts.Signer, params, opts.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	defer clear(key)
	j, signed, err := journal.Open(out, params, key, time.Now())
	if errors.Is(err, journal.ErrForged) && !deterministic {
		err = fmt.Errorf("%w; note: this signing key (%s) signs with fresh randomness each time, so create cannot authenticate an earlier run's journal and cannot resume with it: use an ed25519 key (exitbundle keygen --type sign), or start over in a new output folder", err, opts.Signer.PublicKey().Type())
	}
	if sink.FinishesSigned() && errors.Is(err, ErrFinished) {
		// Killed after the signature: only the tar's tag files and rename are left.
		return finishSink(sink)
	}
	if err != nil {
		return nil, fmt.Errorf("create: output %s: %w", sink, err)
	}
	if signed {
		if err := j.FinishSeal(); err != nil {
			return nil, fmt.Errorf("create %s: %w", sink, err)
		}
		return finishSink(sink)
	}
	defer j.Close()

	c := &creator{
		opts:  &opts,
		seams: sm,
		sink:  sink,
		out:   out,
		j:     j,
		pool:  pipeline.NewPool(16*opts.Jobs + 4),
		prog:  progress.New(opts.Progress, progress.TerminalWidth(opts.Progress, opts.Terminal)),
		sem:   make(chan struct{}, opts.Jobs),
		terms: checkedTerms,
	}
	if len(opts.Passphrase) > 0 {
		r, err := age.NewScryptRecipient(string(opts.Passphrase))
		if err != nil {
			return nil, fmt.Errorf("create: passphrase: %w", err)
		}
		if sm.scryptLogN > 0 {
			r.SetWorkFactor(sm.scryptLogN)
		}
		c.recipients = []age.Recipient{&pipeline.SerialRecipient{R: r}}
	} else {
		c.recipients = opts.Recipients
	}

	// Sources that know their sizes now plan them all at once, so the
	// total and its ETA cover every file of every VM from the start.
	preplanned := map[int]bool{}
	for i, src := range opts.Sources {
		if p, ok := src.(Planner); ok {
			c.prog.Plan(p.PlannedBytes())
			preplanned[i] = true
		}
	}
	c.exportAll(ctx, preplanned)
	c.prog.Close()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s: interrupted (%w); the bundle is unfinished and unsigned: run the same command again to resume", sink, err)
	}
	if len(c.errs) > 0 {
		return nil, fmt.Errorf("create %s: %w: %w\nthe VMs that succeeded are stored, but the bundle is unfinished and unsigned: fix the cause and run the same command again to finish it", sink, ErrVMFailed, errors.Join(c.errs...))
	}
	if len(c.vms) == 0 {
		return nil, fmt.Errorf("create %s: the sources hold no VMs; give a folder of OVF exports, an .ova file or a vSphere URL", sink)
	}
	m, err := c.finish()
	if err != nil {
		return nil, fmt.Errorf("create %s: %w; the bundle is unfinished: run the same command again to finish it", sink, err)
	}
	if err := sink.Finish(m.Created); err != nil {
		return nil, err
	}
	return m, nil
}

// openSink opens the folder, tar or tar stream the options name. A
// stream takes one file at a time anyway, so it is exported one at a time.
func openSink(opts *CreateOptions, wrap bagit.Wrap) (bagit.Sink, error) {
	if opts.Tar == "-" {
		switch {
		case opts.TarOut == nil:
			return nil, errors.New("a tar stream needs TarOut")
		case opts.Compress != "none":
			return nil, fmt.Errorf("--tar - streams each file after its size in the tar header, which compression (%s) knows only at the end: use --compress none, or write a tar file", opts.Compress)
		}
		opts.Jobs = 1
		return tarsink.NewStream(opts.TarOut, "the tar stream on standard output (not resumable: run a failed create again from the start)", wrap)
	}
	if opts.Tar != "" {
		return tarsink.NewTar(opts.Tar, wrap)
	}
	return bagit.NewFolder(opts.Out, wrap)
}

// finishSink finishes a bag that is already signed: it reads back the
// manifest the signature covers and lets the sink make the output final.
func finishSink(sink bagit.Sink) (*Manifest, error) {
	m, err := readManifest(sink.FS())
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", sink, err)
	}
	if err := sink.Finish(m.Created); err != nil {
		return nil, err
	}
	return m, nil
}

func checkOptions(o *CreateOptions) error {
	switch {
	case len(o.Sources) == 0:
		return errors.New("create: no sources given")
	case (o.Out == "") == (o.Tar == ""):
		return errors.New("create: give exactly one of an output folder or a tar file")
	case o.Signer == nil:
		return errors.New("create: no signing key given")
	case len(o.Passphrase) > 0 && len(o.Recipients) > 0:
		return errors.New("create: a passphrase cannot be combined with recipients (age allows an scrypt recipient only alone)")
	case len(o.RecipientNames) != 0 && len(o.RecipientNames) != len(o.Recipients):
		return errors.New("create: RecipientNames must name each recipient")
	}
	seen := map[string]bool{}
	for _, s := range o.Sources {
		if seen[s.String()] {
			return fmt.Errorf("create: source %s is given twice; its VMs would be exported twice", s)
		}
		seen[s.String()] = true
	}
	switch o.Compress {
	case "":
		o.Compress = "auto"
	case "none", "zstd", "auto":
	default:
		return fmt.Errorf("create: unknown compression %q; use none, zstd or auto", o.Compress)
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	return nil
}

type creator struct {
	opts       *CreateOptions
	seams      seams
	sink       bagit.Sink
	out        fsx.FS // the sink's folder: every name is a bag path
	j          *journal.Journal
	pool       *pipeline.Pool
	prog       *progress.Meter
	sem        chan struct{}
	recipients []age.Recipient
	terms      *terms.Checked // the --terms module as checked; nil: none
	sizer      pipeline.Sizer // stored sizes known before the data flows

	mu         sync.Mutex
	vms        []VM // in source order, once every source is done
	errs       []error
	compressed bool                   // some file was stored with zstd
	sources    []manifest.SourceCount // the VMs found per source, before exporting
}

func (c *creator) fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
	c.prog.Line("error: %v", err)
}

// exportAll exports every source at once: Jobs bounds the files in
// flight across all of them (see storeFiles), so an estate of single-disk
// VMs keeps as many pipelines busy as one VM with many disks. The VMs are
// listed in the manifest in source order, not in the order they finished.
func (c *creator) exportAll(ctx context.Context, preplanned map[int]bool) {
	folders := source.Folders(c.opts.Sources)
	done := make([][]*VM, len(folders))
	for i, src := range c.opts.Sources {
		n := len(folders[i])
		done[i] = make([]*VM, n)
		c.prog.Line("source %s: %d VM%s found", src, n, map[bool]string{true: "s"}[n != 1])
		c.sources = append(c.sources, manifest.SourceCount{Source: src.String(), VMs: n})
	}
	errs := source.ExportAll(ctx, c.opts.Sources, folders, c.opts.Jobs, func(ctx context.Context, slot source.Slot, svm *SourceVM) error {
		vm, err := c.vm(ctx, slot.Folder, svm, preplanned[slot.Source])
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			// The source goes on with its other VMs.
			c.fail(fmt.Errorf("VM %s (%s): %w", slot.Folder, svm.Origin, err))
			return nil
		}
		done[slot.Source][slot.Seq] = vm // each slot is written once, by one goroutine
		return nil
	})
	for _, err := range errs {
		c.fail(err)
	}
	for _, vms := range done {
		for _, vm := range vms {
			if vm != nil {
				c.vms = append(c.vms, *vm)
			}
		}
	}
}

// filePlan is one source file and where it goes.
type filePlan struct {
	sf     SourceFile
	vm     string
	name   string // plaintext name in the VM folder
	role   string
	source string       // the source file's identity, bound into its journal record
	ref    *ovf.FileRef // the descriptor's References/File, if any
	stated int64        // ovf:size stated by the descriptor, or -1
}

// vm exports one VM: plan where each file goes, store the files, then
// write the descriptor and .mf that describe what was stored.
func (c *creator) vm(ctx context.Context, name string, svm *SourceVM, planned bool) (*VM, error) {
	desc, err := ovf.Parse(bytes.NewReader(svm.Descriptor))
	if err != nil {
		return nil, fmt.Errorf("read descriptor: %w", err)
	}
	vmDir := path.Join(PayloadDir, name)
	if err := c.out.MkdirAll(vmDir, 0o755); err != nil {
		return nil, fmt.Errorf("create VM folder: %w", err)
	}
	taken := map[string]bool{}
	ovfName := manifest.UniqueName(name+".ovf", taken)
	mfName := manifest.UniqueName(name+".mf", taken)
	plans, err := planFiles(name, svm, desc, taken)
	if err != nil {
		return nil, err
	}
	if !planned {
		for _, p := range plans {
			c.prog.Plan(p.sf.Size)
		}
	}
	files, err := c.storeFiles(ctx, vmDir, plans)
	if err != nil {
		return nil, err
	}
	return c.describe(vmDir, name, ovfName, mfName, svm, desc, plans, files)
}

// planFiles decides each source file's plaintext name in the VM folder
// (sanitized, unique within taken) and role, and what the descriptor
// states about it.
func planFiles(vm string, svm *SourceVM, desc *ovf.Descriptor, taken map[string]bool) ([]filePlan, error) {
	diskRef := map[string]bool{}
	for _, d := range desc.Disks {
		if d.FileRef != "" {
			diskRef[d.FileRef] = true
		}
	}
	have := map[string]bool{}
	for _, sf := range svm.Files {
		have[sf.Href] = true
	}
	for _, r := range desc.Files {
		if !have[r.Href] {
			return nil, fmt.Errorf("the descriptor references %q, which the source does not hold; re-export the VM with all its files", r.Href)
		}
	}
	plans := make([]filePlan, len(svm.Files))
	for i, sf := range svm.Files {
		base := path.Base(strings.ReplaceAll(sf.Href, `\`, "/"))
		p := filePlan{sf: sf, vm: vm, name: manifest.UniqueName(SanitizeName(base), taken), role: RoleOther, stated: -1}
		p.source = fmt.Sprintf("%q href %q size %d stamp %q", svm.Origin, sf.Href, sf.Size, sf.Stamp)
		for j := range desc.Files {
			if desc.Files[j].Href == sf.Href {
				p.ref = &desc.Files[j]
				if p.ref.Size > 0 {
					p.stated = p.ref.Size
				}
				if diskRef[p.ref.ID] {
					p.role = RoleDisk
				}
				break
			}
		}
		if p.role == RoleOther && strings.HasSuffix(strings.ToLower(base), ".nvram") {
			p.role = RoleNVRAM
		}
		plans[i] = p
	}
	return plans, nil
}

// storeFiles stores a VM's files in parallel, bounded by Jobs across
// every VM of every source.
func (c *creator) storeFiles(ctx context.Context, vmDir string, plans []filePlan) ([]File, error) {
	files := make([]File, len(plans))
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	for i := range plans {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-c.sem }()
			files[i], errs[i] = c.file(ctx, vmDir, &plans[i])
		}()
	}
	wg.Wait()
	return files, errors.Join(errs...)
}

// describe writes the VM's descriptor, its hrefs and sizes rewritten to
// what was stored, and the .mf of the plaintext files, and returns the
// VM's entry in the exit manifest.
func (c *creator) describe(vmDir, name, ovfName, mfName string, svm *SourceVM, desc *ovf.Descriptor, plans []filePlan, files []File) (*VM, error) {
	edits := map[string]ovf.FileRef{}
	byRef := map[string]string{}
	for i, p := range plans {
		if p.ref != nil {
			edits[p.ref.Href] = ovf.FileRef{ID: p.ref.ID, Href: p.name, Size: files[i].Size}
			byRef[p.ref.ID] = p.name
		}
	}
	descriptor, err := ovf.Rewrite(svm.Descriptor, edits)
	if err != nil {
		return nil, fmt.Errorf("rewrite descriptor: %w", err)
	}
	ovfFile, err := c.writeSmall(vmDir, ovfName, RoleDescriptor, descriptor)
	if err != nil {
		return nil, err
	}
	var mf bytes.Buffer
	fmt.Fprintf(&mf, "SHA256(%s)= %s\n", ovfFile.Name, ovfFile.SHA256)
	for _, f := range files {
		fmt.Fprintf(&mf, "SHA256(%s)= %s\n", f.Name, f.SHA256)
	}
	mfFile, err := c.writeSmall(vmDir, mfName, RoleManifest, mf.Bytes())
	if err != nil {
		return nil, err
	}
	if svm.Manifest != "" {
		c.prog.Line("VM %s: every file matched the export's own %s%s", name, svm.Manifest, map[bool]string{true: "; " + svm.Cert + " is present, its certificate chain not verified"}[svm.Cert != ""])
	}
	return &VM{
		Name: name, Origin: svm.Origin, OVF: ovfFile.Path, MF: mfFile.Path,
		Hardware: ovf.Hardware(desc, byRef),
		Files:    append([]File{ovfFile, mfFile}, files...),
		SourceMF: svm.Manifest, SourceCert: svm.Cert,
	}, nil
}

// writeSmall stores a descriptor or .mf: plaintext, written whole, or
// kept when an earlier run stored exactly these bytes.
func (c *creator) writeSmall(vmDir, name, role string, data []byte) (File, error) {
	bagPath := vmDir + "/" + name
	sum := sha256Hex(data)
	f := File{Name: name, Path: bagPath, Role: role, Size: int64(len(data)), SHA256: sum, StoredSize: int64(len(data)), StoredSHA256: sum}
	b := c.pool.Get()
	old, err := hashFile(c.sink, bagPath, f.Size, *b)
	c.pool.Put(b)
	if err == nil && old == sum && c.sink.Keep(bagPath, f.Size, c.j.Header.Created) == nil {
		return f, nil
	}
	w, err := c.sink.Store(bagPath, f.Size, c.j.Header.Created)
	if err == nil {
		if _, err = w.Write(data); err != nil {
			w.Abort()
		} else {
			err = w.Commit()
		}
	}
	if err != nil {
		return File{}, fmt.Errorf("write %s: %w", bagPath, err)
	}
	return f, nil
}

// file stores one file, keeping it from an earlier run when its done
// record still matches, and retrying transient source errors.
func (c *creator) file(ctx context.Context, vmDir string, p *filePlan) (File, error) {
	key := p.vm + "/" + p.name
	plan := journal.Plan{Key: key, Source: p.source, Path: vmDir + "/" + p.name, Compress: c.opts.Compress, Encrypted: len(c.recipients) > 0}
	if rec, ok := c.j.Resumable(plan); ok {
		if f, ok := c.keep(rec, p); ok {
			c.prog.Skip(key, rec.Size)
			return f, nil
		}
	}
	fp := c.prog.Begin(key, p.sf.Size)
	for attempt := 0; ; attempt++ {
		f, err := c.transfer(ctx, vmDir, p, fp)
		if err == nil {
			c.prog.End(fp, nil)
			return f, nil
		}
		if ctx.Err() != nil || !errors.Is(err, ErrTransient) || attempt >= maxRetries {
			c.prog.End(fp, err)
			if ctx.Err() != nil {
				return File{}, ctx.Err()
			}
			return File{}, err
		}
		delay := c.seams.retryDelay << attempt
		c.prog.Line("retrying %s in %s (attempt %d of %d): %v", key, delay, attempt+2, maxRetries+1, err)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			c.prog.End(fp, ctx.Err())
			return File{}, ctx.Err()
		}
		c.prog.Restart(fp)
	}
}

// keep re-checks a stored file against its done record.
func (c *creator) keep(rec journal.Record, p *filePlan) (File, bool) {
	if (p.stated >= 0 && rec.Size != p.stated) || (p.sf.Size >= 0 && rec.Size != p.sf.Size) {
		return File{}, false
	}
	if bagit.CheckPath(rec.Path) != nil {
		return File{}, false
	}
	b := c.pool.Get()
	defer c.pool.Put(b)
	sum, err := hashFile(c.sink, rec.Path, rec.StoredSize, *b)
	if err != nil || sum != rec.StoredSHA256 {
		return File{}, false
	}
	if c.sink.Keep(rec.Path, rec.StoredSize, c.j.Header.Created) != nil {
		return File{}, false
	}
	if rec.Compression == "zstd" {
		c.mu.Lock()
		c.compressed = true
		c.mu.Unlock()
	}
	return c.fileEntry(p, rec), true
}

func (c *creator) fileEntry(p *filePlan, rec journal.Record) File {
	return File{
		Name: p.name, Path: rec.Path, Role: p.role,
		Size: rec.Size, SHA256: rec.SHA256,
		StoredSize: rec.StoredSize, StoredSHA256: rec.StoredSHA256,
		Compression: rec.Compression, Encrypted: rec.Encrypted,
	}
}

// transfer reads the file once from the source through the pipeline into
// the sink, checks its size and hash, records it as done and commits it.
func (c *creator) transfer(ctx context.Context, vmDir string, p *filePlan, fp *progress.File) (File, error) {
	release := c.sink.Admit(p.sf.Size >= 0) // before the source is opened
	defer func() { release() }()
	rc, err := p.sf.Open(ctx)
	if err != nil {
		return File{}, fmt.Errorf("open %s: %w", p.sf.Href, err)
	}
	defer rc.Close()
	src := io.Reader(rc)

	compress := c.opts.Compress == "zstd"
	if c.opts.Compress == "auto" {
		br := bufio.NewReaderSize(rc, 4096)
		head, err := br.Peek(512)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return File{}, fmt.Errorf("read %s: %w", p.sf.Href, err)
		}
		compress = !alreadyCompressed(head)
		src = br
	}
	stored := p.name
	if compress {
		stored += ".zst"
	}
	if len(c.recipients) > 0 {
		stored += ".age"
	}
	bagPath := vmDir + "/" + stored
	size, err := c.storedSize(compress, p.sf.Size)
	if err != nil {
		return File{}, err
	}
	if size < 0 && p.sf.Size >= 0 {
		release() // compressed: a size known only at the end, so the tail alone
		release = c.sink.Admit(false)
	}
	out, err := c.sink.Store(bagPath, size, c.j.Header.Created)
	if size >= 0 {
		release()
	}
	if err != nil {
		return File{}, fmt.Errorf("write %s: %w", bagPath, err)
	}
	defer out.Abort() // after Commit, nothing
	var w io.Writer = out
	if c.seams.wrapOutput != nil {
		w = c.seams.wrapOutput(bagPath, w)
	}
	enc := pipeline.Encoding{Zstd: compress, Adaptive: c.opts.Compress == "auto", Recipients: c.recipients}
	m, err := pipeline.Store(ctx, src, w, enc, c.pool, func(n int64) { c.prog.Add(fp, n) })
	if err != nil {
		var se *pipeline.SourceError
		if errors.As(err, &se) {
			return File{}, fmt.Errorf("read %s: %w", p.sf.Href, se.Err)
		}
		if ctx.Err() != nil {
			return File{}, ctx.Err()
		}
		return File{}, fmt.Errorf("write %s: %w", bagPath, err)
	}
	if p.stated >= 0 && m.Size != p.stated {
		return File{}, fmt.Errorf("%s: the descriptor states ovf:size=%d but the file has %d bytes; the export is inconsistent: re-export the VM", p.sf.Href, p.stated, m.Size)
	}
	if p.sf.Size >= 0 && m.Size != p.sf.Size {
		return File{}, Transient(fmt.Errorf("read %s: the source announced %d bytes but delivered %d", p.sf.Href, p.sf.Size, m.Size))
	}
	if want := p.sf.SHA256; want != "" && !strings.EqualFold(m.SHA256, want) {
		return File{}, fmt.Errorf("read %s: %w: %s has SHA256 %s, but the export's manifest lists %s: the export was changed or damaged after it was made; export the VM again",
			p.sf.Href, source.ErrManifestMismatch, p.sf.Href, m.SHA256, want)
	}
	rec := journal.Record{
		Key: p.vm + "/" + p.name, Path: bagPath,
		Size: m.Size, SHA256: m.SHA256, StoredSize: m.StoredSize, StoredSHA256: m.StoredSHA256,
		Encrypted: len(c.recipients) > 0,
		Source:    p.source,
	}
	if compress {
		rec.Compression = "zstd"
		c.mu.Lock()
		c.compressed = true
		c.mu.Unlock()
	}
	// Recorded before it is committed: a kill between the two leaves a
	// record whose file is not there (or, in a tar, still marked as being
	// written), which keep then redoes; the other order would leave a
	// tar entry no record vouches for, in the middle of the tar.
	if err := c.j.Record(rec); err != nil {
		return File{}, err
	}
	if err := out.Commit(); err != nil {
		return File{}, err
	}
	return c.fileEntry(p, rec), nil
}

// storedSize is the size a file of n plaintext bytes (-1: unknown) will
// be stored as, when it is known before the data flows: uncompressed,
// plain or age-encrypted; else -1.
func (c *creator) storedSize(compress bool, n int64) (int64, error) {
	if compress || n < 0 {
		return -1, nil
	}
	return c.sizer.Size(n, c.recipients)
}

// alreadyCompressed sniffs formats that zstd would only slow down: a
// sparse VMDK with compressed grains (streamOptimized), gzip, zstd, xz,
// bzip2 and zip.
func alreadyCompressed(head []byte) bool {
	if len(head) >= 79 && string(head[:4]) == "KDMV" {
		flags := uint32(head[8]) | uint32(head[9])<<8 | uint32(head[10])<<16 | uint32(head[11])<<24
		algo := uint16(head[77]) | uint16(head[78])<<8
		return flags&(1<<16) != 0 || algo != 0
	}
	for _, magic := range []string{"\x1f\x8b", "\x28\xb5\x2f\xfd", "\xfd7zXZ\x00", "BZh", "PK\x03\x04"} {
		if bytes.HasPrefix(head, []byte(magic)) {
			return true
		}
	}
	return false
}

// templates are the index templates create renders with.
func (c *creator) templates() fs.FS {
	if c.opts.Templates != nil {
		return c.opts.Templates
	}
	return templates.Default()
}
