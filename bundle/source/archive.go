package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/mholt/archives"
)

// openArchiveSource identifies the archive at p and indexes its members.
func openArchiveSource(ctx context.Context, p string) (*pkgSource, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("open source %s: %w", p, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("open source %s: %w", p, err)
	}
	defer f.Close()
	format, _, err := archives.Identify(ctx, abs, f)
	if errors.Is(err, archives.NoMatch) {
		return nil, fmt.Errorf("open source %s: not an OVA (tar) or another archive format: pass a folder with OVF exports, an .ovf file or an .ova file", p)
	}
	if err != nil {
		return nil, fmt.Errorf("open source %s: identify the archive format: %w", p, err)
	}
	desc := "ova " + abs
	switch fm := format.(type) {
	case archives.Tar:
		files, err := indexOVA(abs, f)
		if err != nil {
			return nil, fmt.Errorf("open source %s: %w", p, err)
		}
		return nameAfterArchive(assemble(ctx, desc, files, ""))(abs)
	case archives.Extractor:
		desc = "archive " + abs
		files, err := indexStream(ctx, abs, fm)
		if err != nil {
			return nil, fmt.Errorf("open source %s: %w", p, err)
		}
		return nameAfterArchive(assemble(ctx, desc, files, ""))(abs)
	default:
		return nil, fmt.Errorf("open source %s: a compressed file (%s) that holds no archive: decompress it and pass the result", p, format.Extension())
	}
}

// nameAfterArchive names the VM of a single-VM archive after the archive
// (web.ova holds VM "web" even when its descriptor is "descriptor.ovf").
func nameAfterArchive(src *pkgSource, err error) func(string) (*pkgSource, error) {
	return func(p string) (*pkgSource, error) {
		if err != nil {
			return nil, err
		}
		if len(src.vms) == 1 {
			base := filepath.Base(p)
			for archiveExts[strings.ToLower(filepath.Ext(base))] && filepath.Ext(base) != base {
				base = strings.TrimSuffix(base, filepath.Ext(base))
			}
			if base != "" {
				src.vms[0].Name = base
			}
		}
		return src, nil
	}
}

var archiveExts = map[string]bool{".ova": true, ".tar": true, ".gz": true, ".tgz": true, ".zst": true, ".xz": true, ".bz2": true, ".zip": true, ".7z": true, ".lz4": true, ".br": true, ".sz": true}

// memberName checks an archive member's name and returns its clean slash
// path; "" for the archive's root folder entry.
func memberName(name string) (string, error) {
	switch {
	case strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':'):
		return "", fmt.Errorf("member %q has an absolute path; an OVA holds paths relative to itself: rebuild it (tar -cf x.ova -C folder x.ovf x.mf disks...)", name)
	case strings.Contains(name, `\`):
		return "", fmt.Errorf("member %q contains a backslash; rebuild the archive with / between folders", name)
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("member %q contains a NUL byte", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return "", fmt.Errorf("member %q climbs out of the archive with \"..\"; rebuild the archive with paths inside it", name)
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	return strings.TrimPrefix(clean, "./"), nil
}

// indexOVA lists the members of a plain tar (an OVA) in one pass over
// its headers, seeking over the data, and serves each member as a section
// of the file: nothing is copied or extracted.
func indexOVA(p string, f *os.File) (map[string]*pkgFile, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	total := st.Size()
	index, err := bagit.IndexTar(f)
	var trunc *bagit.TruncatedError
	switch {
	case errors.As(err, &trunc):
		return nil, fmt.Errorf("the OVA is truncated: member %s needs bytes up to %d but the file ends at %d; the copy is incomplete, copy or download it again", trunc.Member, trunc.Need, trunc.Have)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("the OVA is truncated (it ends inside a tar header after %d bytes): the copy is incomplete; copy or download it again", total)
	case err != nil:
		return nil, fmt.Errorf("not a readable tar/OVA: %w", err)
	}
	files := map[string]*pkgFile{}
	var errs []error
	for _, m := range index {
		name, err := memberName(m.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if name == "" || m.IsGlobalHeader() {
			continue
		}
		if _, dup := files[name]; dup {
			errs = append(errs, fmt.Errorf("member %s appears twice; an OVA must hold each file once: rebuild it", name))
			continue
		}
		switch {
		case m.Kind() == bagit.Dir:
			continue
		case m.Kind() == bagit.Link:
			errs = append(errs, fmt.Errorf("member %s is a link (to %s); an OVA must hold regular files only: rebuild it with tar --dereference", name, m.Linkname()))
			files[name] = &pkgFile{name: name, link: true}
			continue
		case m.Sparse():
			errs = append(errs, fmt.Errorf("member %s is a sparse file, which exitbundle reads only as a stream: rebuild the OVA without --sparse", name))
			continue
		case m.Kind() != bagit.Regular:
			files[name] = &pkgFile{name: name, bad: fmt.Sprintf("member type %q is not a regular file", m.Header.Typeflag)}
			continue
		}
		files[name] = &pkgFile{name: name, size: m.Size, stamp: fmt.Sprintf("%s member %q at %d", stamp(p, st), name, m.Offset), open: openSection(p, total, m.Offset, m.Size)}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return files, nil
}

// openSection serves one tar member as a section of a fresh handle on
// the OVA, so members can be read concurrently and no handle outlives its
// reader.
func openSection(p string, total, off, size int64) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		f, err := openSized(p, total)
		if err != nil {
			return nil, err
		}
		return sectionReadCloser{io.NewSectionReader(f, off, size), f}, nil
	}
}

type sectionReadCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionReadCloser) Close() error { return s.f.Close() }

// indexStream lists the members of an archive that is not a plain tar
// (zip, tar.gz, tar.zst, ...) in one pass through mholt/archives.
func indexStream(ctx context.Context, p string, ex archives.Extractor) (map[string]*pkgFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	files := map[string]*pkgFile{}
	var errs []error
	err = ex.Extract(ctx, f, func(ctx context.Context, info archives.FileInfo) error {
		name, err := memberName(info.NameInArchive)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if name == "" || info.IsDir() {
			return nil
		}
		if _, dup := files[name]; dup {
			errs = append(errs, fmt.Errorf("member %s appears twice; an archive must hold each file once: rebuild it", name))
			return nil
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0 || info.LinkTarget != "":
			errs = append(errs, fmt.Errorf("member %s is a link; the archive must hold regular files only: rebuild it without links", name))
			files[name] = &pkgFile{name: name, link: true}
		case !info.Mode().IsRegular():
			files[name] = &pkgFile{name: name, bad: "it is not a regular file"}
		default:
			files[name] = &pkgFile{name: name, size: info.Size(), stamp: fmt.Sprintf("%s member %q", stamp(p, st), name), open: openStreamMember(p, ex, name, info.Size())}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("the archive is truncated: the copy is incomplete; copy or download it again: %w", err)
		}
		return nil, fmt.Errorf("read the archive: %w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return files, nil
}

// openStreamMember streams one member out of a (compressed) archive:
// the archive is read from its start until the member and the member is
// piped to the caller; nothing touches the disk.
func openStreamMember(p string, ex archives.Extractor, name string, size int64) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		go func() {
			defer f.Close()
			found := false
			err := ex.Extract(ctx, f, func(ctx context.Context, info archives.FileInfo) error {
				n, err := memberName(info.NameInArchive)
				if err != nil || n != name || info.IsDir() {
					return nil
				}
				found = true
				rc, err := info.Open()
				if err != nil {
					return err
				}
				defer rc.Close()
				copied, err := io.Copy(pw, rc)
				if err != nil {
					return err
				}
				if copied != size {
					return fmt.Errorf("member %s gave %d bytes, expected %d: the archive is damaged or truncated", name, copied, size)
				}
				return fs.SkipAll
			})
			if err == nil && !found {
				err = fmt.Errorf("member %s is no longer in %s", name, p)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("%s is truncated: %w", p, err)
			}
			pw.CloseWithError(err)
		}()
		return streamReadCloser{pr, cancel}, nil
	}
}

type streamReadCloser struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (s streamReadCloser) Close() error {
	s.cancel()
	return s.PipeReader.Close()
}
