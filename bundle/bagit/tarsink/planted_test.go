package tarsink

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A folder read back from FILE.partial is outside input like any entry:
// one no kept file sits under (planted, or left by a VM not kept) must not
// reach the finished tar, where "acme/bagit.txt/" would make bagit.txt a
// folder when extracted.
func TestAFolderReadBackStaysOnlyAboveAKeptFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	for _, planted := range []string{"bagit.txt/x", "data/vms/gone/x"} {
		if err := tr.mkdirs(planted, mtime); err != nil {
			t.Fatal(err)
		}
	}
	tr.mu.Unlock()
	put(t, tr, "data/vms/web/disk", true, content("disk", 1000))
	tr.Close()

	tr, err = NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Keep("data/vms/web/disk", 1000, mtime); err != nil {
		t.Fatal(err)
	}
	finish(t, tr, "data/vms/web/disk")
	_, hdrs := readTar(t, p)
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
	}
	want := map[string]bool{"acme/": true, "acme/data/": true, "acme/data/vms/": true, "acme/data/vms/web/": true, "acme/data/vms/web/disk": true}
	for _, n := range names {
		if !want[n] && n != "acme/bagit.txt" {
			t.Errorf("the finished tar holds %s, which no kept file needs (members %v)", n, names)
		}
	}
}

// A FILE.partial that starts like ours but has no room for the tag files
// after its top folder (planted, or written by another version) is begun
// anew, not half-repaired.
func TestAPartialWithoutTheRoomIsBegunAnew(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "acme/", Typeflag: tar.TypeDir, Mode: 0o755, Format: tar.FormatUSTAR})
	tw.WriteHeader(&tar.Header{Name: "acme/data/x", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5, Format: tar.FormatUSTAR})
	tw.Write([]byte("hello"))
	tw.Close()
	if err := os.WriteFile(p+".partial", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatalf("NewTar on a partial without the room: %v", err)
	}
	defer tr.Close()
	if err := tr.Keep("data/x", 5, mtime); err == nil {
		t.Error("kept data/x from a partial that is not in the sink's layout")
	}
	put(t, tr, "data/y", true, content("y", 10))
	finish(t, tr, "data/y")
	files, _ := readTar(t, p)
	if _, ok := files["acme/data/x"]; ok || !bytes.Equal(files["acme/data/y"], content("y", 10)) {
		t.Errorf("finished tar holds %v", files)
	}
}
