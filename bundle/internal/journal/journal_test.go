package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	j, _, err := Open(d, "p1", testKey, time.Now())
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

	j, signed, err := Open(d, "p1", testKey, time.Now())
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
	j, _, err = Open(d, "p1", testKey, time.Now())
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
	j, _, _ := Open(d, "p1", testKey, time.Now())
	j.Close()
	if _, _, err := Open(d, "p2", testKey, time.Now()); !errors.Is(err, ErrNotOurs) {
		t.Errorf("other params: %v", err)
	}
	foreign := openDir(t)
	os.WriteFile(foreign.Join("holiday.jpg"), []byte("x"), 0o644)
	if _, _, err := Open(foreign, "p1", testKey, time.Now()); !errors.Is(err, ErrNotOurs) {
		t.Errorf("a foreign folder: %v", err)
	}
}

func TestSealMakesTheSignatureAppearAndTheMarkerGoInOneStep(t *testing.T) {
	d := openDir(t)
	j, _, _ := Open(d, "p1", testKey, time.Now())
	faulty := &fsx.Faulty{FS: d, Fault: fsx.Fault{Op: fsx.OpRename, Match: manifest.SignatureFile}}
	j.fsys = faulty
	if err := j.Seal([]byte("-----BEGIN SSH SIGNATURE-----\nx\n")); !errors.Is(err, fsx.ErrInjected) {
		t.Fatalf("seal: %v", err)
	}
	// Killed between the two renames: only the last is left to do.
	j, signed, err := Open(d, "p1", testKey, time.Now())
	if err != nil || !signed {
		t.Fatalf("reopen: %v %v", err, signed)
	}
	if err := j.FinishSeal(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Join(manifest.IncompleteMarker)); err == nil {
		t.Error("the marker is left beside the signature")
	}
	if _, _, err := Open(d, "p1", testKey, time.Now()); !errors.Is(err, ErrFinished) {
		t.Errorf("a signed bundle: %v", err)
	}
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestARecordOrHeaderNotWrittenUnderTheKeyIsNotTrusted(t *testing.T) {
	d := openDir(t)
	j, _, err := Open(d, "p1", testKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(Record{Key: "web/a.vmdk", Path: "data/vms/web/a.vmdk", Size: 1}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A planted record: well-formed, with no MAC, a forged MAC, or a MAC
	// copied from a genuine record whose fields were changed.
	genuine, _ := os.ReadFile(d.Join(manifest.IncompleteMarker))
	var real Record
	json.Unmarshal(bytes.Split(genuine, []byte("\n"))[1], &real)
	f, _ := os.OpenFile(d.Join(manifest.IncompleteMarker), os.O_WRONLY|os.O_APPEND, 0)
	for _, r := range []Record{
		{Key: "web/b.vmdk", Path: "data/vms/web/b.vmdk", Size: 1},
		{Key: "web/c.vmdk", Path: "data/vms/web/c.vmdk", Size: 1, MAC: strings.Repeat("ab", 32)},
		{Key: "web/d.vmdk", Path: "../../etc/passwd", Size: 1, MAC: real.MAC},
	} {
		line, _ := json.Marshal(r)
		f.Write(append(line, '\n'))
	}
	f.Close()
	j, _, err = Open(d, "p1", testKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Lookup("web/a.vmdk"); !ok {
		t.Error("the genuine record was dropped")
	}
	for _, k := range []string{"web/b.vmdk", "web/c.vmdk", "web/d.vmdk"} {
		if _, ok := j.Lookup(k); ok {
			t.Errorf("planted record %s was kept", k)
		}
	}
	j.Close()

	// Under another key (another signing key or passphrase) the header
	// does not verify and the folder is refused.
	if _, _, err := Open(d, "p1", []byte("another key"), time.Now()); !errors.Is(err, ErrForged) || !errors.Is(err, ErrNotOurs) {
		t.Errorf("a journal under another key: err = %v", err)
	}
	// A planted journal whose header someone wrote without the key.
	p := openDir(t)
	h, _ := json.Marshal(Header{Kind: kind, ID: "urn:uuid:x", Params: "p1"})
	os.WriteFile(p.Join(manifest.IncompleteMarker), append(h, '\n'), 0o644)
	if _, _, err := Open(p, "p1", testKey, time.Now()); !errors.Is(err, ErrForged) {
		t.Errorf("a planted header: err = %v", err)
	}
}

func TestARecordIsResumableOnlyUnderTheNameCreatePlans(t *testing.T) {
	d := openDir(t)
	j, _, err := Open(d, "p1", testKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	plan := Plan{Key: "web/a.vmdk", Source: "src a", Path: "data/vms/web/a.vmdk", Compress: "auto", Encrypted: true}
	for _, tt := range []struct {
		name string
		rec  Record
		want bool
	}{
		{"the planned name", Record{Key: plan.Key, Source: "src a", Path: "data/vms/web/a.vmdk.zst.age", Compression: "zstd", Encrypted: true}, true},
		{"a path outside the VM folder", Record{Key: plan.Key, Source: "src a", Path: "../../x", Encrypted: true}, false},
		{"another VM's file", Record{Key: plan.Key, Source: "src a", Path: "data/vms/db/a.vmdk.age", Encrypted: true}, false},
		{"another source file", Record{Key: plan.Key, Source: "src b", Path: "data/vms/web/a.vmdk.age", Encrypted: true}, false},
		{"an unencrypted file where create encrypts", Record{Key: plan.Key, Source: "src a", Path: "data/vms/web/a.vmdk"}, false},
	} {
		if err := j.Record(tt.rec); err != nil {
			t.Fatal(err)
		}
		if _, ok := j.Resumable(plan); ok != tt.want {
			t.Errorf("%s: resumable = %v", tt.name, ok)
		}
	}
}

// FuzzOpen feeds Open planted journals: it must never panic, and never
// trust a record that was not written under the key.
func FuzzOpen(f *testing.F) {
	h, _ := json.Marshal(Header{Kind: kind, ID: "urn:uuid:x", Params: "p1"})
	f.Add(append(h, '\n'))
	f.Add([]byte(`{"kind":"exitbundle-create/1"}` + "\n" + `{"key":"a","path":"../x","mac":"00"}` + "\n"))
	f.Add([]byte("-----BEGIN SSH SIGNATURE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := openDir(t)
		os.WriteFile(d.Join(manifest.IncompleteMarker), data, 0o644)
		j, _, err := Open(d, "p1", testKey, time.Now())
		if err != nil || j == nil || j.done == nil {
			return
		}
		defer j.Close()
		for k, r := range j.done {
			if r.MAC != j.recordMAC(r) {
				t.Fatalf("record %q kept without a valid MAC", k)
			}
		}
	})
}
