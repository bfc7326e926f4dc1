package bagit

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// copySize is the write() size: 1 MiB writes measured at half the speed of
// 64 KiB ones.
const copySize = 64 << 10

// TagOrder is the order of the tag files in a tar, which come before the
// payload (in WriteTar's and the one-pass tar's; tarsink.Stream's come
// last), so a reader of a stream finds exit-manifest.json first.
var TagOrder = []string{manifest.BagItFile, manifest.BagInfoFile, manifest.ExitManifestFile, manifest.IndexFile, manifest.ReadmeFile,
	manifest.TermsFile, manifest.SignerFile, manifest.ManifestFile, manifest.TagManifestFile, manifest.SignatureFile}

// WriteTar serializes the finished bag in src as the tar name in dst. The
// tar holds one folder, prefix (BagIt's rule for serialized bags), tag
// files first, then data/ in path order. Headers are deterministic: mode
// 0644/0755, owner 0, the bag's creation time. Go's archive/tar writes
// USTAR headers, and PAX ones only where a file exceeds 8 GiB or a name
// does not fit. It is written to name.partial, synced and renamed when
// complete, so a tar under its final name is always whole.
func WriteTar(src, dst fsx.FS, name, prefix string, created time.Time) error {
	var names []string
	for _, n := range TagOrder {
		if fi, err := src.Lstat(n); err == nil && fi.Mode().IsRegular() {
			names = append(names, n)
		}
	}
	data, err := listTree(src, "data")
	if err != nil {
		return err
	}
	names = append(names, data...)

	tmp := name + fsx.PartialSuffix
	if err := dst.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out, err := dst.Create(tmp, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	mtime := created.UTC().Truncate(time.Second)
	hdr := func(n string, size int64, dir bool) *tar.Header {
		h := &tar.Header{Name: prefix + "/" + n, Size: size, Mode: 0o644, ModTime: mtime, Typeflag: tar.TypeReg}
		if dir {
			h.Mode, h.Size, h.Typeflag = 0o755, 0, tar.TypeDir
		}
		return h
	}
	if err := tw.WriteHeader(hdr("", 0, true)); err != nil {
		return err
	}
	buf := make([]byte, copySize)
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			if err := tw.WriteHeader(hdr(n, 0, true)); err != nil {
				return err
			}
			continue
		}
		if err := addFile(tw, src, n, hdr, buf); err != nil {
			return fmt.Errorf("add %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := dst.Rename(tmp, name); err != nil {
		return err
	}
	return dst.SyncDir(path.Dir(name))
}

func addFile(tw *tar.Writer, src fsx.FS, n string, hdr func(string, int64, bool) *tar.Header, buf []byte) error {
	f, err := src.Open(n)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(hdr(n, fi.Size(), false)); err != nil {
		return err
	}
	_, err = io.CopyBuffer(struct{ io.Writer }{tw}, struct{ io.Reader }{f}, buf)
	return err
}

// listTree lists dir and everything below it, folders with a trailing
// "/", in path order; links are refused.
func listTree(src fsx.FS, dir string) ([]string, error) {
	out := []string{dir + "/"}
	list, err := src.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		p := dir + "/" + d.Name()
		switch {
		case d.IsDir():
			sub, err := listTree(src, p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case d.Type().IsRegular():
			out = append(out, p)
		default:
			return nil, fmt.Errorf("%s is not a regular file; a bundle holds regular files only", p)
		}
	}
	sort.Strings(out)
	return out, nil
}
