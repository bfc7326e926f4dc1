package printer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/site/module"
)

// Formats are the documents a module is issued as.
var Formats = []string{"html", "pdf", "docx"}

// IssueOptions says which documents Issue writes, and where.
type IssueOptions struct {
	// Formats lists html, pdf and docx, each at most once; empty means html.
	Formats []string
	// Out is the file written for a single format, or the base name that
	// each format's extension is appended to for several (a given .html,
	// .pdf or .docx extension is dropped first).
	Out string
	// Signer, when set, signs every document: FILE.sig beside each FILE,
	// in namespace exitkit-module. Render the module with Options.Signer
	// set to this key's fingerprint, so the documents name their signer.
	Signer ssh.Signer
	// Force replaces existing files; without it Issue writes nothing when
	// any of them exists.
	Force bool
	PDF   PDFOptions
	DOCX  DOCXOptions
}

// Document is one file Issue made.
type Document struct {
	Format, Name string
	Data         []byte
	Signature    []byte // nil when unsigned
}

// OutputNames returns the file each format is written to.
func OutputNames(out string, formats []string) []string {
	if len(formats) == 1 {
		return []string{out}
	}
	base := out
	if ext := strings.ToLower(filepath.Ext(out)); slices.Contains([]string{".html", ".htm", ".pdf", ".docx"}, ext) {
		base = strings.TrimSuffix(out, filepath.Ext(out))
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = base + "." + f
	}
	return names
}

// NormalizeFormats checks a --format list ("pdf", "pdf,docx", repeated)
// and returns it without repeats, html when empty.
func NormalizeFormats(given []string) ([]string, error) {
	var out []string
	for _, g := range given {
		for f := range strings.SplitSeq(g, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			if !slices.Contains(Formats, f) {
				return nil, fmt.Errorf("--format %q: use html, pdf or docx", f)
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"html"}
	}
	return out, nil
}

// Make renders m in every format of opt and signs each document; it
// writes nothing.
func Make(ctx context.Context, m *module.Module, opt IssueOptions) ([]Document, error) {
	formats, err := NormalizeFormats(opt.Formats)
	if err != nil {
		return nil, err
	}
	names := OutputNames(opt.Out, formats)
	var docs []Document
	for i, f := range formats {
		var data []byte
		switch f {
		case "html":
			data = m.HTML
		case "pdf":
			data, err = PDF(ctx, m, opt.PDF)
		case "docx":
			data, err = DOCX(ctx, m, opt.DOCX)
		}
		if err != nil {
			return nil, err
		}
		d := Document{Format: f, Name: names[i], Data: data}
		if opt.Signer != nil {
			if d.Signature, err = terms.Sign(opt.Signer, data); err != nil {
				return nil, err
			}
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// Issue makes every document of opt and writes them: all or, when one
// exists already and opt.Force is not set, none. Each file appears whole
// (written to a temporary file in the same folder first) and never
// through a symbolic link.
func Issue(ctx context.Context, m *module.Module, opt IssueOptions) ([]Document, error) {
	if opt.Out == "" {
		return nil, errors.New("issue module: no output file given")
	}
	formats, err := NormalizeFormats(opt.Formats)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, n := range OutputNames(opt.Out, formats) {
		files = append(files, n)
		if opt.Signer != nil {
			files = append(files, n+terms.SignatureSuffix)
		}
	}
	for _, f := range files {
		fi, err := os.Lstat(f)
		switch {
		case err == nil && fi.Mode()&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("%s is a symbolic link; modules are never written through one: remove it or choose another --out", f)
		case err == nil && !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%s exists and is not a regular file; choose another --out", f)
		case err == nil && !opt.Force:
			return nil, fmt.Errorf("%s exists; choose another --out or pass --force to replace it: %w", f, fs.ErrExist)
		}
	}
	docs, err := Make(ctx, m, opt)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if err := WriteNew(d.Name, d.Data, opt.Force); err != nil {
			return nil, err
		}
		if d.Signature != nil {
			if err := WriteNew(d.Name+terms.SignatureSuffix, d.Signature, opt.Force); err != nil {
				return nil, err
			}
		}
	}
	return docs, nil
}

// WriteNew writes data to name whole and durably, so a reader never sees
// half a document; without force an existing name is never replaced. With
// force a symbolic link at name is replaced, never followed.
func WriteNew(name string, data []byte, force bool) error {
	if force {
		return fsx.ReplaceFile(name, data, 0o644)
	}
	if _, err := os.Lstat(name); err == nil {
		return fmt.Errorf("%s exists; choose another --out or pass --force to replace it: %w", name, fs.ErrExist)
	}
	return fsx.WriteNewFile(name, data, 0o644)
}
