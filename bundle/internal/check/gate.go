package check

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/seal"
)

// Decoding a received file costs what its sender chose: a 285 KiB
// .zst.age can inflate to gigabytes, a passphrase stanza can ask for
// gigabytes of scrypt memory. So nothing is decoded on the bundle's word
// alone: the Gate decodes only files the signed exit-manifest.json lists,
// each bounded by the plaintext size it declares, and nothing at all when
// the signature does not verify, unless the user forced it.

// TrustFiles are the tag files the signature check and the Gate read
// before any payload byte.
var TrustFiles = []string{manifest.TagManifestFile, manifest.SignatureFile, manifest.SignerFile, manifest.ExitManifestFile, manifest.ManifestFile, manifest.IncompleteMarker}

// Gate says which payload files may be decoded, and up to how many
// plaintext bytes.
type Gate struct {
	limits map[string]int64    // stored bag path -> declared plaintext size
	prefix string              // a streamed tar's top folder, stripped before lookup
	trust  map[string]*Scanned // trust files read before the scan, kept once
	// Note says why files are not decoded, for the plaintext check.
	Note string
}

// Limit returns the plaintext size a file may decode to, and whether it
// may be decoded at all. A nil Gate decodes nothing.
func (g *Gate) Limit(p string) (int64, bool) {
	if g == nil || g.limits == nil {
		return 0, false
	}
	n, ok := g.limits[strings.TrimPrefix(p, g.prefix)]
	return n, ok
}

// readBefore returns a trust file read before the scan, whose content
// the scan need not keep again.
func (g *Gate) readBefore(p string) *Scanned {
	if g == nil {
		return nil
	}
	return g.trust[p]
}

// ReadTrustFiles reads the files of TrustFiles a bag holds, each within
// its metadata cap.
func ReadTrustFiles(bag *bagit.Bag) (*Result, error) {
	res := &Result{Files: map[string]*Scanned{}}
	for _, name := range TrustFiles {
		data, err := bag.ReadSmall(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		res.Files[name] = &Scanned{Path: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Data: data}
	}
	return res, nil
}

// TrustProblems runs the checks that must pass before anything from the
// payload is believed: finished, signed by the expected key, and
// exit-manifest.json and manifest-sha256.txt covered by the signed tag
// manifest. It lists what failed, one line each.
func TrustProblems(e *Evaluator, res *Result) []string {
	complete := e.Complete()
	sig := e.Signature()
	tags := Check{Name: CheckTagManifest}
	if lines, err := e.TagManifest(); err != nil {
		tags.Files = append(tags.Files, FileProblem{Path: manifest.TagManifestFile, Problem: err.Error()})
	} else {
		sums := map[string]string{}
		for _, l := range lines {
			sums[l.Path] = l.SHA256
		}
		for _, name := range []string{manifest.ExitManifestFile, manifest.ManifestFile} {
			s, ok := res.Files[name]
			switch {
			case !ok:
				tags.Files = append(tags.Files, FileProblem{Path: name, Problem: "missing"})
			case sums[name] == "":
				tags.Files = append(tags.Files, FileProblem{Path: name, Problem: "not listed in the tag manifest, so the signature does not cover it"})
			case sums[name] != s.SHA256:
				tags.Files = append(tags.Files, FileProblem{Path: name, Problem: "SHA-256 differs from the tag manifest: the file was changed"})
			}
		}
	}
	var problems []string
	for _, c := range []Check{complete, sig, tags} {
		if len(c.Files) == 0 && (c.Status == "" || c.Status == StatusPass) {
			continue
		}
		if len(c.Files) == 0 {
			problems = append(problems, c.Name+": "+c.Detail)
		}
		for _, f := range c.Files {
			problems = append(problems, fmt.Sprintf("%s: %s: %s", c.Name, bagit.Escape(f.Path), f.Problem))
		}
	}
	return problems
}

// NewGate judges the trust files read so far. With them vouched for by
// the signature (or force), every encrypted or compressed file
// exit-manifest.json lists may be decoded up to its declared size.
func NewGate(res *Result, pin *seal.Pin, force bool) *Gate {
	g := &Gate{}
	if problems := TrustProblems(NewEvaluator(res, pin), res); len(problems) > 0 && !force {
		g.Note = "not decoded: the signature does not vouch for the sizes exit-manifest.json declares, so decoding could cost any amount of work (" + problems[0] + ")"
		return g
	}
	s, ok := res.Files[manifest.ExitManifestFile]
	if !ok || s.Data == nil {
		g.Note = "not decoded: no readable " + manifest.ExitManifestFile + " declares the plaintext sizes"
		return g
	}
	m, err := manifest.Decode(s.Data)
	if err != nil {
		g.Note = "not decoded: " + err.Error()
		return g
	}
	g.limits = map[string]int64{}
	for _, vm := range m.VMs {
		for _, f := range vm.Files {
			if f.Size >= 0 && (f.Encrypted || f.Compression != "") && strings.HasPrefix(f.Path, manifest.PayloadDir+"/") {
				g.limits[f.Path] = f.Size
			}
		}
	}
	return g
}
