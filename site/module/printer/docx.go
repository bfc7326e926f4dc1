package printer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/site/module"
)

// DOCXOptions adjusts DOCX.
type DOCXOptions struct {
	// Pandoc is the pandoc to convert with; "" looks on PATH.
	Pandoc string
}

// FindPandoc returns the pandoc DOCX would convert with.
func FindPandoc(given string) (string, error) {
	return find(given, "pandoc", "pandoc", "--pandoc", "pandoc")
}

// maxDOCX bounds what pandoc may write back: a module is a few hundred
// kilobytes of Word.
const maxDOCX = 64 << 20

// DOCX converts m's negotiation copy to a Word document with pandoc, for
// the negotiating lawyers: headings stay Word headings (the clause number
// is part of each), tables stay tables, and the first lines say that it is
// a negotiation copy and that the signed HTML/PDF prevails. pandoc stamps
// the module's effective date (SOURCE_DATE_EPOCH), so the same module gives
// the same bytes.
func DOCX(ctx context.Context, m *module.Module, opt DOCXOptions) ([]byte, error) {
	pandoc, err := FindPandoc(opt.Pandoc)
	if err != nil {
		return nil, err
	}
	home, err := fsx.MkdirTemp("", "exitsite-pandoc-")
	if err != nil {
		return nil, fmt.Errorf("convert to DOCX: %w", err)
	}
	defer fsx.RemoveAll(home)
	cmd := exec.CommandContext(ctx, pandoc, "--from=html", "--to=docx", "--output=-")
	cmd.Stdin = bytes.NewReader(m.NegotiationHTML)
	// Only what pandoc needs: no user defaults file or data folder changes
	// what the legal team receives.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"SOURCE_DATE_EPOCH=" + strconv.FormatInt(m.Effective.Unix(), 10)}
	var out, errb bytes.Buffer
	cmd.Stdout = &limitWriter{w: &out, n: maxDOCX}
	cmd.Stderr = &limitWriter{w: &errb, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("convert to DOCX with %s: %w: %s", pandoc, err, strings.TrimSpace(errb.String()))
	}
	if !bytes.HasPrefix(out.Bytes(), []byte("PK")) {
		return nil, fmt.Errorf("convert to DOCX with %s: the output is not a Word document", pandoc)
	}
	return out.Bytes(), nil
}

type limitWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.w.Len()+len(p) > l.n {
		return 0, fmt.Errorf("output larger than %d bytes", l.n)
	}
	return l.w.Write(p)
}
