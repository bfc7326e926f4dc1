package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/internal/pipeline"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/ovf"
	"github.com/exitkit/exitkit/bundle/seal"
	"golang.org/x/crypto/ssh"
)

// Evaluator holds what the checks share while they run over a scan.
// Restore runs some of its checks (Complete, Signature, TagManifest)
// before it writes anything.
type Evaluator struct {
	res      *Result
	pin      *seal.Pin
	report   *Report
	payload  map[string]bagit.ManifestLine // manifest-sha256.txt by path
	exit     *manifest.Manifest
	filePath map[string]*manifest.File // exit-manifest files by bag path
}

// Evaluate judges what the scan saw against the bag's own manifests and
// the expected signer, check by check.
func Evaluate(res *Result, pin *seal.Pin) *Report {
	e := NewEvaluator(res, pin)
	for _, s := range res.Files {
		e.report.Files++
		e.report.Bytes += s.Size
	}
	e.add(e.Complete())
	e.add(e.Signature())
	e.add(e.checkTagManifest())
	bagitCheck := e.checkBagIt()
	e.report.BagItValid = len(bagitCheck.Files) == 0
	e.add(bagitCheck)
	e.add(e.checkProfile())
	e.add(e.checkPayload())
	e.add(e.checkExitManifest())
	e.add(e.checkOVF())
	e.add(e.checkPlaintext())
	e.report.OK = true
	e.report.Skipped = []string{}
	if !e.report.SignerPinned {
		e.report.Skipped = append(e.report.Skipped, "signer (not pinned: compare the fingerprint out of band)")
	}
	for _, c := range e.report.Checks {
		switch c.Status {
		case StatusFail:
			e.report.OK = false
		case StatusSkip:
			e.report.Skipped = append(e.report.Skipped, c.Name)
		}
	}
	return e.report
}

// NewEvaluator prepares the checks of a scan.
func NewEvaluator(res *Result, pin *seal.Pin) *Evaluator {
	return &Evaluator{res: res, pin: pin, report: &Report{}}
}

// Report is what the checks run so far found.
func (e *Evaluator) Report() *Report { return e.report }

func (e *Evaluator) add(c Check) {
	sort.SliceStable(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	sort.SliceStable(c.Notes, func(i, j int) bool { return c.Notes[i].Path < c.Notes[j].Path })
	if c.Status == "" {
		c.Status = StatusPass
		if len(c.Files) > 0 {
			c.Status = StatusFail
		}
	}
	e.report.Checks = append(e.report.Checks, c)
}

// data returns a kept metadata file's content, or nil when absent.
func (e *Evaluator) data(p string) ([]byte, bool) {
	s, ok := e.res.Files[p]
	if !ok || s.Err != nil || s.Data == nil {
		return nil, false
	}
	return s.Data, true
}

func (e *Evaluator) Complete() Check {
	c := Check{Name: CheckComplete}
	if _, ok := e.res.Files[manifest.IncompleteMarker]; ok {
		c.Files = append(c.Files, FileProblem{manifest.IncompleteMarker, "present: create did not finish; run the same create command again to resume"})
	}
	if _, ok := e.res.Files[manifest.SignatureFile]; !ok {
		c.Files = append(c.Files, FileProblem{manifest.SignatureFile, "missing: the bundle was never signed, so it is unfinished; run the same create command again to resume"})
	}
	if len(c.Files) > 0 {
		e.report.Incomplete = true
		c.Detail = "the bundle is unfinished"
	} else {
		c.Detail = "signed, no incomplete marker"
	}
	return c
}

func (e *Evaluator) Signature() Check {
	c := Check{Name: CheckSignature}
	fail := func(p, problem string) Check {
		c.Files = append(c.Files, FileProblem{p, problem})
		c.Detail = "the tag manifest's signature does not verify"
		return c
	}
	var signerPub ssh.PublicKey
	if data, ok := e.data(manifest.SignerFile); ok {
		if k, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
			signerPub = k
		} else {
			c.Files = append(c.Files, FileProblem{manifest.SignerFile, "not an OpenSSH public key: " + err.Error()})
		}
	}
	sigData, ok := e.data(manifest.SignatureFile)
	if !ok {
		c.Status = StatusFail
		c.Detail = "no signature: nothing vouches for this bundle"
		if _, present := e.res.Files[manifest.SignatureFile]; present {
			return fail(manifest.SignatureFile, "unreadable or too large")
		}
		return c
	}
	tm, ok := e.data(manifest.TagManifestFile)
	if !ok {
		return fail(manifest.TagManifestFile, "missing or unreadable: there is nothing the signature covers")
	}
	sig, err := seal.Parse(sigData)
	if err != nil {
		return fail(manifest.SignatureFile, "signature file corrupt: not a readable SSHSIG signature ("+err.Error()+"); the bundle cannot be checked until a good copy of it is found")
	}
	signed := &manifest.Signer{Fingerprint: ssh.FingerprintSHA256(sig.PublicKey()), PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sig.PublicKey())))}
	e.report.Signer = signed
	e.report.SignerPinned = e.pin.Pinned()
	want, how, problem := e.pin.Expect(sig.PublicKey(), signerPub)
	switch {
	case problem != "":
		return fail(manifest.SignatureFile, problem)
	case want == nil:
		return fail(manifest.SignerFile, "missing: without it, or a pinned signer (a key, a fingerprint or an allowed signers file), there is no key to check the signature against")
	case !e.report.SignerPinned:
		e.report.SignerNote = "The signer was not pinned: this proves the bundle is intact, not who made it. " +
			"Compare the fingerprint above with the one the provider published (for example on its legal site), " +
			"then verify again with that signer pinned (its key, its fingerprint or an allowed signers file)."
	}
	if signerPub != nil && !bytes.Equal(signerPub.Marshal(), sig.PublicKey().Marshal()) {
		if p := sig.Verify(tm, sig.PublicKey()); p != nil {
			// The key it names does not verify it either: the signature
			// file itself is damaged, which implicates no one's key.
			e.report.Signer = nil
			return fail(manifest.SignatureFile, "signature file corrupt (or the tag manifest changed): it does not verify even with the key it names, so it says nothing about signer.pub ("+p.Text+")")
		}
		c.Files = append(c.Files, FileProblem{manifest.SignerFile, fmt.Sprintf("holds %s, but the signature was made by %s: signer.pub was replaced",
			ssh.FingerprintSHA256(signerPub), signed.Fingerprint)})
	}
	if p := sig.Verify(tm, want); p != nil {
		if p.Message {
			c.Files = append(c.Files, FileProblem{manifest.TagManifestFile, "does not match its signature: it or the signature was changed"})
		}
		return fail(manifest.SignatureFile, p.Text)
	}
	if len(c.Files) > 0 {
		c.Detail = "the signature verifies, but see below"
		return c
	}
	c.Detail = fmt.Sprintf("SSHSIG (namespace %s, %s) by %s, %s", manifest.SignatureNamespace, sig.HashAlgorithm(), signed.Fingerprint, how)
	return c
}

// tagManifest returns the parsed tag manifest, or nil.
func (e *Evaluator) TagManifest() ([]bagit.ManifestLine, error) {
	data, ok := e.data(manifest.TagManifestFile)
	if !ok {
		return nil, errors.New("missing or unreadable")
	}
	return bagit.ParseManifest(data)
}

func (e *Evaluator) checkTagManifest() Check {
	c := Check{Name: CheckTagManifest}
	lines, err := e.TagManifest()
	if err != nil {
		c.Files = append(c.Files, FileProblem{manifest.TagManifestFile, err.Error()})
		c.Detail = "the tag manifest cannot be read"
		return c
	}
	listed := map[string]bool{}
	for _, l := range lines {
		listed[l.Path] = true
		if inPayload(l.Path) {
			c.Files = append(c.Files, FileProblem{l.Path, "a payload file in the tag manifest, which lists tag files only"})
			continue
		}
		s, ok := e.res.Files[l.Path]
		switch {
		case !ok:
			c.Files = append(c.Files, FileProblem{l.Path, "listed in the tag manifest but missing"})
		case s.Err != nil:
			c.Files = append(c.Files, FileProblem{l.Path, "unreadable: " + s.Err.Error()})
		case s.SHA256 != l.SHA256:
			c.Files = append(c.Files, FileProblem{l.Path, "SHA-256 differs from the tag manifest: the file was changed"})
		}
	}
	for _, must := range []string{manifest.BagItFile, manifest.BagInfoFile, manifest.ManifestFile, manifest.ExitManifestFile} {
		if !listed[must] {
			c.Files = append(c.Files, FileProblem{must, "not listed in the tag manifest, so the signature does not cover it"})
		}
	}
	if len(c.Files) == 0 {
		c.Detail = countOf(len(lines), "tag file") + verbS(len(lines), " match")
	} else {
		c.Detail = "tag files differ from the signed tag manifest"
	}
	return c
}

// checkBagIt judges the bag as RFC 8493 alone says, whatever made it:
// bagit.txt, bag-info.txt, every payload manifest and tag manifest of any
// algorithm the RFC names, completeness, no fetch.txt.
func (e *Evaluator) checkBagIt() Check {
	c := Check{Name: CheckBagIt}
	c.Files = append(c.Files, e.res.Problems...)
	if data, ok := e.data(manifest.BagItFile); !ok {
		c.Files = append(c.Files, FileProblem{manifest.BagItFile, "missing or unreadable"})
	} else if err := bagit.CheckBagItTxt(data); err != nil {
		c.Files = append(c.Files, FileProblem{manifest.BagItFile, err.Error()})
	}
	if _, ok := e.res.Files["fetch.txt"]; ok {
		c.Files = append(c.Files, FileProblem{"fetch.txt", "present: the bag names files to download (RFC 8493 section 2.2.3); exitkit never fetches, a bundle must hold every file itself"})
	}
	if _, present := e.res.Files[manifest.BagInfoFile]; present {
		if data, ok := e.data(manifest.BagInfoFile); !ok {
			c.Files = append(c.Files, FileProblem{manifest.BagInfoFile, "unreadable or too large"})
		} else if _, err := bagit.ParseInfo(data); err != nil {
			c.Files = append(c.Files, FileProblem{manifest.BagInfoFile, err.Error()})
		}
	}

	var payloadManifests, tagManifests []string
	for p := range e.res.Files {
		if _, tag, ok := bagit.ManifestName(p); ok {
			if tag {
				tagManifests = append(tagManifests, p)
			} else {
				payloadManifests = append(payloadManifests, p)
			}
		}
	}
	sort.Strings(payloadManifests)
	sort.Strings(tagManifests)
	if len(payloadManifests) == 0 {
		c.Files = append(c.Files, FileProblem{manifest.ManifestFile, "no payload manifest (manifest-ALG.txt) at all"})
	}
	e.payload = map[string]bagit.ManifestLine{}
	var inData []string
	for p := range e.res.Files {
		if strings.HasPrefix(p, "data/") && !isOSLitter(p) {
			inData = append(inData, p)
		}
	}
	sort.Strings(inData)
	checked := 0
	for _, m := range payloadManifests {
		alg, _, _ := bagit.ManifestName(m)
		lines, ok := e.manifestLines(&c, m, alg)
		if !ok {
			continue
		}
		checked++
		listed := map[string]bool{}
		for _, l := range lines {
			if !strings.HasPrefix(l.Path, "data/") {
				c.Files = append(c.Files, FileProblem{l.Path, fmt.Sprintf("listed in %s line %d but outside data/", m, l.Line)})
				continue
			}
			listed[l.Path] = true
			if alg == "sha256" {
				e.payload[l.Path] = l
			}
			e.compareSum(&c, m, alg, l, false)
		}
		for _, p := range inData {
			if !listed[p] {
				c.Files = append(c.Files, FileProblem{p, "in data/ but not listed in " + m + ": every payload manifest lists every payload file"})
			}
		}
	}
	for _, m := range tagManifests {
		alg, _, _ := bagit.ManifestName(m)
		lines, ok := e.manifestLines(&c, m, alg)
		if !ok {
			continue
		}
		for _, l := range lines {
			if inPayload(l.Path) {
				c.Files = append(c.Files, FileProblem{l.Path, fmt.Sprintf("a payload file in %s, which lists tag files only", m)})
				continue
			}
			e.compareSum(&c, m, alg, l, true)
		}
	}
	for p := range e.res.Files {
		if isOSLitter(p) {
			c.Notes = append(c.Notes, FileProblem{p, "ignored: a file the operating system leaves in folders it shows (not part of the bundle)"})
		}
	}
	if len(c.Files) == 0 {
		c.Detail = fmt.Sprintf("valid per RFC 8493: %s, %s checked, %s", countOf(len(inData), "payload file"), countOf(checked, "payload manifest"), countOf(len(tagManifests), "tag manifest"))
	} else {
		c.Detail = "not a valid BagIt bag (RFC 8493)"
	}
	return c
}

// manifestLines parses manifest m of algorithm alg, reporting into c.
func (e *Evaluator) manifestLines(c *Check, m, alg string) ([]bagit.ManifestLine, bool) {
	if _, known := bagit.Algorithms[alg]; !known {
		c.Notes = append(c.Notes, FileProblem{m, "not checked: " + alg + " is not an algorithm RFC 8493 names"})
		return nil, false
	}
	data, ok := e.data(m)
	if !ok {
		c.Files = append(c.Files, FileProblem{m, "unreadable or too large for a manifest"})
		return nil, false
	}
	lines, err := bagit.ParseManifestAlg(data, alg)
	if err != nil {
		c.Files = append(c.Files, FileProblem{m, err.Error()})
		return nil, false
	}
	return lines, true
}

// compareSum checks one manifest line against the scanned file.
func (e *Evaluator) compareSum(c *Check, m, alg string, l bagit.ManifestLine, tag bool) {
	s, ok := e.res.Files[l.Path]
	switch {
	case !ok:
		c.Files = append(c.Files, FileProblem{l.Path, "listed in " + m + " but missing"})
		return
	case s.Err != nil:
		c.Files = append(c.Files, FileProblem{l.Path, "unreadable: " + s.Err.Error()})
		return
	}
	got := s.SHA256
	if alg != "sha256" {
		got = s.Sums[alg]
	}
	switch {
	case got == "":
		c.Files = append(c.Files, FileProblem{l.Path, fmt.Sprintf("its %s was not computed: %s came after the payload in the stream; verify the folder or the tar file to check it", alg, m)})
	case got != l.Sum:
		c.Files = append(c.Files, FileProblem{l.Path, fmt.Sprintf("%s differs from %s line %d: the file was changed", strings.ToUpper(alg), m, l.Line)})
	}
}

// checkProfile holds exitkit's own rules for a bundle, beyond RFC 8493:
// SHA-256 manifests (what the signature covers), every tag file listed in
// the signed tag manifest, and a Payload-Oxum that matches.
func (e *Evaluator) checkProfile() Check {
	c := Check{Name: CheckProfile}
	for _, must := range []string{manifest.ManifestFile, manifest.TagManifestFile, manifest.BagInfoFile} {
		if _, ok := e.res.Files[must]; !ok {
			c.Files = append(c.Files, FileProblem{must, "missing: an exit bundle has one"})
		}
	}
	tagListed := map[string]bool{manifest.TagManifestFile: true, manifest.SignatureFile: true, manifest.IncompleteMarker: true}
	if lines, err := e.TagManifest(); err == nil {
		for _, l := range lines {
			tagListed[l.Path] = true
		}
	}
	var octets, count int64
	for p, s := range e.res.Files {
		if isOSLitter(p) {
			continue
		}
		if strings.HasPrefix(p, "data/") {
			octets += s.Size
			count++
			continue
		}
		if !tagListed[p] {
			c.Files = append(c.Files, FileProblem{p, "not listed in the tag manifest: an extra file the signature does not cover"})
		}
	}
	if data, ok := e.data(manifest.BagInfoFile); ok {
		if info, err := bagit.ParseInfo(data); err == nil {
			if oxum, ok := info.Get("Payload-Oxum"); !ok {
				c.Files = append(c.Files, FileProblem{manifest.BagInfoFile, "no Payload-Oxum"})
			} else if o, n, err := bagit.ParsePayloadOxum(oxum); err != nil {
				c.Files = append(c.Files, FileProblem{manifest.BagInfoFile, err.Error()})
			} else if o != octets || n != count {
				c.Files = append(c.Files, FileProblem{manifest.BagInfoFile, fmt.Sprintf("Payload-Oxum says %d bytes in %d files, data/ holds %d bytes in %d files", o, n, octets, count)})
			}
		}
	}
	if len(c.Files) == 0 {
		c.Detail = "exitkit's profile: SHA-256 manifests, every tag file signed, Payload-Oxum matches"
	} else {
		c.Detail = "not an exit bundle as exitkit writes them"
	}
	return c
}

func (e *Evaluator) checkPayload() Check {
	c := Check{Name: CheckPayload}
	if len(e.payload) == 0 {
		c.Status = StatusFail
		c.Detail = "no payload manifest to check against"
		return c
	}
	var bytes int64
	for p, l := range e.payload {
		s, ok := e.res.Files[p]
		switch {
		case !ok:
			// Reported by the bagit check.
		case s.Err != nil:
			c.Files = append(c.Files, FileProblem{p, "unreadable: " + s.Err.Error()})
		case s.SHA256 != l.SHA256:
			c.Files = append(c.Files, FileProblem{p, "SHA-256 differs from " + manifest.ManifestFile + ": the stored file is damaged or was changed"})
		default:
			bytes += s.Size
		}
	}
	if len(c.Files) == 0 {
		c.Detail = fmt.Sprintf("%s, %s, all SHA-256 match", countOf(len(e.payload), "file"), manifest.HumanBytes(bytes))
	} else {
		c.Detail = fmt.Sprintf("%d of %s differ%s", len(c.Files), countOf(len(e.payload), "file"), sIf(len(c.Files) == 1))
	}
	return c
}

func (e *Evaluator) checkExitManifest() Check {
	c := Check{Name: CheckExitManifest}
	data, ok := e.data(manifest.ExitManifestFile)
	if !ok {
		c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, "missing or unreadable"})
		c.Detail = "no machine-readable manifest"
		return c
	}
	var m manifest.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, "not valid JSON: " + err.Error()})
		c.Detail = "no machine-readable manifest"
		return c
	}
	e.exit = &m
	e.filePath = map[string]*manifest.File{}
	if m.Format != manifest.FormatVersion {
		c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, fmt.Sprintf("format %q, this exitbundle reads %q", bagit.Clip(m.Format), manifest.FormatVersion)})
	}
	if e.report.Signer != nil && m.Signer.Fingerprint != "" && m.Signer.Fingerprint != e.report.Signer.Fingerprint {
		c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, fmt.Sprintf("names signer %s, but %s signed", bagit.Clip(m.Signer.Fingerprint), e.report.Signer.Fingerprint)})
	}
	described := map[string]bool{}
	names := map[string]bool{}
	nfiles := 0
	for vi := range m.VMs {
		vm := &m.VMs[vi]
		if vm.Name == "" || manifest.SanitizeName(vm.Name) != vm.Name || names[vm.Name] {
			c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, fmt.Sprintf("VM name %q is empty, unsafe or repeated", bagit.Clip(vm.Name))})
			continue
		}
		names[vm.Name] = true
		dir := manifest.PayloadDir + "/" + vm.Name + "/"
		for _, p := range []string{vm.OVF, vm.MF} {
			if !strings.HasPrefix(p, dir) || strings.Contains(p[len(dir):], "/") {
				c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, fmt.Sprintf("VM %s: %q is not in %s", vm.Name, bagit.Clip(p), dir)})
				continue
			}
			described[p] = true
			if _, ok := e.res.Files[p]; !ok {
				c.Files = append(c.Files, FileProblem{p, "named in " + manifest.ExitManifestFile + " but missing"})
			}
		}
		for fi := range vm.Files {
			f := &vm.Files[fi]
			nfiles++
			if !strings.HasPrefix(f.Path, dir) || strings.Contains(f.Path[len(dir):], "/") {
				c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, fmt.Sprintf("VM %s: file %q is not in %s", vm.Name, bagit.Clip(f.Path), dir)})
				continue
			}
			if e.filePath[f.Path] != nil {
				c.Files = append(c.Files, FileProblem{manifest.ExitManifestFile, fmt.Sprintf("VM %s: file %s listed twice", vm.Name, f.Path)})
				continue
			}
			e.filePath[f.Path] = f
			described[f.Path] = true
			if f.Name == "" || strings.ContainsAny(f.Name, "/\\") || f.Name == "." || f.Name == ".." {
				c.Files = append(c.Files, FileProblem{f.Path, fmt.Sprintf("plaintext name %q is unsafe", bagit.Clip(f.Name))})
			}
			enc, comp := StoredForm(f.Path)
			if enc != f.Encrypted || comp != (f.Compression == "zstd") {
				c.Files = append(c.Files, FileProblem{f.Path, "its name disagrees with the encryption or compression " + manifest.ExitManifestFile + " records"})
			}
			suffix := ""
			if comp {
				suffix += ".zst"
			}
			if enc {
				suffix += ".age"
			}
			if path.Base(f.Path) != f.Name+suffix {
				c.Files = append(c.Files, FileProblem{f.Path, fmt.Sprintf("stored name does not match the plaintext name %q", bagit.Clip(f.Name))})
			}
			if l, ok := e.payload[f.Path]; ok && l.SHA256 != strings.ToLower(f.StoredSHA256) {
				c.Files = append(c.Files, FileProblem{f.Path, "stored SHA-256 in " + manifest.ExitManifestFile + " differs from " + manifest.ManifestFile})
			}
			if s, ok := e.res.Files[f.Path]; !ok {
				c.Files = append(c.Files, FileProblem{f.Path, "named in " + manifest.ExitManifestFile + " but missing"})
			} else if s.Err == nil && s.Size != f.StoredSize {
				c.Files = append(c.Files, FileProblem{f.Path, fmt.Sprintf("%d bytes stored, %s says %d", s.Size, manifest.ExitManifestFile, f.StoredSize)})
			}
		}
	}
	for p := range e.payload {
		if !described[p] {
			c.Files = append(c.Files, FileProblem{p, "a payload file " + manifest.ExitManifestFile + " does not describe"})
		}
	}
	if len(c.Files) == 0 {
		c.Detail = fmt.Sprintf("%s, %s, consistent with the bag", countOf(len(m.VMs), "VM"), countOf(nfiles, "file"))
	} else {
		c.Detail = manifest.ExitManifestFile + " disagrees with the bag"
	}
	return c
}

// skipWithoutExit marks c skipped when exit-manifest.json could not be
// read, as the checks that compare against it cannot run.
func (e *Evaluator) skipWithoutExit(c *Check) bool {
	if e.exit != nil {
		return false
	}
	c.Status = StatusSkip
	c.Detail = "not run: no readable " + manifest.ExitManifestFile
	return true
}

func (e *Evaluator) checkOVF() Check {
	c := Check{Name: CheckOVF}
	if e.skipWithoutExit(&c) {
		return c
	}
	for _, vm := range e.exit.VMs {
		if _, ok := e.res.Files[vm.OVF]; !ok {
			continue // reported by exit-manifest
		}
		desc, ok := e.data(vm.OVF)
		if !ok {
			c.Files = append(c.Files, FileProblem{vm.OVF, "unreadable or too large for a descriptor"})
			continue
		}
		byName := map[string]*manifest.File{}
		for i := range vm.Files {
			byName[vm.Files[i].Name] = &vm.Files[i]
		}
		d, err := ovf.Parse(bytes.NewReader(desc))
		if err != nil {
			c.Files = append(c.Files, FileProblem{vm.OVF, "not a readable OVF descriptor: " + err.Error()})
		} else {
			for _, ref := range d.Files {
				f := byName[ref.Href]
				switch {
				case f == nil:
					c.Files = append(c.Files, FileProblem{vm.OVF, fmt.Sprintf("references %q, which the bundle does not hold", bagit.Clip(ref.Href))})
				case ref.Size >= 0 && ref.Size != f.Size:
					c.Files = append(c.Files, FileProblem{vm.OVF, fmt.Sprintf("says %s is %d bytes, the exported file is %d", ref.Href, ref.Size, f.Size)})
				}
			}
		}
		mfData, ok := e.data(vm.MF)
		if !ok {
			if _, present := e.res.Files[vm.MF]; present {
				c.Files = append(c.Files, FileProblem{vm.MF, "unreadable or too large for an OVF manifest"})
			}
			continue
		}
		mf, err := ovf.ParseMF(mfData)
		if err != nil {
			c.Files = append(c.Files, FileProblem{vm.MF, err.Error()})
			continue
		}
		ovfName := path.Base(vm.OVF)
		if l, ok := mf[ovfName]; !ok {
			c.Files = append(c.Files, FileProblem{vm.MF, "does not list the descriptor " + ovfName})
		} else if l.Alg == "SHA256" && l.Sum != e.res.Files[vm.OVF].SHA256 {
			c.Files = append(c.Files, FileProblem{vm.OVF, fmt.Sprintf("SHA-256 differs from %s line %d", path.Base(vm.MF), l.Line)})
		}
		for _, f := range vm.Files {
			if f.Role == manifest.RoleDescriptor || f.Role == manifest.RoleManifest || f.Path == vm.OVF || f.Path == vm.MF {
				continue
			}
			l, ok := mf[f.Name]
			switch {
			case !ok:
				c.Files = append(c.Files, FileProblem{vm.MF, "does not list " + f.Name})
			case l.Alg != "SHA256":
				c.Files = append(c.Files, FileProblem{vm.MF, fmt.Sprintf("line %d uses %s; exit bundles use SHA256", l.Line, l.Alg)})
			case l.Sum != strings.ToLower(f.SHA256):
				c.Files = append(c.Files, FileProblem{vm.MF, fmt.Sprintf("line %d: SHA-256 of %s differs from %s", l.Line, f.Name, manifest.ExitManifestFile)})
			}
		}
		for name := range mf {
			if name != ovfName && byName[name] == nil {
				c.Files = append(c.Files, FileProblem{vm.MF, fmt.Sprintf("lists %q, which the bundle does not hold", bagit.Clip(name))})
			}
		}
	}
	if len(c.Files) == 0 {
		c.Detail = countOf(len(e.exit.VMs), "descriptor") + verbS(len(e.exit.VMs), " agree") + " with the .mf and files"
	} else {
		c.Detail = "descriptors or .mf files disagree with the files"
	}
	return c
}

func (e *Evaluator) checkPlaintext() Check {
	c := Check{Name: CheckPlaintext}
	if e.skipWithoutExit(&c) {
		return c
	}
	checked, decoded, skipped := 0, 0, 0
	undecryptable, tooCostly := 0, 0
	for _, vm := range e.exit.VMs {
		var mf map[string]ovf.MFLine
		if data, ok := e.data(vm.MF); ok {
			mf, _ = ovf.ParseMF(data)
		}
		for _, f := range vm.Files {
			s, ok := e.res.Files[f.Path]
			if !ok || s.Err != nil {
				continue // reported elsewhere
			}
			if s.Plain == nil {
				skipped++
				continue
			}
			if f.Encrypted || f.Compression != "" {
				decoded++
			}
			checked++
			switch {
			case errors.Is(s.Plain.Err, pipeline.ErrDecrypt):
				undecryptable++
				c.Files = append(c.Files, FileProblem{f.Path, s.Plain.Err.Error()})
			case errors.Is(s.Plain.Err, pipeline.ErrWorkFactor):
				tooCostly++
				c.Files = append(c.Files, FileProblem{f.Path, "refused: " + s.Plain.Err.Error()})
			case s.Plain.Err != nil:
				c.Files = append(c.Files, FileProblem{f.Path, "cannot decode: " + s.Plain.Err.Error()})
			case s.Plain.Size != f.Size:
				c.Files = append(c.Files, FileProblem{f.Path, fmt.Sprintf("plaintext is %d bytes, %s says %d", s.Plain.Size, manifest.ExitManifestFile, f.Size)})
			case s.Plain.SHA256 != strings.ToLower(f.SHA256):
				c.Files = append(c.Files, FileProblem{f.Path, "plaintext SHA-256 differs from " + manifest.ExitManifestFile})
			case mf != nil && mf[f.Name].Sum != "" && mf[f.Name].Sum != s.Plain.SHA256:
				c.Files = append(c.Files, FileProblem{f.Path, "plaintext SHA-256 differs from " + path.Base(vm.MF)})
			}
		}
	}
	switch {
	case undecryptable > 0 && undecryptable == len(c.Files):
		c.Detail = fmt.Sprintf("decryption failed for %d of %s: wrong key or passphrase; %s", undecryptable, countOf(decoded, "decoded file"), pipeline.DecryptHint)
	case tooCostly > 0 && tooCostly+undecryptable == len(c.Files):
		c.Detail = fmt.Sprintf("%d of %s refused: their scrypt work factor is above the accepted maximum (see --max-work-factor)", tooCostly+undecryptable, countOf(decoded, "decoded file"))
	case len(c.Files) > 0:
		c.Detail = fmt.Sprintf("%d of %s differ%s", len(c.Files), countOf(checked, "decoded file"), sIf(len(c.Files) == 1))
	case skipped > 0 && e.res.DecodeNote != "":
		c.Status = StatusSkip
		c.Detail = e.res.DecodeNote
	case skipped > 0 && decoded == 0:
		c.Status = StatusSkip
		c.Detail = fmt.Sprintf("not run: %s encrypted; give an identity or the passphrase to check the plaintext", countOf(skipped, "file"))
	case skipped > 0:
		c.Detail = fmt.Sprintf("%s%s; %s not decrypted (no identity given)", countOf(checked, "file"), verbS(checked, " match"), countOf(skipped, "encrypted file"))
	case decoded == 0:
		c.Detail = countOf(checked, "file") + " stored as plaintext" + verbS(checked, " match") + " the .mf files"
	default:
		c.Detail = countOf(decoded, "file") + " decoded, plaintext matches the .mf files"
	}
	return c
}

// isOSLitter reports files that Finder, Explorer and Spotlight write into
// any folder a person opens (.DS_Store, ._ AppleDouble files on exFAT
// drives, Thumbs.db): a trustee who browses the drive must not thereby
// make the bundle fail. They are named in the report as notes; anything
// else unlisted still fails.
func isOSLitter(p string) bool {
	for _, part := range strings.Split(p, "/") {
		switch {
		case part == ".DS_Store", part == "Thumbs.db", strings.EqualFold(part, "desktop.ini"),
			part == ".Spotlight-V100", part == ".Trashes", part == ".fseventsd", part == ".TemporaryItems":
			return true
		case strings.HasPrefix(part, "._"):
			return true
		}
	}
	return false
}

// verbS puts a verb in the singular for one: " match" -> " matches".
func verbS(n int, verb string) string {
	if n != 1 {
		return verb
	}
	if strings.HasSuffix(verb, "ch") {
		return verb + "es"
	}
	return verb + "s"
}

func sIf(b bool) string {
	if b {
		return "s"
	}
	return ""
}

// countOf says "1 file", "2 files".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
