package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/index"
	"github.com/exitkit/exitkit/bundle/internal/journal"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/seal"
	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/version"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func toolVersion() string {
	return "exitbundle " + version.String()
}

// finish writes the tag files and, last, the signature: clean up what an
// earlier run left, make the payload durable, describe it, sign.
func (c *creator) finish() (*Manifest, error) {
	payload, err := c.settle()
	if err != nil {
		return nil, err
	}
	m := c.exitManifest()
	tags, err := c.writeTags(m, payload)
	if err != nil {
		return nil, err
	}
	var tagman bytes.Buffer
	for _, t := range tags {
		fmt.Fprintf(&tagman, "%s  %s\n", t.sum, t.name)
	}
	if err := fsx.WriteFile(c.out, TagManifestFile, tagman.Bytes(), 0o644); err != nil {
		return nil, err
	}
	sig, err := seal.Sign(c.opts.Signer, bytes.NewReader(tagman.Bytes()))
	if err != nil {
		return nil, err
	}
	if err := c.j.Seal(sig); err != nil {
		return nil, err
	}
	return m, nil
}

// settle has the sink drop what an earlier, interrupted run left that is
// not part of this bundle and make every stored file durable, since a
// signature may vouch only for what is on disk; it returns the payload in
// path order.
func (c *creator) settle() ([]File, error) {
	var payload []File
	keep := map[string]bool{}
	for _, vm := range c.vms {
		for _, f := range vm.Files {
			payload = append(payload, f)
			keep[f.Path] = true
		}
	}
	if err := c.sink.Settle(keep); err != nil {
		return nil, err
	}
	sort.Slice(payload, func(i, j int) bool { return payload[i].Path < payload[j].Path })
	return payload, nil
}

// exitManifest describes the bundle for machines.
func (c *creator) exitManifest() *Manifest {
	o := c.opts
	m := &Manifest{
		Format:      FormatVersion,
		ID:          c.j.Header.ID,
		Created:     c.j.Header.Created,
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
		Sources:     c.sources,
		VMs:         c.vms,
	}
	if len(c.recipients) > 0 {
		m.Encryption = Encryption{Mode: "age", Recipients: o.RecipientNames, Passphrase: len(o.Passphrase) > 0}
	}
	if c.compressed {
		m.Compression = "zstd"
	}
	return m
}

type tagFile struct{ name, sum string }

// writeTags writes every tag file the tag manifest lists, in its order,
// and returns their hashes. TERMS.html, when given, is recorded in m.
func (c *creator) writeTags(m *Manifest, payload []File) ([]tagFile, error) {
	o := c.opts
	order := []string{BagItFile, BagInfoFile, ManifestFile, ExitManifestFile, IndexFile, ReadmeFile}
	files := map[string][]byte{}
	if c.terms != nil {
		t, err := parseTerms(c.terms.Data)
		if err != nil {
			return nil, fmt.Errorf("terms %s: %w", o.Terms, err)
		}
		t.Values = index.TermsValues(c.terms.Data)
		m.Terms = t
		files[TermsFile] = c.terms.Data
		order = append(order, TermsFile)
	}
	order = append(order, SignerFile)

	var man bytes.Buffer
	var octets int64
	for _, f := range payload {
		fmt.Fprintf(&man, "%s  %s\n", f.StoredSHA256, f.Path)
		octets += f.StoredSize
	}
	jsonData, err := manifest.Encode(m)
	if err != nil {
		return nil, err
	}
	indexHTML, readme, err := index.RenderWith(c.templates(), m, index.Options{ShowOrigin: o.ShowOrigin})
	if err != nil {
		return nil, fmt.Errorf("render index: %w", err)
	}
	files[BagItFile] = []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
	files[BagInfoFile] = bagInfo(o.Info, c.j.Header, octets, len(payload))
	files[ManifestFile] = man.Bytes()
	files[ExitManifestFile] = jsonData
	files[IndexFile] = indexHTML
	files[ReadmeFile] = readme
	files[SignerFile] = []byte(m.Signer.PublicKey + " exitbundle signer " + m.Signer.Fingerprint + "\n")
	var tags []tagFile
	for _, name := range order {
		if err := fsx.WriteFile(c.out, name, files[name], 0o644); err != nil {
			return nil, err
		}
		tags = append(tags, tagFile{name, sha256Hex(files[name])})
	}
	return tags, nil
}

// bagInfo writes bag-info.txt. Values are kept to one line each.
func bagInfo(info Info, h journal.Header, octets int64, count int) []byte {
	var b bytes.Buffer
	label := func(k, v string) {
		v = strings.Join(strings.Fields(v), " ")
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	label("Source-Organization", info.Provider)
	// RFC 8493's Contact-Email takes an address; a contact that holds none
	// (a name or a desk) can only be a Contact-Name.
	label("Contact-Name", info.ContactName)
	emails := strings.FieldsFunc(info.Contact, func(r rune) bool { return strings.ContainsRune(" \t,;<>()", r) })
	emails = slices.DeleteFunc(emails, func(f string) bool { return !strings.Contains(f, "@") })
	for _, e := range emails {
		label("Contact-Email", e)
	}
	if len(emails) == 0 && info.ContactName == "" {
		label("Contact-Name", info.Contact)
	}
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
	label("Bag-Size", manifest.HumanBytes(octets))
	label("Payload-Oxum", fmt.Sprintf("%d.%d", octets, count))
	label("Bag-Software-Agent", toolVersion())
	return b.Bytes()
}

func readSmall(out fsx.FS, name string) ([]byte, error) {
	f, err := out.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bagit.ReadCapped(f, name)
}

func readManifest(out fsx.FS) (*Manifest, error) {
	data, err := readSmall(out, ExitManifestFile)
	if err != nil {
		return nil, err
	}
	return manifest.Decode(data)
}

// hashFile returns the SHA-256 of a file an earlier run stored, for
// checking a done record; a file of another size than size is not read.
func hashFile(sink bagit.Sink, name string, size int64, buf []byte) (string, error) {
	f, n, err := sink.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if n != size {
		return "", fmt.Errorf("%s has %d bytes, not %d", name, n, size)
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{io.LimitReader(f, size)}, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
