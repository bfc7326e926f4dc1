package ovf

import (
	"bytes"
	"os"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

func benchDescriptor(b *testing.B) []byte {
	data, err := os.ReadFile("testdata/web-efi.ovf")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	data := benchDescriptor(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewrite(b *testing.B) {
	data := benchDescriptor(b)
	files := map[string]FileRef{"web-disk1.vmdk": {Href: "web-disk-1.vmdk", Size: 123}, "data & logs.vmdk": {Href: "web-disk-2.vmdk", Size: 456}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Rewrite(data, files); err != nil {
			b.Fatal(err)
		}
	}
}
