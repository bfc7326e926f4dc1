package bagit

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/exitkit/exitkit/bundle/manifest"
)

func TestTopFolderFindsTheBagInEveryTarLayout(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"a flat tar", []string{"bagit.txt", "data/vms/web/web.ovf"}, ""},
		{"a tar with a top folder", []string{"acme/bagit.txt", "acme/data/vms/web/web.ovf"}, "acme/"},
		{"an unfinished bag in a top folder", []string{"acme/.exitbundle-incomplete", "acme/data/vms/web/a.vmdk"}, "acme/"},
		{"two bags", []string{"a/bagit.txt", "b/bagit.txt"}, ""},
		{"a bag deeper down is not this tar's bag", []string{"x/y/bagit.txt"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TopFolder(tt.files); got != tt.want {
				t.Errorf("TopFolder(%q) = %q, want %q", tt.files, got, tt.want)
			}
		})
	}
}

func TestTheReaderSeesLinksInAFolderAndNeverReadsThroughThem(t *testing.T) {
	tmp := t.TempDir()
	secret := filepath.Join(tmp, "secret")
	os.MkdirAll(secret, 0o755)
	os.WriteFile(filepath.Join(secret, "key"), []byte("private"), 0o600)
	bag := filepath.Join(tmp, "bag")
	os.MkdirAll(filepath.Join(bag, "data"), 0o755)
	os.WriteFile(filepath.Join(bag, manifest.BagItFile), []byte("BagIt-Version: 1.0\n"), 0o644)
	os.Symlink(filepath.Join(secret, "key"), filepath.Join(bag, "data", "file-link"))
	os.Symlink(secret, filepath.Join(bag, "data", "dir-link"))
	b, err := Open(bag)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	kinds := map[string]Kind{}
	for _, e := range b.Entries() {
		kinds[e.Name] = e.Kind
	}
	if kinds["data/file-link"] != Link || kinds["data/dir-link"] != Link {
		t.Errorf("links not seen as links: %v", kinds)
	}
	if _, ok := kinds["data/dir-link/key"]; ok {
		t.Error("the reader walked into a linked folder")
	}
	for _, name := range []string{"data/file-link", "data/dir-link/key"} {
		if r, err := b.Open(name); err == nil {
			r.Close()
			t.Errorf("Open(%s) read through a link", name)
		}
	}
}

func TestTheReaderSeesLinksInATar(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body string) {
		h.Size = int64(len(body))
		tw.WriteHeader(h)
		tw.Write([]byte(body))
	}
	add(&tar.Header{Name: "acme/bagit.txt", Typeflag: tar.TypeReg, Mode: 0o644}, "BagIt-Version: 1.0\n")
	add(&tar.Header{Name: "acme/data/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "")
	add(&tar.Header{Name: "acme/../escape", Typeflag: tar.TypeReg}, "x")
	tw.Close()
	p := filepath.Join(t.TempDir(), "b.tar")
	os.WriteFile(p, buf.Bytes(), 0o644)
	b, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if e, ok := b.Lookup("data/link"); !ok || e.Kind != Link {
		t.Errorf("data/link = %+v", e)
	}
	if len(b.Problems()) == 0 {
		t.Error("a member escaping the bag is not reported")
	}
	if _, err := b.Open("data/link"); err == nil {
		t.Error("a link member was read")
	}
}

func TestAPathWithNoBagIsNotABundle(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, manifest.ErrNotABundle) {
		t.Errorf("an empty folder: %v", err)
	}
	p := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(p, bytes.Repeat([]byte("not a tar "), 100), 0o644)
	if _, err := Open(p); !errors.Is(err, manifest.ErrNotABundle) {
		t.Errorf("a file that is no tar: %v", err)
	}
}

// Go's tar writer cannot write sparse members, so the judgement is tested
// on headers as a reader returns them.
func TestSparseMembersAreNotRegularFiles(t *testing.T) {
	for _, h := range []*tar.Header{
		{Name: "a", Typeflag: tar.TypeGNUSparse},
		{Name: "a", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"GNU.sparse.major": "1"}},
	} {
		m := TarMember{Header: h, Name: h.Name}
		if e, _ := m.entry(); !m.Sparse() || e.Kind == Regular {
			t.Errorf("%+v: sparse %v, kind %v", h, m.Sparse(), e.Kind)
		}
	}
}
