package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/exitkit/exitkit/internal/terms"
)

// maxTermsSize bounds the exit terms module read into memory; real modules
// are tens of kilobytes.
const maxTermsSize = 16 << 20

// readTerms reads an exitsite contract module and what it cites: the
// module's own fingerprint and every clause version it contains.
func readTerms(path string) ([]byte, *Terms, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read terms: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTermsSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read terms %s: %w", path, err)
	}
	if len(data) > maxTermsSize {
		return nil, nil, fmt.Errorf("read terms %s: larger than %d MiB; pass the exitsite module HTML", path, maxTermsSize>>20)
	}
	t, err := parseTerms(data)
	if err != nil {
		return nil, nil, fmt.Errorf("read terms %s: %w", path, err)
	}
	return data, t, nil
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
