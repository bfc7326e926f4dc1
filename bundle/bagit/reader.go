// Package bagit reads and writes BagIt bags (RFC 8493) as exit bundles use
// them. Open is the one reader of a received bag, over a folder or a tar
// file, that every reader of a bundle (verify, restore, inspect, drill)
// goes through, so they all agree on what a bag is; WalkStream reads a
// tar that arrives as a stream. The parsers (ParseManifest, ParseInfo,
// CheckBagItTxt) read the bag's text files; the Sink interface is what
// create writes a bag through (Folder here, a tar in bundle/bagit/tarsink).
//
// The reader sees links instead of following them: a folder is opened as
// an os.Root and every entry is examined with Lstat, so a symbolic link in
// a bag is an entry of kind Link, reported, never read through; a tar's
// link members are reported the same way. Metadata is read with one cap,
// MaxMetadata.
//
// A tar may hold the bag at its root (tar -C bag -cf b.tar .), in one top
// folder (tar -cf b.tar bag), or as the files find lists (tar -cf b.tar
// $(find bag -type f)): TopFolder finds the bag in all three.
package bagit

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// MaxMetadata bounds every metadata file a reader keeps in memory: tag
// files, exit-manifest.json, OVF descriptors and .mf files. Real ones are
// kilobytes.
const MaxMetadata = manifest.MaxSize

// Kind says what an entry of a bag is.
type Kind int

const (
	Regular Kind = iota
	Dir
	Link  // a symbolic or hard link: reported, never followed
	Other // a device, FIFO, socket or special tar member
)

// Entry is one entry of a bag, its name relative to the bag's root.
type Entry struct {
	Name string // "/"-separated, clean
	Kind Kind
	Size int64 // regular files
}

// Problem is an entry the reader refused, and why.
type Problem struct {
	Name    string
	Problem string
}

// Bag is a received bag opened for reading.
type Bag struct {
	path     string
	root     *os.Root // a folder
	tarFile  *os.File // or a tar
	members  map[string]tarMember
	entries  []Entry
	problems []Problem
}

type tarMember struct{ off, size int64 }

// Open opens the bag at p, a folder or a tar file. It returns an error
// wrapping manifest.ErrNotABundle when p holds neither a bag (bagit.txt)
// nor a bundle create has begun (its incomplete marker), so that a wrong
// path is not mistaken for an unfinished bundle.
func Open(p string) (*Bag, error) {
	info, err := os.Stat(p) // the path itself may be a link (a mount point): only what is inside is not followed
	if err != nil {
		return nil, err
	}
	var b *Bag
	if info.IsDir() {
		if err := looksLikeBag(p); err != nil {
			return nil, err
		}
		b, err = openFolder(p)
	} else {
		b, err = openTar(p)
	}
	if err != nil {
		return nil, err
	}
	if !b.Has(manifest.BagItFile) && !b.Has(manifest.IncompleteMarker) {
		b.Close()
		return nil, notABundle(p, b)
	}
	return b, nil
}

func notABundle(p string, b *Bag) error {
	hint := ""
	for _, e := range b.entries {
		if e.Kind == Regular && path.Base(e.Name) == manifest.BagItFile && strings.Count(e.Name, "/") <= 2 {
			hint = fmt.Sprintf("; %s holds a bag: give that folder", filepath.Join(p, filepath.FromSlash(path.Dir(e.Name))))
			break
		}
	}
	if hint == "" && path.Base(filepath.ToSlash(p)) == "data" {
		hint = "; this looks like a bundle's data folder: give the folder above it"
	}
	return fmt.Errorf("%w: %s holds no %s and no %s%s", manifest.ErrNotABundle, p, manifest.BagItFile, manifest.IncompleteMarker, hint)
}

// looksLikeBag refuses a folder that holds no bag before walking it, which
// could be a user's whole home folder.
func looksLikeBag(p string) error {
	for _, name := range []string{manifest.BagItFile, manifest.IncompleteMarker} {
		if fi, err := os.Lstat(filepath.Join(p, name)); err == nil && fi.Mode().IsRegular() {
			return nil
		}
	}
	b := &Bag{}
	if list, err := os.ReadDir(p); err == nil {
		for _, d := range list {
			if fi, err := os.Lstat(filepath.Join(p, d.Name(), manifest.BagItFile)); d.IsDir() && err == nil && fi.Mode().IsRegular() {
				b.entries = append(b.entries, Entry{Name: d.Name() + "/" + manifest.BagItFile, Kind: Regular})
			}
		}
	}
	return notABundle(p, b)
}

func openFolder(p string) (*Bag, error) {
	root, err := os.OpenRoot(p)
	if err != nil {
		return nil, err
	}
	b := &Bag{path: p, root: root}
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == "." {
				return err
			}
			b.problems = append(b.problems, Problem{name, err.Error()})
			return nil
		}
		if name == "." {
			return nil
		}
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			b.entries = append(b.entries, Entry{Name: name, Kind: Link})
		case d.IsDir():
			b.entries = append(b.entries, Entry{Name: name, Kind: Dir})
		case !t.IsRegular():
			b.entries = append(b.entries, Entry{Name: name, Kind: Other})
		default:
			info, err := d.Info()
			if err != nil {
				b.problems = append(b.problems, Problem{name, err.Error()})
				return nil
			}
			b.entries = append(b.entries, Entry{Name: name, Kind: Regular, Size: info.Size()})
		}
		return nil
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	return b, nil
}

// openTar indexes a tar file in one pass over its headers (member data is
// skipped by seeking, never read); members are then read at their offsets.
func openTar(p string) (*Bag, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	b := &Bag{path: p, tarFile: f, members: map[string]tarMember{}}
	index, err := IndexTar(f)
	if err != nil {
		f.Close()
		if len(index) == 0 {
			return nil, fmt.Errorf("%w: %s is neither a folder nor a tar file (%v)", manifest.ErrNotABundle, p, err)
		}
		return nil, fmt.Errorf("read tar: %w (the file is truncated or damaged): %w", err, manifest.ErrIntegrity)
	}
	var raw []Entry
	for _, m := range index {
		if m.IsGlobalHeader() {
			continue // PAX attributes for what follows (a comment, git archive's commit), no file
		}
		e, prob := m.entry()
		if prob != "" {
			b.problems = append(b.problems, Problem{m.Name, prob})
			continue
		}
		if _, dup := b.members[e.Name]; dup && e.Kind != Dir {
			b.problems = append(b.problems, Problem{e.Name, "appears twice in the tar"})
			continue
		}
		if e.Kind == Regular {
			b.members[e.Name] = tarMember{off: m.Offset, size: m.Size}
		}
		raw = append(raw, e)
	}
	names := make([]string, 0, len(raw))
	for _, e := range raw {
		if e.Kind == Regular {
			names = append(names, e.Name)
		}
	}
	prefix := TopFolder(names)
	members := map[string]tarMember{}
	for _, e := range raw {
		rel, ok := strings.CutPrefix(e.Name, prefix)
		if prefix != "" && e.Name+"/" == prefix {
			continue // the top folder itself
		}
		if !ok {
			b.problems = append(b.problems, Problem{e.Name, "lies outside the bag's folder " + strings.TrimSuffix(prefix, "/")})
			continue
		}
		if m, ok := b.members[e.Name]; ok {
			members[rel] = m
		}
		e.Name = rel
		b.entries = append(b.entries, e)
	}
	for i := range b.problems {
		b.problems[i].Name = strings.TrimPrefix(b.problems[i].Name, prefix)
	}
	b.members = members
	return b, nil
}

// TarMember is one member of a tar file as IndexTar finds it.
type TarMember struct {
	Header *tar.Header
	Name   string // as the header names it
	Size   int64
	Offset int64 // where its data starts in the file
}

// Sparse says whether the member is a sparse file (GNU or PAX), whose
// bytes on disk are not its content.
func (m TarMember) Sparse() bool {
	if m.Header.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range m.Header.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// Kind says what the member is.
func (m TarMember) Kind() Kind {
	switch m.Header.Typeflag {
	case tar.TypeDir:
		return Dir
	case tar.TypeReg, tar.TypeRegA:
		return Regular
	case tar.TypeSymlink, tar.TypeLink:
		return Link
	case tar.TypeXGlobalHeader:
		return Dir
	}
	return Other
}

// Linkname is the target a link member names (never followed).
func (m TarMember) Linkname() string { return m.Header.Linkname }

// IsGlobalHeader says whether the member is a PAX global header, which
// holds no file.
func (m TarMember) IsGlobalHeader() bool { return m.Header.Typeflag == tar.TypeXGlobalHeader }

func (m TarMember) entry() (Entry, string) {
	e, prob := tarEntry(m.Header)
	if prob == "" && e.Kind == Regular && m.Sparse() {
		e.Kind = Other // its bytes in the tar are not its content
	}
	return e, prob
}

// IndexTar lists the members of a tar file in one pass over its headers,
// seeking over their data, so that a reader (the bag reader, the OVA
// source) can then serve each member as a section of the file. On error
// it returns the members read so far: none means f is not a tar at all;
// io.ErrUnexpectedEOF means it ends inside a header. A member whose data
// runs past the end of the file is an error naming it.
func IndexTar(f *os.File) ([]TarMember, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return IndexTarAt(f, fi.Size())
}

// IndexTarAt is IndexTar over the first size bytes of r.
func IndexTarAt(r io.ReaderAt, size int64) ([]TarMember, error) {
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	var out []TarMember
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		pos, _ := sr.Seek(0, io.SeekCurrent) // tar reads headers whole and never reads ahead
		m := TarMember{Header: hdr, Name: hdr.Name, Size: hdr.Size, Offset: pos}
		if m.Kind() == Regular && !m.Sparse() && m.Offset+m.Size > size {
			return append(out, m), &TruncatedError{Member: m.Name, Need: m.Offset + m.Size, Have: size}
		}
		out = append(out, m)
	}
}

// TruncatedError is a tar member whose data runs past the end of the file.
type TruncatedError struct {
	Member     string
	Need, Have int64
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("member %s needs bytes up to %d but the file ends at %d: the tar is truncated", Clip(e.Member), e.Need, e.Have)
}

// tarEntry judges one tar header: its clean name and kind, or why it is
// refused.
func tarEntry(hdr *tar.Header) (Entry, string) {
	name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
	if name == "" || name == "." {
		return Entry{Name: ".", Kind: Dir}, ""
	}
	if err := CheckPath(name); err != nil {
		return Entry{}, "unsafe member name: " + err.Error()
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return Entry{Name: name, Kind: Dir}, ""
	case tar.TypeReg, tar.TypeRegA:
		return Entry{Name: name, Kind: Regular, Size: hdr.Size}, ""
	case tar.TypeSymlink, tar.TypeLink:
		return Entry{Name: name, Kind: Link}, ""
	case tar.TypeXGlobalHeader:
		return Entry{Name: ".", Kind: Dir}, ""
	case tar.TypeGNUSparse:
		return Entry{Name: name, Kind: Other}, ""
	}
	return Entry{Name: name, Kind: Other}, ""
}

// TopFolder returns the folder prefix ("acme/") that holds the bag when a
// tar's regular files sit in one top folder, or "" when the bag is at the
// root. The bag is found by its bagit.txt, or by create's incomplete
// marker for a bag not yet finished. With no such file at the root and
// exactly one top folder holding one, that folder is the bag.
func TopFolder(names []string) string {
	prefix := ""
	for _, n := range names {
		base := path.Base(n)
		if base != manifest.BagItFile && base != manifest.IncompleteMarker {
			continue
		}
		switch strings.Count(n, "/") {
		case 0:
			return ""
		case 1:
			p := path.Dir(n) + "/"
			if prefix != "" && prefix != p {
				return "" // two bags in one tar: let the checks complain
			}
			prefix = p
		}
	}
	return prefix
}

// Entries lists every entry, in name order.
func (b *Bag) Entries() []Entry {
	sort.Slice(b.entries, func(i, j int) bool { return b.entries[i].Name < b.entries[j].Name })
	return b.entries
}

// Problems lists entries the reader refused (unsafe names, duplicates,
// members outside the bag's folder).
func (b *Bag) Problems() []Problem { return b.problems }

// Has says whether name is a regular file of the bag.
func (b *Bag) Has(name string) bool {
	e, ok := b.Lookup(name)
	return ok && e.Kind == Regular
}

// Lookup returns the entry named name.
func (b *Bag) Lookup(name string) (Entry, bool) {
	for _, e := range b.entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Open reads a regular file of the bag; never a link. A missing file is
// an error wrapping fs.ErrNotExist.
func (b *Bag) Open(name string) (io.ReadCloser, error) {
	if err := CheckPath(name); err != nil {
		return nil, err
	}
	if b.tarFile != nil {
		m, ok := b.members[name]
		if !ok {
			if e, ok := b.Lookup(name); ok && e.Kind != Regular {
				return nil, fmt.Errorf("%s is not a regular file", name)
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return io.NopCloser(io.NewSectionReader(b.tarFile, m.off, m.size)), nil
	}
	f, err := b.root.OpenFile(name, os.O_RDONLY|fsx.NoFollow, 0)
	if err != nil {
		if fsx.IsLinkError(err) {
			return nil, fmt.Errorf("%s is a symbolic link; a bundle holds regular files only", name)
		}
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	return f, nil
}

// ReadSmall returns a metadata file's content, at most MaxMetadata bytes.
func (b *Bag) ReadSmall(name string) ([]byte, error) {
	r, err := b.Open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ReadCapped(r, name)
}

// ReadCapped reads r whole, failing beyond the cap of name's kind
// (MetadataCap; MaxMetadata for a name of no known kind).
func ReadCapped(r io.Reader, name string) ([]byte, error) {
	limit := MetadataCap(name)
	if limit == 0 {
		limit = MaxMetadata
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s is larger than %s, too large for a metadata file", name, manifest.HumanBytes(int64(limit)))
	}
	return data, nil
}

// Close releases the folder or tar file.
func (b *Bag) Close() error {
	if b.tarFile != nil {
		return b.tarFile.Close()
	}
	return b.root.Close()
}

// WalkStream reads a tar stream once, front to back, and calls fn for each
// regular member with its name (cleaned, top folder not yet removed: see
// TopFolder) and body, which fn reads before it returns. Links and special
// members are returned as problems, never read.
func WalkStream(r io.Reader, fn func(name string, size int64, body io.Reader) error) ([]Problem, error) {
	tr := tar.NewReader(r)
	var problems []Problem
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return problems, nil
		}
		if err != nil {
			return problems, fmt.Errorf("read tar: %w (the file is truncated or not a tar)", err)
		}
		e, prob := tarEntry(hdr)
		switch {
		case prob != "":
			problems = append(problems, Problem{hdr.Name, prob})
			continue
		case e.Kind == Dir:
			continue
		case e.Kind != Regular:
			problems = append(problems, Problem{e.Name, "is not a regular file (link or device); a bundle holds regular files only"})
			continue
		case seen[e.Name]:
			problems = append(problems, Problem{e.Name, "appears twice in the tar"})
			continue
		case (TarMember{Header: hdr}).Sparse():
			// Its holes would be read as zeros: a small tar could make
			// the reader produce terabytes.
			problems = append(problems, Problem{e.Name, "is a sparse tar member; a bundle holds regular files only"})
			continue
		}
		seen[e.Name] = true
		if err := fn(e.Name, hdr.Size, tr); err != nil {
			return problems, err
		}
	}
}
