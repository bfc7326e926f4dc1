package journal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
	_ "github.com/exitkit/exitkit/internal/golden"
)

func openDir(t *testing.T) *fsx.Dir {
	t.Helper()
	d, err := fsx.OpenDir(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestAResumedJournalKeepsItsRecordsAndIgnoresATornLine(t *testing.T) {
	d := openDir(t)
	j, _, err := Open(d, "p1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := j.Header.ID
	if err := j.Record(Record{Key: "web/a.vmdk", Path: "data/vms/web/a.vmdk", Size: 1}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(d.Join(manifest.IncompleteMarker), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"key":"web/b.vm`) // killed mid-line
	f.Close()

	j, signed, err := Open(d, "p1", time.Now())
	if err != nil || signed {
		t.Fatalf("resume: %v %v", err, signed)
	}
	defer j.Close()
	if j.Header.ID != id {
		t.Errorf("the bundle's identifier changed on resume")
	}
	if _, ok := j.Lookup("web/a.vmdk"); !ok {
		t.Error("a finished file's record is lost")
	}
	if _, ok := j.Lookup("web/b.vm"); ok {
		t.Error("a torn record was kept")
	}
	if err := j.Record(Record{Key: "web/c.vmdk", Path: "data/vms/web/c.vmdk"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, _, err = Open(d, "p1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Lookup("web/c.vmdk"); !ok {
		t.Error("a record written after a torn line is lost")
	}
	j.Close()
}

func TestAJournalOfOtherParamsOrAForeignFolderIsRefused(t *testing.T) {
	d := openDir(t)
	j, _, _ := Open(d, "p1", time.Now())
	j.Close()
	if _, _, err := Open(d, "p2", time.Now()); !errors.Is(err, ErrNotOurs) {
		t.Errorf("other params: %v", err)
	}
	foreign := openDir(t)
	os.WriteFile(foreign.Join("holiday.jpg"), []byte("x"), 0o644)
	if _, _, err := Open(foreign, "p1", time.Now()); !errors.Is(err, ErrNotOurs) {
		t.Errorf("a foreign folder: %v", err)
	}
}

func TestSealMakesTheSignatureAppearAndTheMarkerGoInOneStep(t *testing.T) {
	d := openDir(t)
	j, _, _ := Open(d, "p1", time.Now())
	faulty := &fsx.Faulty{FS: d, Fault: fsx.Fault{Op: fsx.OpRename, Match: manifest.SignatureFile}}
	j.fsys = faulty
	if err := j.Seal([]byte("-----BEGIN SSH SIGNATURE-----\nx\n")); !errors.Is(err, fsx.ErrInjected) {
		t.Fatalf("seal: %v", err)
	}
	// Killed between the two renames: only the last is left to do.
	j, signed, err := Open(d, "p1", time.Now())
	if err != nil || !signed {
		t.Fatalf("reopen: %v %v", err, signed)
	}
	if err := j.FinishSeal(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Join(manifest.IncompleteMarker)); err == nil {
		t.Error("the marker is left beside the signature")
	}
	if _, _, err := Open(d, "p1", time.Now()); !errors.Is(err, ErrFinished) {
		t.Errorf("a signed bundle: %v", err)
	}
}
