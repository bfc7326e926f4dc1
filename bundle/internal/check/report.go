// Package check is what verify, restore and the drill put a received
// bundle through: Scan (or ScanStream for a tar on a pipe) reads every
// file once through the one bag reader, hashing what is stored and, with
// keys, what it decodes to; Evaluate then judges the scan against the
// bag's own manifests and the expected signer, check by check, into a
// Report. Nothing here trusts the bundle: every parser is bounded and
// every name is checked.
package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// Names of the checks in a Report, in the order they are listed.
const (
	CheckComplete     = "complete"      // signature present, no incomplete marker
	CheckSignature    = "signature"     // SSHSIG over the tag manifest, by the expected key
	CheckTagManifest  = "tag-manifest"  // hashes of the tag files
	CheckBagIt        = "bagit"         // RFC 8493 alone: bagit.txt, bag-info.txt, every manifest and tag manifest, completeness
	CheckProfile      = "profile"       // exitkit's own rules: SHA-256 manifests, every tag file signed, Payload-Oxum
	CheckPayload      = "payload"       // every stored payload file's hash
	CheckExitManifest = "exit-manifest" // exit-manifest.json agrees with the bag
	CheckOVF          = "ovf"           // each descriptor and .mf against its files
	CheckPlaintext    = "plaintext"     // decrypted, decompressed hashes against .mf and exit-manifest
)

// Check states.
const (
	StatusPass = "pass"
	StatusFail = "fail"
	StatusSkip = "skip" // could not run: says why in Detail
)

// Report is the outcome of Verify: one entry per check.
type Report struct {
	Path   string           `json:"path"`
	OK     bool             `json:"ok"`
	Signer *manifest.Signer `json:"signer,omitempty"`
	// SignerPinned says the signer was given by --signer or
	// --allowed-signers rather than taken from the bundle itself.
	SignerPinned bool   `json:"signer_pinned"`
	SignerNote   string `json:"signer_note,omitempty"`
	Incomplete   bool   `json:"incomplete"`
	// BagItValid is the verdict of RFC 8493 alone (the bagit check),
	// apart from exitkit's own profile, signature and VM checks: a bag
	// can be a valid BagIt bag and still not a good exit bundle.
	BagItValid bool `json:"bagit_valid"`
	// Skipped says what could not be checked with what was given: the
	// signer's identity when it was not pinned ("signer"), and every check
	// that did not run ("plaintext" without an identity). An OK report
	// with skips means every check that could run passed.
	Skipped []string `json:"skipped"`
	Files   int      `json:"files"`
	Bytes   int64    `json:"bytes"`
	Checks  []Check  `json:"checks"`
}

// Check is one named check and the files that failed it.
type Check struct {
	Name   string        `json:"name"`
	Status string        `json:"status"`
	Detail string        `json:"detail,omitempty"`
	Files  []FileProblem `json:"files,omitempty"`
	Notes  []FileProblem `json:"notes,omitempty"` // findings that do not fail the check
}

// FileProblem names a file and what is wrong with it.
type FileProblem struct {
	Path    string `json:"path"`
	Problem string `json:"problem"`
}

// Check returns the named check, or nil.
func (r *Report) Check(name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// Err summarizes a failed report as an error wrapping ErrIncomplete,
// ErrSignature or ErrIntegrity, or returns nil when every check passed.
func (r *Report) Err() error {
	if r.OK {
		return nil
	}
	var failed []string
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			failed = append(failed, c.Name)
		}
	}
	switch {
	case r.Incomplete:
		return fmt.Errorf("verify %s: %w: create did not finish writing it; run the same create command again to resume", r.Path, manifest.ErrIncomplete)
	case len(failed) > 0 && failed[0] == CheckSignature:
		return fmt.Errorf("verify %s: %w (failed checks: %s)", r.Path, manifest.ErrSignature, strings.Join(failed, ", "))
	default:
		return fmt.Errorf("verify %s: %w (failed checks: %s)", r.Path, manifest.ErrIntegrity, strings.Join(failed, ", "))
	}
}

// WriteText writes the report for people: one line per check, failing
// files indented below it.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	// Every string below may come from the bundle (paths, problems that
	// quote it): printed escaped, so a file name cannot forge a line.
	esc := manifest.Escape
	fmt.Fprintf(&b, "bundle  %s  (%d files, %s)\n", esc(r.Path), r.Files, manifest.HumanBytes(r.Bytes))
	if r.Signer != nil {
		how := "pinned"
		if !r.SignerPinned {
			how = "NOT pinned"
		}
		fmt.Fprintf(&b, "signer  %s  (%s)\n", esc(r.Signer.Fingerprint), how)
	}
	if r.SignerNote != "" {
		fmt.Fprintf(&b, "        %s\n", r.SignerNote)
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s  %-13s  %s\n", strings.ToUpper(esc(c.Status)), esc(c.Name), esc(c.Detail))
		for _, f := range c.Files {
			fmt.Fprintf(&b, "        %s: %s\n", esc(f.Path), esc(f.Problem))
		}
		for _, f := range c.Notes {
			fmt.Fprintf(&b, "        note: %s: %s\n", esc(f.Path), esc(f.Problem))
		}
	}
	if r.BagItValid {
		b.WriteString("BagIt   valid per RFC 8493 (the exitkit profile and the other checks are listed apart)\n")
	} else {
		b.WriteString("BagIt   NOT valid per RFC 8493: see the bagit check\n")
	}
	switch {
	case r.OK:
		if len(r.Skipped) == 0 {
			b.WriteString("result  OK: every check passed\n")
		} else {
			fmt.Fprintf(&b, "result  OK: every check that could run passed; not checked: %s\n", esc(strings.Join(r.Skipped, ", ")))
		}
	case r.Incomplete:
		b.WriteString("result  INCOMPLETE: the bundle was not finished; run the same create command again to resume it\n")
	default:
		b.WriteString("result  FAILED: see the checks marked FAIL above\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
