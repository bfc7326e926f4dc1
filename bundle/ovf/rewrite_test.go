package ovf

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestRewriteChangesOnlyHrefAndSize(t *testing.T) {
	orig, err := os.ReadFile("testdata/web-efi.ovf")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Rewrite(orig, map[string]FileRef{
		"web-disk1.vmdk":   {Href: "web-disk-1.vmdk", Size: 123},
		"data & logs.vmdk": {Href: "web-disk-2.vmdk", Size: 456},
		"web.nvram":        {Href: "web.nvram", Size: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		`ovf:href="web-disk1.vmdk"   ovf:id="file1" ovf:size='7340032'`, `ovf:href="web-disk-1.vmdk"   ovf:id="file1" ovf:size='123'`,
		`<File ovf:id="file2" ovf:href="data &amp; logs.vmdk"/>`, `<File ovf:id="file2" ovf:href="web-disk-2.vmdk" ovf:size="456"/>`,
	).Replace(string(orig))
	if string(out) != want {
		t.Errorf("rewrite changed more than the references:\n%s", diffLines(want, string(out)))
	}
	d, err := Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if d.Files[0].Href != "web-disk-1.vmdk" || d.Files[1].Size != 456 || d.Files[2].Size != 270840 {
		t.Errorf("reparsed files %+v", d.Files)
	}
}

func TestRewriteEscapesNewHrefs(t *testing.T) {
	doc := []byte(envelopeHead + `<References><File ovf:id='f' ovf:href='a.vmdk'/></References><VirtualSystem ovf:id="v"/></Envelope>`)
	out, err := Rewrite(doc, map[string]FileRef{"a.vmdk": {Href: `it's <"odd"> & new`, Size: 1}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("rewritten descriptor does not parse: %v\n%s", err, out)
	}
	if d.Files[0].Href != `it's <"odd"> & new` || d.Files[0].Size != 1 {
		t.Errorf("got %+v", d.Files[0])
	}
}

func TestRewriteRejectsUnknownHrefsAndBrokenXML(t *testing.T) {
	doc := []byte(envelopeHead + `<References><File ovf:id="f" ovf:href="a.vmdk"/></References><VirtualSystem ovf:id="v"/></Envelope>`)
	tests := []struct {
		name  string
		doc   []byte
		files map[string]FileRef
		want  string
	}{
		{"a misspelt href", doc, map[string]FileRef{"b.vmdk": {Href: "x", Size: 1}}, `no References/File has href "b.vmdk"`},
		{"an empty new href", doc, map[string]FileRef{"a.vmdk": {Size: 1}}, "new href is empty"},
		{"truncated XML", doc[:len(doc)-5], map[string]FileRef{"a.vmdk": {Href: "x", Size: 1}}, "not well-formed"},
		{"a File outside References", []byte(envelopeHead + `<File ovf:id="f" ovf:href="a.vmdk"/><VirtualSystem ovf:id="v"/></Envelope>`), map[string]FileRef{"a.vmdk": {Href: "x", Size: 1}}, "no References/File"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Rewrite(tt.doc, tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %q, %v; want an error saying %q", out, err, tt.want)
			}
		})
	}
}

func TestRewriteWithNoChangesReturnsTheSameBytes(t *testing.T) {
	orig, err := os.ReadFile("testdata/vapp-ovf2.ovf")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Rewrite(orig, map[string]FileRef{"db/db-disk1.vmdk": {Href: "db/db-disk1.vmdk", Size: 1048576}})
	if err != nil || !bytes.Equal(out, orig) {
		t.Fatalf("identity rewrite changed bytes (err %v):\n%s", err, diffLines(string(orig), string(out)))
	}
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out.WriteString("- " + x + "\n+ " + y + "\n")
		}
	}
	return out.String()
}

func FuzzRewrite(f *testing.F) {
	for _, name := range []string{"web-efi.ovf", "vapp-ovf2.ovf"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "renamed.vmdk", int64(42))
	}
	f.Add([]byte(envelopeHead+`<References><File ovf:href='x' ovf:id="f"/></References><VirtualSystem ovf:id="v"/></Envelope>`), `a"b'c&d`, int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, newHref string, size int64) {
		d, err := Parse(bytes.NewReader(data))
		if err != nil || len(d.Files) == 0 || newHref == "" || strings.ContainsFunc(newHref, func(r rune) bool { return r < 0x20 || r == 0xFFFD }) {
			return
		}
		files := map[string]FileRef{d.Files[0].Href: {Href: newHref, Size: size}}
		out, err := Rewrite(data, files)
		if strings.TrimSpace(newHref) == "" {
			if err == nil {
				t.Fatal("an empty new href was accepted")
			}
			return
		}
		if err != nil {
			t.Fatalf("Rewrite of a descriptor Parse accepted: %v", err)
		}
		d2, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("rewritten descriptor does not parse: %v", err)
		}
		if d2.Files[0].Href != newHref {
			t.Fatalf("href %q, want %q", d2.Files[0].Href, newHref)
		}
		if size >= 0 && d2.Files[0].Size != size {
			t.Fatalf("size %d, want %d", d2.Files[0].Size, size)
		}
	})
}
