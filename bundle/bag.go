package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/seal"
	"github.com/exitkit/exitkit/internal/version"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func toolVersion() string {
	return "exitbundle " + version.String()
}

// finish writes the tag files and, last, the signature.
func (c *creator) finish() (*Manifest, error) {
	o := c.opts
	if err := c.sweep(); err != nil {
		return nil, err
	}
	m := &Manifest{
		Format:      FormatVersion,
		Created:     c.st.header.Created,
		Tool:        toolVersion(),
		Provider:    o.Info.Provider,
		Customer:    o.Info.Customer,
		Contact:     o.Info.Contact,
		Description: o.Info.Description,
		Signer: Signer{
			Fingerprint: keys.Fingerprint(o.Signer.PublicKey()),
			PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(o.Signer.PublicKey()))),
		},
		Encryption:  Encryption{Mode: "none"},
		Compression: "none",
		VMs:         c.vms,
	}
	if len(c.recipients) > 0 {
		m.Encryption = Encryption{Mode: "age", Recipients: o.RecipientNames, Passphrase: len(o.Passphrase) > 0}
	}
	if c.compressed {
		m.Compression = "zstd"
	}

	// Payload files must be on disk before a signature vouches for them.
	var payload []File
	for _, vm := range c.vms {
		for _, f := range vm.Files {
			payload = append(payload, f)
			if err := syncFile(c.path(f.Path)); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(payload, func(i, j int) bool { return payload[i].Path < payload[j].Path })

	tags := []string{BagItFile, BagInfoFile, ManifestFile, ExitManifestFile, IndexFile, ReadmeFile}
	if o.Terms != "" {
		data, t, err := readTerms(o.Terms)
		if err != nil {
			return nil, err
		}
		m.Terms = t
		if err := writeAtomic(filepath.Join(c.dir, TermsFile), data); err != nil {
			return nil, err
		}
		tags = append(tags, TermsFile)
	}
	tags = append(tags, SignerFile)

	var man bytes.Buffer
	var octets int64
	for _, f := range payload {
		fmt.Fprintf(&man, "%s  %s\n", f.StoredSHA256, f.Path)
		octets += f.StoredSize
	}
	jsonData, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	index, readme, err := RenderIndex(m)
	if err != nil {
		return nil, fmt.Errorf("render index: %w", err)
	}
	files := map[string][]byte{
		BagItFile:        []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
		BagInfoFile:      bagInfo(o.Info, c.st.header, octets, len(payload)),
		ManifestFile:     man.Bytes(),
		ExitManifestFile: append(jsonData, '\n'),
		IndexFile:        index,
		ReadmeFile:       readme,
		SignerFile:       []byte(m.Signer.PublicKey + " exitbundle signer " + m.Signer.Fingerprint + "\n"),
	}
	var tagman bytes.Buffer
	for _, name := range tags {
		data, ok := files[name]
		if ok {
			if err := writeAtomic(filepath.Join(c.dir, name), data); err != nil {
				return nil, err
			}
		} else if data, err = os.ReadFile(filepath.Join(c.dir, name)); err != nil {
			return nil, err
		}
		fmt.Fprintf(&tagman, "%s  %s\n", sha256Hex(data), name)
	}
	if err := writeAtomic(filepath.Join(c.dir, TagManifestFile), tagman.Bytes()); err != nil {
		return nil, err
	}
	syncDir(c.dir)
	sig, err := seal.Sign(o.Signer, bytes.NewReader(tagman.Bytes()))
	if err != nil {
		return nil, err
	}
	if err := c.st.finish(sig); err != nil {
		return nil, err
	}
	return m, nil
}

// bagInfo writes bag-info.txt. Values are kept to one line each.
func bagInfo(info Info, h stateHeader, octets int64, count int) []byte {
	var b bytes.Buffer
	label := func(k, v string) {
		v = strings.Join(strings.Fields(v), " ")
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	label("Source-Organization", info.Provider)
	label("Contact-Name", info.Contact)
	desc := info.Description
	if info.Customer != "" {
		label("Customer", info.Customer)
		if desc == "" {
			desc = "Exit bundle of the virtual machines of " + info.Customer
		}
	}
	if desc == "" {
		desc = "Exit bundle of virtual machines"
	}
	label("External-Description", desc)
	label("Bagging-Date", h.Created.Format("2006-01-02"))
	label("External-Identifier", h.ID)
	label("Bag-Size", humanBytes(octets))
	label("Payload-Oxum", fmt.Sprintf("%d.%d", octets, count))
	label("Bag-Software-Agent", toolVersion())
	return b.Bytes()
}

// sweep removes what an earlier, interrupted run left that is not part of
// this bundle: .partial files and files of a plan that changed. It runs only
// in a folder create has claimed through its marker.
func (c *creator) sweep() error {
	keep := map[string]bool{}
	for _, vm := range c.vms {
		for _, f := range vm.Files {
			keep[f.Path] = true
		}
	}
	root := c.path("data")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() || keep[rel] {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 || d.Type().IsRegular() {
			return os.Remove(p)
		}
		return fmt.Errorf("unexpected %s in the bundle: remove it", p)
	})
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("clean up leftovers: %w", err)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if isPartialName(e.Name()) {
			os.Remove(filepath.Join(c.dir, e.Name()))
		}
	}
	// Empty folders of VMs that are no longer part of the bundle.
	vms, _ := os.ReadDir(c.path(PayloadDir))
	for _, e := range vms {
		if e.IsDir() {
			os.Remove(c.path(PayloadDir + "/" + e.Name())) // fails, as wanted, unless empty
		}
	}
	return nil
}

func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", p, err)
	}
	return nil
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ExitManifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read %s: %w", ExitManifestFile, err)
	}
	return &m, nil
}

// finishTar serializes the signed bag in dir as one tar file and removes
// dir. The tar holds one folder named after the tar file (BagIt's rule for
// serialized bags), tag files first so a reader finds exit-manifest.json
// without reading the payload, then data/ in path order. Headers are
// deterministic: mode 0644/0755, owner 0, the bag's creation time. Go's
// archive/tar writes USTAR headers, and PAX ones only where a file exceeds
// 8 GiB or a name does not fit. It is written to FILE.partial and renamed
// when complete, so a tar under its final name is always whole.
func finishTar(dir, tarPath string) (*Manifest, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", tarPath, err)
	}
	if err := writeTar(dir, tarPath, m.Created); err != nil {
		return nil, fmt.Errorf("create %s: %w; the signed bag is complete in %s: run the same command again to retry", tarPath, err, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("create %s: remove %s: %w", tarPath, dir, err)
	}
	return m, nil
}

// TarBagName is the name of the single folder a bundle tar holds.
func TarBagName(tarPath string) string {
	base := filepath.Base(tarPath)
	if ext := path.Ext(base); strings.EqualFold(ext, ".tar") {
		base = base[:len(base)-len(ext)]
	}
	return SanitizeName(base)
}

func writeTar(dir, tarPath string, created time.Time) error {
	prefix := TarBagName(tarPath)
	tagOrder := []string{BagItFile, BagInfoFile, ExitManifestFile, IndexFile, ReadmeFile, TermsFile, SignerFile, ManifestFile, TagManifestFile, SignatureFile}
	var names []string
	for _, n := range tagOrder {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			names = append(names, n)
		}
	}
	var data []string
	err := filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		data = append(data, rel)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(data)

	tmp := tarPath + ".partial"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	mtime := created.UTC().Truncate(time.Second)
	hdr := func(name string, size int64, dirEntry bool) *tar.Header {
		h := &tar.Header{Name: prefix + "/" + name, Size: size, Mode: 0o644, ModTime: mtime, Typeflag: tar.TypeReg}
		if dirEntry {
			h.Mode, h.Size, h.Typeflag = 0o755, 0, tar.TypeDir
		}
		return h
	}
	if err := tw.WriteHeader(hdr("", 0, true)); err != nil {
		return err
	}
	buf := make([]byte, writeSize)
	for _, n := range append(names, data...) {
		if strings.HasSuffix(n, "/") {
			if err := tw.WriteHeader(hdr(n, 0, true)); err != nil {
				return err
			}
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err == nil {
			err = tw.WriteHeader(hdr(n, fi.Size(), false))
		}
		if err == nil {
			_, err = io.CopyBuffer(struct{ io.Writer }{tw}, struct{ io.Reader }{f}, buf)
		}
		f.Close()
		if err != nil {
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
	if err := os.Rename(tmp, tarPath); err != nil {
		return err
	}
	syncDir(filepath.Dir(tarPath))
	return nil
}
