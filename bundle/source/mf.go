package source

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

	"github.com/exitkit/exitkit/bundle/ovf"
)

// maxMF bounds an export's manifest as it is read: one line per file.
const maxMF = 1 << 20

// ErrManifestMismatch is wrapped by the read error of a file whose bytes
// differ from what the export's own manifest (.mf) lists.
var ErrManifestMismatch = errors.New("the file differs from the export's manifest")

// mfHashes are the algorithms VMware and ovftool write in a .mf.
var mfHashes = map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}

// checkManifest applies the export's own manifest, when the descriptor
// has one beside it (vm.ovf, vm.mf, as ovftool writes them): the
// descriptor is checked now, and every file's Open is wrapped so that it
// is checked while it streams, in the one read create makes of it. A
// certificate (vm.cert) is noted, not verified.
func checkManifest(ctx context.Context, where string, files map[string]*pkgFile, descName string, descriptor []byte, vm *VM) error {
	base := strings.TrimSuffix(descName, path.Ext(descName))
	mfName := base + ".mf"
	pf, ok := files[mfName]
	if !ok {
		return nil
	}
	if pf.link || pf.bad != "" || pf.size > maxMF {
		return fmt.Errorf("%s: its manifest %s is not a regular file of at most %d KiB: replace it with the export's own", where, path.Base(mfName), maxMF>>10)
	}
	rc, err := pf.open(ctx)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", where, path.Base(mfName), err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxMF+1))
	rc.Close()
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", where, path.Base(mfName), err)
	}
	lines, err := ovf.ParseMF(data)
	if err != nil {
		return fmt.Errorf("%s: its manifest %s is malformed: %w; export the VM again", where, path.Base(mfName), err)
	}
	vm.Manifest = path.Base(mfName)
	if c, ok := files[base+".cert"]; ok && !c.link && c.bad == "" {
		vm.Cert = path.Base(base + ".cert")
	}
	want := func(name string) (*ovf.MFLine, error) {
		l, ok := lines[name]
		if !ok {
			return nil, nil
		}
		if mfHashes[l.Alg] == nil {
			return nil, fmt.Errorf("%s: %s line %d uses %s, which exitbundle does not check (SHA1, SHA256 and SHA512 are): export the VM again with ovftool --shaAlgorithm=SHA256", where, vm.Manifest, l.Line, l.Alg)
		}
		return &l, nil
	}
	var errs []error
	if l, err := want(path.Base(descName)); err != nil {
		errs = append(errs, err)
	} else if l == nil {
		errs = append(errs, fmt.Errorf("%s: its manifest %s does not list the descriptor %s: export the VM again", where, vm.Manifest, path.Base(descName)))
	} else if got := sum(l.Alg, descriptor); got != l.Sum {
		errs = append(errs, fmt.Errorf("%s: %w: %s has %s %s, but %s lists %s: the export was changed or damaged; export the VM again", where, ErrManifestMismatch, path.Base(descName), l.Alg, got, vm.Manifest, l.Sum))
	}
	for i := range vm.Files {
		f := &vm.Files[i]
		l, err := want(f.Href)
		switch {
		case err != nil:
			errs = append(errs, err)
		case l == nil && !strings.EqualFold(path.Ext(f.Href), ".nvram"):
			errs = append(errs, fmt.Errorf("%s: its manifest %s does not list %s, so the file cannot be checked: export the VM again", where, vm.Manifest, f.Href))
		case l != nil && l.Alg == "SHA256":
			f.SHA256 = l.Sum // compared with the hash create computes anyway
		case l != nil:
			open, href, manifest := f.Open, f.Href, vm.Manifest
			f.Open = func(ctx context.Context) (io.ReadCloser, error) {
				rc, err := open(ctx)
				if err != nil {
					return nil, err
				}
				return &mfReader{ReadCloser: rc, h: mfHashes[l.Alg](), line: *l, href: href, mf: manifest}, nil
			}
		}
	}
	return errors.Join(errs...)
}

func sum(alg string, data []byte) string {
	h := mfHashes[alg]()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// mfReader hashes a file as it is read and, at its end, fails instead of
// returning io.EOF when the hash differs from the manifest's. The last
// bytes are returned with a nil error first, so that io.ReadFull cannot
// drop the failure.
type mfReader struct {
	io.ReadCloser
	h    hash.Hash
	line ovf.MFLine
	href string
	mf   string
	end  error
}

func (r *mfReader) Read(p []byte) (int, error) {
	if r.end != nil {
		return 0, r.end
	}
	n, err := r.ReadCloser.Read(p)
	r.h.Write(p[:n])
	if err != io.EOF {
		return n, err
	}
	r.end = io.EOF
	if got := hex.EncodeToString(r.h.Sum(nil)); !bytes.Equal([]byte(got), []byte(r.line.Sum)) {
		r.end = fmt.Errorf("%w: %s has %s %s, but %s lists %s: the export was changed or damaged after it was made; export the VM again", ErrManifestMismatch, r.href, r.line.Alg, got, r.mf, r.line.Sum)
	}
	if n > 0 {
		return n, nil
	}
	return 0, r.end
}
