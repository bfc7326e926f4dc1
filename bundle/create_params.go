package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// paramsHash fingerprints what decides a stored file's bytes, so a resume
// with other sources, recipients or compression is refused instead of
// mixing two kinds of files in one bundle.
func paramsHash(opts *CreateOptions) string {
	h := sha256.New()
	for _, s := range opts.Sources {
		fmt.Fprintf(h, "source %q\n", s.String())
	}
	names := append([]string(nil), opts.RecipientNames...)
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "recipient %q\n", n)
	}
	fmt.Fprintf(h, "recipients %d passphrase %v compress %q\n", len(opts.Recipients), len(opts.Passphrase) > 0, opts.Compress)
	return hex.EncodeToString(h.Sum(nil))
}
