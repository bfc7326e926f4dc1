package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/exitkit/exitkit/internal/terms"
)

// checkTerms checks the exit terms module before anything is exported, so
// that a module that does not fit fails at once with what differs rather
// than after hours of export: it must be an exitsite module whose
// fingerprints recompute, its signature FILE.sig (when there is one) must
// verify with the bundle's signing key, and its customer and provider must
// be the ones given. Those not given are filled from the module. The
// checked bytes are what TERMS.html will hold.
func checkTerms(o *CreateOptions) (*terms.Checked, error) {
	if o.Terms == "" {
		return nil, nil
	}
	c, err := terms.Check(o.Terms, terms.Want{Signer: o.Signer.PublicKey(), Customer: o.Info.Customer, Provider: o.Info.Provider})
	if err != nil {
		return nil, fmt.Errorf("create: %w\nnothing was exported: fix the module or the options (--customer, --provider, --sign-key) and run again", err)
	}
	if o.Info.Customer == "" {
		o.Info.Customer = c.Customer
	}
	if o.Info.Provider == "" {
		o.Info.Provider = c.Provider
	}
	return c, nil
}

// parseTerms records TERMS.html: its hash and what it cites.
func parseTerms(data []byte) (*Terms, error) {
	mod, err := terms.Read(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	t := &Terms{File: TermsFile, SHA256: hex.EncodeToString(sum[:]), Fingerprint: mod.Fingerprint, Clauses: []ClauseRef{}}
	for _, c := range mod.Clauses {
		t.Clauses = append(t.Clauses, ClauseRef{ID: c.ID, Version: c.Version, Lang: c.Lang, Fingerprint: c.Fingerprint})
	}
	return t, nil
}
