package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/exitkit/exitkit/bundle/ovf"
)

// Open opens existing OVF exports as a Source:
//
//   - a folder holding one or more .ovf descriptors with their files, in
//     the folder itself or in subfolders (one VM per folder, say);
//   - a single .ovf file (that VM alone);
//   - an .ova file, or any archive of OVF exports github.com/mholt/archives
//     reads (tar, zip, tar.gz, tar.zst, ...). A plain tar is read in
//     place, member by member; compressed archives are decompressed as a
//     stream once per file. Nothing is extracted to disk.
//
// Every descriptor is parsed and every file it references is checked
// before Open returns, so that a broken export fails at once with
// all its problems listed, not hours into a transfer. Refused, each with
// what to fix: hrefs that are absolute, climb out with "..", or are URLs;
// referenced files that are missing, symbolic links, or whose size differs
// from ovf:size; archive members that are links, sparse, duplicated or cut
// off by a truncated file; chunked files (ovf:chunkSize).
//
// NVRAM files (*.nvram) that the descriptor references, or that lie next
// to it and share its VM's name, are part of the VM: EFI guests need them.
func Open(ctx context.Context, p string) (Source, error) {
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open source %s: no such file or folder; give a folder of OVF exports, an .ova file or a vsphere:// URL", p)
	}
	if err != nil {
		return nil, fmt.Errorf("open source %s: %w", p, err)
	}
	if info.IsDir() {
		return openDirSource(p, "")
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("open source %s: not a folder, an .ovf or an .ova file", p)
	}
	if strings.EqualFold(filepath.Ext(p), ".ovf") {
		return openDirSource(filepath.Dir(p), filepath.Base(p))
	}
	return openArchiveSource(ctx, p)
}

// pkgFile is one file of an export: in a folder or an archive member.
type pkgFile struct {
	name  string // slash path relative to the source's root
	size  int64
	stamp string // see File.Stamp
	link  bool   // a symbolic or hard link
	bad   string // why the file cannot be used, when it is listed but unusable
	open  func(ctx context.Context) (io.ReadCloser, error)
}

// pkgSource is what folders and archives have in common once indexed:
// files by path and the VMs assembled from their descriptors.
type pkgSource struct {
	desc string // "folder /x", "ova /x/y.ova"
	vms  []*VM
}

func (s *pkgSource) String() string { return s.desc }

// PlannedBytes is the size of every file of every VM, known since Open.
func (s *pkgSource) PlannedBytes() int64 {
	var n int64
	for _, vm := range s.vms {
		for _, f := range vm.Files {
			n += max(f.Size, 0)
		}
	}
	return n
}

// Names lists the VMs in descriptor path order.
func (s *pkgSource) Names() []string {
	names := make([]string, len(s.vms))
	for i, vm := range s.vms {
		names[i] = vm.Name
	}
	return names
}

// Export hands over the VMs in descriptor path order, as slots allow,
// and starts no more after an error.
func (s *pkgSource) Export(ctx context.Context, slots Slots, fn func(ctx context.Context, vm *VM) error) error {
	return Each(ctx, len(s.vms), slots, func(ctx context.Context, i int) error {
		vm := *s.vms[i]
		vm.Seq = i
		if err := fn(ctx, &vm); err != nil {
			return fmt.Errorf("%s: VM %s: %w", s.desc, vm.Name, err)
		}
		return nil
	})
}

// assemble builds the VMs of every descriptor in files (or only the one
// named only) and collects every problem found.
func assemble(ctx context.Context, desc string, files map[string]*pkgFile, only string) (*pkgSource, error) {
	var ovfs []string
	for name := range files {
		if isDescriptor(name) {
			if only == "" || name == only {
				ovfs = append(ovfs, name)
			}
		}
	}
	sort.Strings(ovfs)
	if len(ovfs) == 0 {
		return nil, fmt.Errorf("%s holds no .ovf descriptor: pass a folder with OVF exports (.ovf and their disks), an .ovf file or an .ova file", desc)
	}
	src := &pkgSource{desc: desc}
	var errs []error
	for _, name := range ovfs {
		vm, err := assembleVM(ctx, desc, files, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		src.vms = append(src.vms, vm)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return src, nil
}

func assembleVM(ctx context.Context, desc string, files map[string]*pkgFile, name string) (vm *VM, retErr error) {
	where := fmt.Sprintf("%s: %s", desc, name)
	f := files[name]
	if f.link {
		return nil, fmt.Errorf("%s is a link; replace it with the file itself", where)
	}
	if f.bad != "" {
		return nil, fmt.Errorf("%s: %s", where, f.bad)
	}
	if f.size > ovf.MaxDescriptorSize {
		return nil, fmt.Errorf("%s is %d bytes, more than an OVF descriptor can be (%d MiB): is it really a descriptor?", where, f.size, ovf.MaxDescriptorSize>>20)
	}
	rc, err := f.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, ovf.MaxDescriptorSize+1))
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", where, err)
	}
	d, err := ovf.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}

	dir := path.Dir(name)
	vmName := strings.TrimSuffix(path.Base(name), path.Ext(name))
	vm = &VM{Name: vmName, Origin: where, Descriptor: data}
	var errs []error
	seen := map[string]string{}
	for _, ref := range d.Files {
		if err := checkHref(ref.Href); err != nil {
			errs = append(errs, fmt.Errorf("%s: File %q: %w", where, ref.ID, err))
			continue
		}
		if ref.ChunkSize > 0 {
			errs = append(errs, fmt.Errorf("%s: File %q (%s) is split into chunks (ovf:chunkSize), which exitbundle does not read: join the chunks into one file (cat %s.* > %s) and remove ovf:chunkSize", where, ref.ID, ref.Href, ref.Href, ref.Href))
			continue
		}
		full := path.Join(dir, ref.Href)
		if other, dup := seen[full]; dup {
			errs = append(errs, fmt.Errorf("%s: Files %q and %q both name %s; each file must be referenced once", where, other, ref.ID, ref.Href))
			continue
		}
		seen[full] = ref.ID
		pf, ok := files[full]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s references %s, which is missing: %s", where, ref.Href, missingHint(files, full)))
			continue
		case pf.link:
			errs = append(errs, fmt.Errorf("%s references %s, which is a link: exitbundle does not follow links, so that the bundle holds exactly the export; replace the link with the file", where, ref.Href))
			continue
		case pf.bad != "":
			errs = append(errs, fmt.Errorf("%s references %s: %s", where, ref.Href, pf.bad))
			continue
		case ref.Size > 0 && ref.Size != pf.size:
			errs = append(errs, fmt.Errorf("%s: ovf:size of %s says %d bytes, but the file has %d: the file is incomplete or the descriptor is wrong; export the VM again", where, ref.Href, ref.Size, pf.size))
			continue
		}
		vm.Files = append(vm.Files, File{Href: ref.Href, Size: pf.size, Stamp: pf.stamp, Open: pf.open})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	// NVRAM that the descriptor does not list but that belongs to the VM.
	defer func() {
		if vm != nil {
			if err := checkManifest(ctx, where, files, name, data, vm); err != nil {
				vm, retErr = nil, err
			}
		}
	}()
	names := map[string]bool{strings.ToLower(vmName): true}
	for _, s := range d.Systems {
		names[strings.ToLower(s.Name)] = true
		names[strings.ToLower(s.ID)] = true
	}
	var extra []string
	for other, pf := range files {
		if path.Dir(other) != dir || !strings.EqualFold(path.Ext(other), ".nvram") || seen[other] != "" {
			continue
		}
		if pf.link || pf.bad != "" {
			continue
		}
		if names[strings.ToLower(strings.TrimSuffix(path.Base(other), path.Ext(other)))] {
			extra = append(extra, other)
		}
	}
	sort.Strings(extra)
	for _, other := range extra {
		pf := files[other]
		vm.Files = append(vm.Files, File{Href: path.Base(other), Size: pf.size, Stamp: pf.stamp, Open: pf.open})
	}
	return vm, nil
}

// missingHint says what to do about a referenced file that is not there.
func missingHint(files map[string]*pkgFile, full string) string {
	for dir := path.Dir(full); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if f, ok := files[dir]; ok && f.link {
			return fmt.Sprintf("%s is a link to a folder, which exitbundle does not follow; copy the folder in place of the link", dir)
		}
	}
	for name := range files {
		if strings.EqualFold(name, full) {
			return fmt.Sprintf("there is %s, which differs only in upper/lower case: rename it to match ovf:href exactly", name)
		}
	}
	return "copy it next to the descriptor, or export the VM again"
}

// ErrUnsafeHref marks an ovf:href that could name a file outside the
// export: absolute, climbing with "..", or a URL.
var ErrUnsafeHref = errors.New("unsafe href")

// checkHref accepts only relative paths that stay inside the export.
func checkHref(href string) error {
	switch {
	case href == "":
		return fmt.Errorf("%w: empty ovf:href", ErrUnsafeHref)
	case strings.Contains(href, "://") || strings.HasPrefix(strings.ToLower(href), "file:"):
		return fmt.Errorf("%w: ovf:href %q is a URL; download the file next to the descriptor and set ovf:href to its name", ErrUnsafeHref, href)
	case strings.HasPrefix(href, "/") || strings.HasPrefix(href, `\`) || (len(href) > 1 && href[1] == ':'):
		return fmt.Errorf("%w: ovf:href %q is an absolute path; OVF files must be named relative to the descriptor: move the file next to it and set ovf:href to its name", ErrUnsafeHref, href)
	case strings.Contains(href, `\`):
		return fmt.Errorf("%w: ovf:href %q contains a backslash; use / between folders", ErrUnsafeHref, href)
	case strings.ContainsRune(href, 0):
		return fmt.Errorf("%w: ovf:href %q contains a NUL byte", ErrUnsafeHref, href)
	}
	for _, seg := range strings.Split(href, "/") {
		if seg == ".." {
			return fmt.Errorf("%w: ovf:href %q climbs out of the export with \"..\"; move the file next to the descriptor and set ovf:href to its name", ErrUnsafeHref, href)
		}
	}
	return nil
}

// openDirSource indexes the folder root (without following links) and
// assembles the VMs of its descriptors, or of only the one named only.
func openDirSource(root, only string) (*pkgSource, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open source %s: %w", root, err)
	}
	files := map[string]*pkgFile{}
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(abs, p)
		if err != nil || rel == "." {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			files[name] = &pkgFile{name: name, link: true}
		case d.IsDir():
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			files[name] = &pkgFile{name: name, size: info.Size(), stamp: stamp(p, info), open: openPlain(p, info.Size())}
		default:
			files[name] = &pkgFile{name: name, bad: "it is not a regular file (a device or pipe)"}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open source %s: %w", root, err)
	}
	if only != "" {
		return assemble(context.Background(), "folder "+abs, files, only)
	}
	return assembleFolder(abs, files)
}

// assembleFolder takes every VM of a folder: its OVF descriptors (at any
// depth) and every archive in it (.ova, .tar, .zip, compressed tars) that
// no descriptor references, each read in place. A folder that holds
// fewer VMs than it seems to must fail, naming what could not be read,
// rather than yield a signed bundle without them.
func assembleFolder(abs string, files map[string]*pkgFile) (*pkgSource, error) {
	desc := "folder " + abs
	ctx := context.Background()
	referenced := map[string]bool{}
	hasOVF := false
	for name, f := range files {
		if !isDescriptor(name) || f.link || f.bad != "" || f.size > ovf.MaxDescriptorSize {
			continue
		}
		hasOVF = true
		if data, err := os.ReadFile(filepath.Join(abs, filepath.FromSlash(name))); err == nil {
			if d, err := ovf.Parse(bytes.NewReader(data)); err == nil {
				for _, r := range d.Files {
					referenced[path.Join(path.Dir(name), r.Href)] = true
				}
			}
		}
	}
	var archives []string
	for name, f := range files {
		if !referenced[name] && f.open != nil && isArchiveName(name) {
			archives = append(archives, name)
		}
	}
	sort.Strings(archives)
	src := &pkgSource{desc: desc}
	var errs []error
	if hasOVF || len(archives) == 0 {
		s, err := assemble(ctx, desc, files, "")
		if err != nil {
			errs = append(errs, err)
		} else {
			src.vms = s.vms
		}
	}
	for _, name := range archives {
		a, err := openArchiveSource(ctx, filepath.Join(abs, filepath.FromSlash(name)))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s could not be read as an export, so its VMs would be missing from the bundle: %w; repair it or move it out of the folder", desc, name, err))
			continue
		}
		src.vms = append(src.vms, a.vms...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return src, nil
}

func isDescriptor(name string) bool {
	return strings.EqualFold(path.Ext(name), ".ovf") && !strings.HasPrefix(path.Base(name), "._")
}

// isArchiveName says whether a file in a folder source is an archive of
// exports by its name: .ova, .tar, .zip, and tars compressed as
// .tar.gz/.tgz, .tar.zst, .tar.xz, .tar.bz2.
func isArchiveName(name string) bool {
	n := strings.ToLower(path.Base(name))
	if strings.HasPrefix(n, "._") {
		return false
	}
	for _, ext := range []string{".ova", ".tar", ".zip", ".tgz", ".tar.gz", ".tar.zst", ".tar.xz", ".tar.bz2"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// openPlain opens a file of a folder source, refusing one that turned
// into a link or changed size since it was checked.
func openPlain(p string, size int64) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		if info, err := os.Lstat(p); err != nil {
			return nil, err
		} else if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is no longer a regular file", p)
		}
		return openSized(p, size)
	}
}

// openSized opens p and checks it still has the size it had when the
// source was scanned, so a file still being written is refused rather than
// exported half-finished.
func openSized(p string, size int64) (*os.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if info.Size() != size {
		f.Close()
		return nil, fmt.Errorf("%s changed size since it was checked (%d bytes, now %d): is the export still being written? Wait for it to finish and run again", p, size, info.Size())
	}
	return f, nil
}

// stamp identifies one version of the file p (see File.Stamp).
func stamp(p string, info fs.FileInfo) string {
	return fmt.Sprintf("%q size %d mtime %d", p, info.Size(), info.ModTime().UnixNano())
}
