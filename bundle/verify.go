package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/internal/check"
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/seal"
	"golang.org/x/crypto/ssh"
)

// VerifyOptions says whose signature to expect and what keys to decrypt
// with. Without Signer or AllowedSigners, the signature is checked
// against the bundle's own signer.pub, which proves only that the bag is
// intact: the report then says to compare the fingerprint out of band.
type VerifyOptions struct {
	Signer            ssh.PublicKey // the key that must have signed
	SignerFingerprint string        // or: its "SHA256:..." fingerprint, as published
	AllowedSigners    string        // or: an ssh-keygen allowed_signers file...
	Principal         string        // ...and the principal to look up in it

	// Identities decrypt the payload for the plaintext check; without them
	// encrypted files are checked by their stored hash only.
	Identities []age.Identity

	Jobs     int       // files read at once; default: the number of CPUs
	Progress io.Writer // one line per file read, or nil
	Now      func() time.Time

	// Stdin is read as a tar when the path is "-".
	Stdin io.Reader

	// Force decodes the payload even when the signature does not verify.
	// Decoding stays bounded by the sizes exit-manifest.json declares, but
	// nothing vouches for them: a hostile bundle can still cost that much.
	Force bool
}

// Verify checks a bundle folder or a bundle written as one .tar (or, for
// the path "-", a tar streamed on opts.Stdin), reading every byte once. It returns an error only when the bundle cannot be
// read at all (or the options are unusable); every finding, including an
// incomplete bundle, is in the Report: use Report.OK and Report.Err.
func Verify(ctx context.Context, bagPath string, opts VerifyOptions) (*Report, error) {
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pin := opts.pin()
	if err := pin.Load(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	var progress func(*check.Scanned)
	if opts.Progress != nil {
		progress = func(s *check.Scanned) {
			status := "read"
			if s.Err != nil {
				status = "error: " + s.Err.Error()
			}
			fmt.Fprintf(opts.Progress, "verify: %s %s %s\n", manifest.Escape(s.Path), manifest.HumanBytes(s.Size), status)
		}
	}
	sopts := check.ScanOptions{Jobs: opts.Jobs, Identities: opts.Identities, Progress: progress, Pin: pin, Force: opts.Force}
	var res *check.Result
	var err error
	if bagPath == "-" {
		if opts.Stdin == nil {
			return nil, errors.New("verify -: no standard input to read a tar from")
		}
		// A tar on standard input, read once as it comes.
		res, err = check.ScanStream(ctx, opts.Stdin, sopts)
	} else {
		bag, oerr := bagit.Open(bagPath)
		if oerr != nil {
			return nil, fmt.Errorf("verify %s: %w", bagPath, oerr)
		}
		res, err = check.Scan(ctx, bag, sopts)
		bag.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", bagPath, err)
	}
	r := check.Evaluate(res, pin)
	r.Path = bagPath
	return r, nil
}

// pin is the expected signer the options name.
func (o *VerifyOptions) pin() *seal.Pin {
	return &seal.Pin{Key: o.Signer, Fingerprint: o.SignerFingerprint, AllowedSigners: o.AllowedSigners, Principal: o.Principal, Now: o.Now}
}

// The report of Verify, its checks and their names live in
// bundle/internal/check; these names are the API.
type (
	Report      = check.Report
	Check       = check.Check
	FileProblem = check.FileProblem
)

// Names of the checks in a Report, in the order they are listed.
const (
	CheckComplete     = check.CheckComplete
	CheckSignature    = check.CheckSignature
	CheckTagManifest  = check.CheckTagManifest
	CheckBagIt        = check.CheckBagIt
	CheckProfile      = check.CheckProfile
	CheckPayload      = check.CheckPayload
	CheckExitManifest = check.CheckExitManifest
	CheckOVF          = check.CheckOVF
	CheckPlaintext    = check.CheckPlaintext
)

// Check states.
const (
	StatusPass = check.StatusPass
	StatusFail = check.StatusFail
	StatusSkip = check.StatusSkip
)
