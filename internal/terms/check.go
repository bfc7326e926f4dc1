package terms

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// SignatureNamespace is the SSHSIG namespace of module signatures: a
// signature made for a bundle (namespace "exitbundle") or for anything else
// never passes for a module.
const SignatureNamespace = "exitkit-module"

// SignatureSuffix is appended to a module file's name for its signature.
const SignatureSuffix = ".sig"

// Size limits for what Check reads: real modules are a few hundred
// kilobytes, their PDFs a few megabytes, signatures a few hundred bytes.
const (
	MaxModuleSize    = 16 << 20
	MaxSignatureSize = 64 << 10
)

// Sign returns the armored SSHSIG signature of data, as ssh-keygen -Y sign
// -n exitkit-module writes it.
func Sign(signer ssh.Signer, data []byte) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("sign module: no signing key given")
	}
	sig, err := sshsig.Sign(bytes.NewReader(data), signer, sshsig.HashSHA512, SignatureNamespace)
	if err != nil {
		return nil, fmt.Errorf("sign module: %w", err)
	}
	return sshsig.Armor(sig), nil
}

// ErrBadSignature reports a signature that does not verify.
var ErrBadSignature = errors.New("the signature does not verify")

// VerifySignature checks an armored signature of data made with Sign by pub.
func VerifySignature(data, armored []byte, pub ssh.PublicKey) error {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return fmt.Errorf("%w: the signature file is corrupt or not an SSH signature (%v)", ErrBadSignature, err)
	}
	if sig.Namespace != SignatureNamespace {
		return fmt.Errorf("%w: it was made for %q, not for an exitkit module (%q)", ErrBadSignature, sig.Namespace, SignatureNamespace)
	}
	if !bytes.Equal(sig.PublicKey.Marshal(), pub.Marshal()) {
		return fmt.Errorf("%w: it was made with key %s, not with %s", ErrBadSignature, ssh.FingerprintSHA256(sig.PublicKey), ssh.FingerprintSHA256(pub))
	}
	if err := sshsig.Verify(bytes.NewReader(data), sig, pub, sig.HashAlgorithm, SignatureNamespace); err != nil {
		return fmt.Errorf("%w with key %s: the file was changed after it was signed", ErrBadSignature, ssh.FingerprintSHA256(pub))
	}
	return nil
}

// Want is what the caller knows about the hand-over a module must govern.
type Want struct {
	// Signer is the key the module's signature must verify with: for
	// exitbundle create, the bundle's signing key. nil skips the check
	// of a signature file (the result says whether one was verified).
	Signer ssh.PublicKey
	// Customer and Provider are the names the module must state, compared
	// after folding runs of white space; "" accepts the module's (returned
	// in Checked, to fill in what the caller was not given).
	Customer, Provider string
}

// Checked is a module that passed Check.
type Checked struct {
	*Module
	// Data is the file exactly as checked: embed these bytes, not a second
	// read of the file.
	Data []byte
	// Signed reports that FILE.sig was present and verified with
	// Want.Signer.
	Signed bool
}

// CheckError lists every way a module differs from what was wanted. It
// wraps ErrMismatch.
type CheckError struct {
	File     string
	Problems []string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("check terms %s:\n  - %s", e.File, strings.Join(e.Problems, "\n  - "))
}

// Unwrap lets a caller that maps sentinels (the commands' exit-code table)
// know a CheckError by ErrMismatch.
func (e *CheckError) Unwrap() error { return ErrMismatch }

// ErrMismatch is what every *CheckError wraps: the module does not fit
// the hand-over it was given for, or its fingerprints do not recompute.
var ErrMismatch = errors.New("the exit terms do not fit")

// Check reads the module at path and its signature path+".sig", if one is
// there, and checks them against want before anything is built on them:
//
//   - the file is an exitsite module (else an error wrapping ErrNotModule);
//   - a signature file verifies with want.Signer, in namespace
//     exitkit-module; a module that names its signer but has no signature
//     file beside it is refused, and so is one that names a signer other
//     than want.Signer;
//   - a bundle signing key the module names is want.Signer's, so that a
//     trustee who compares them finds the bundle's signer;
//   - the customer and provider it states are want's, when given;
//   - its module fingerprint and every clause fingerprint recompute from
//     the texts it carries, and its canonical text cites exactly the
//     clauses it holds.
//
// Every difference found is listed in one *CheckError. Reading errors are
// returned as they are, wrapped with the path.
func Check(path string, want Want) (*Checked, error) {
	data, err := readBounded(path, MaxModuleSize)
	if err != nil {
		return nil, fmt.Errorf("check terms: %w", err)
	}
	sig, err := readBounded(path+SignatureSuffix, MaxSignatureSize)
	if errors.Is(err, fs.ErrNotExist) {
		sig, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("check terms: %w", err)
	}
	c, err := CheckBytes(data, sig, want)
	if err != nil {
		var ce *CheckError
		if errors.As(err, &ce) {
			ce.File = path
			return nil, ce
		}
		return nil, fmt.Errorf("check terms %s: %w", path, err)
	}
	return c, nil
}

// CheckBytes is Check for a module and signature in memory; sig is nil
// when there is no signature file.
func CheckBytes(data, sig []byte, want Want) (*Checked, error) {
	m, err := Read(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var problems []string
	signed := false
	wantFP := ""
	if want.Signer != nil {
		wantFP = ssh.FingerprintSHA256(want.Signer)
	}
	switch {
	case sig != nil && want.Signer != nil:
		if err := VerifySignature(data, sig, want.Signer); err != nil {
			problems = append(problems, "signature "+SignatureSuffix+": "+err.Error())
		} else {
			signed = true
		}
	case sig == nil && m.Signer != "":
		problems = append(problems, fmt.Sprintf("the module says it is signed with %s, but there is no signature file beside it; copy FILE%s next to the module", m.Signer, SignatureSuffix))
	}
	if m.Signer != "" && wantFP != "" && m.Signer != wantFP {
		problems = append(problems, fmt.Sprintf("the module names its signer %s, but the bundle is signed with %s", m.Signer, wantFP))
	}
	if m.BundleKey != "" && wantFP != "" && m.BundleKey != wantFP {
		problems = append(problems, fmt.Sprintf("the module says exit bundles are signed with %s, but this bundle is signed with %s: a trustee comparing them would take the bundle for a forgery; issue the module again with the bundle's key (signing_key in the profile, or exitsite module --sign-key)", m.BundleKey, wantFP))
	}
	if w := fold(want.Customer); w != "" && w != fold(m.Customer) {
		problems = append(problems, fmt.Sprintf("the module is for customer %q, not %q", m.Customer, want.Customer))
	}
	if w := fold(want.Provider); w != "" && w != fold(m.Provider) {
		problems = append(problems, fmt.Sprintf("the module's provider is %q, not %q", m.Provider, want.Provider))
	}
	problems = append(problems, m.Recompute()...)
	if len(problems) > 0 {
		return nil, &CheckError{Problems: problems}
	}
	return &Checked{Module: m, Data: data, Signed: signed}, nil
}

func fold(s string) string { return strings.Join(strings.Fields(s), " ") }

// readBounded reads a regular file of at most limit bytes, without
// following a symbolic link at its name.
func readBounded(path string, limit int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB; not an exitsite module", path, limit>>20)
	}
	return data, nil
}

// SignatureKey returns the public key an armored signature says it was
// made with, for a reader who has only the signer's fingerprint: compare
// ssh.FingerprintSHA256 of it with the published one, then verify with it.
func SignatureKey(armored []byte) (ssh.PublicKey, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return nil, fmt.Errorf("%w: the signature file is corrupt or not an SSH signature (%v)", ErrBadSignature, err)
	}
	return sig.PublicKey, nil
}

// Verified is what VerifyFile established.
type Verified struct {
	// Signer is the fingerprint of the key the signature verified with.
	Signer string
	// SignerFrom says where that key came from: "given" (the caller's
	// key or fingerprint) or "module" (the signer the module names, which
	// the reader must still compare with the provider's published one).
	SignerFrom string
	// Module is the module's markers when the file is an HTML module (its
	// fingerprints recomputed), nil for a PDF or DOCX.
	Module *Module
}

// VerifyFile checks the signature path+".sig" of a module document (HTML,
// PDF or DOCX) made by 'exitsite module --sign-key'. The signer is pub, or
// the key whose fingerprint ("SHA256:...") is given, or, when neither is,
// the signer an HTML module names. For an HTML module it also recomputes
// every fingerprint and checks that the module names the key that signed
// it. A failed check returns an error wrapping ErrBadSignature or a
// *CheckError.
func VerifyFile(path string, pub ssh.PublicKey, fingerprint string) (*Verified, error) {
	data, err := readBounded(path, MaxModuleSize)
	if err != nil {
		return nil, fmt.Errorf("verify module: %w", err)
	}
	sig, err := readBounded(path+SignatureSuffix, MaxSignatureSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("verify module %s: %w: there is no %s beside it; the module is unsigned, or its signature was not copied with it", path, ErrBadSignature, path+SignatureSuffix)
	}
	if err != nil {
		return nil, fmt.Errorf("verify module: %w", err)
	}
	var mod *Module
	if m, err := Read(bytes.NewReader(data)); err == nil {
		mod = m
	} else if !errors.Is(err, ErrNotModule) && bytes.Contains(data, []byte(MetaFingerprint)) {
		return nil, fmt.Errorf("verify module %s: %w", path, err)
	}
	v := &Verified{Module: mod, SignerFrom: "given"}
	if pub == nil {
		key, err := SignatureKey(sig)
		if err != nil {
			return nil, fmt.Errorf("verify module %s: %w", path, err)
		}
		switch {
		case fingerprint != "":
		case mod != nil && mod.Signer != "":
			fingerprint, v.SignerFrom = mod.Signer, "module"
		default:
			return nil, fmt.Errorf("verify module %s: say whose signature to expect with --signer (the provider's public key file or its SHA256: fingerprint): a PDF or DOCX does not name its signer", path)
		}
		if got := ssh.FingerprintSHA256(key); got != fingerprint {
			return nil, fmt.Errorf("verify module %s: %w: it was made with key %s, not with %s", path, ErrBadSignature, got, fingerprint)
		}
		pub = key
	}
	if err := VerifySignature(data, sig, pub); err != nil {
		return nil, fmt.Errorf("verify module %s: %w", path, err)
	}
	v.Signer = ssh.FingerprintSHA256(pub)
	if mod != nil {
		problems := mod.Recompute()
		if mod.Signer != "" && mod.Signer != v.Signer {
			problems = append(problems, fmt.Sprintf("the module names its signer %s, but it was signed with %s", mod.Signer, v.Signer))
		}
		if len(problems) > 0 {
			return nil, &CheckError{File: path, Problems: problems}
		}
	}
	return v, nil
}
