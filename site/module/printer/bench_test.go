package printer

import (
	"context"
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// BenchmarkPDFBankModule prints the shipped bank module (some thirty A4
// pages): browser start, the prints until the contents' page numbers
// hold, and the font and date fixes.
func BenchmarkPDFBankModule(b *testing.B) {
	interop.Require(b, "chromium")
	m := shipped(b)
	b.SetBytes(int64(len(m.HTML)))
	for b.Loop() {
		if _, err := PDF(context.Background(), m, PDFOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDOCXBankModule converts the same module with pandoc.
func BenchmarkDOCXBankModule(b *testing.B) {
	interop.Require(b, "pandoc")
	m := shipped(b)
	b.SetBytes(int64(len(m.NegotiationHTML)))
	for b.Loop() {
		if _, err := DOCX(context.Background(), m, DOCXOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
