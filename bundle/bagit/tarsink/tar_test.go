package tarsink

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exitkit/exitkit/internal/fsx"
	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/interop"
)

var mtime = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// content is n bytes that differ per name, so that a misplaced byte shows.
func content(name string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + len(name)*13 + int(name[len(name)-1]))
	}
	return b
}

func put(t *testing.T, tr *Tar, p string, known bool, data []byte) {
	t.Helper()
	size := int64(-1)
	if known {
		size = int64(len(data))
	}
	e, err := tr.Store(p, size, mtime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := e.Commit(); err != nil {
		t.Fatal(err)
	}
}

// readTar returns every regular member of a finished tar and the
// headers of all members, in order.
func readTar(t *testing.T, p string) (map[string][]byte, []*tar.Header) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	var hdrs []*tar.Header
	r := tar.NewReader(f)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files, hdrs
		}
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // the room for the tag files, or what is left of it
		}
		hdrs = append(hdrs, h)
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(r)
		}
	}
}

func finish(t *testing.T, tr *Tar, keep ...string) {
	t.Helper()
	if err := settleFinish(tr, keep...); err != nil {
		t.Fatal(err)
	}
}

func settleFinish(tr *Tar, keep ...string) error {
	k := map[string]bool{}
	for _, p := range keep {
		k[p] = true
	}
	if err := tr.Settle(k); err != nil {
		return err
	}
	return tr.Finish(mtime)
}

func TestEntriesOfKnownSizeAreWrittenSideBySide(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	names := []string{"data/vms/a/disk1.vmdk", "data/vms/a/disk2.vmdk", "data/vms/b/disk.vmdk"}
	sizes := []int{300_000, 1, 65_536}
	var entries []interface {
		Write([]byte) (int, error)
		Commit() error
	}
	var datas [][]byte
	for i, n := range names {
		e, err := tr.Store(n, int64(sizes[i]), mtime)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
		datas = append(datas, content(n, sizes[i]))
	}
	// Every entry is written a piece at a time, all of them at once, and
	// committed in the reverse order.
	var wg sync.WaitGroup
	for i := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := 0; off < len(datas[i]); off += 4096 {
				if _, err := entries[i].Write(datas[i][off:min(off+4096, len(datas[i]))]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := len(entries) - 1; i >= 0; i-- {
		if err := entries[i].Commit(); err != nil {
			t.Fatal(err)
		}
	}
	finish(t, tr, names...)
	files, hdrs := readTar(t, p)
	for i, n := range names {
		if !bytes.Equal(files["acme/"+n], datas[i]) {
			t.Errorf("%s: %d bytes read back, want its %d", n, len(files["acme/"+n]), len(datas[i]))
		}
	}
	if hdrs[0].Name != "acme/" || hdrs[0].Typeflag != tar.TypeDir {
		t.Errorf("first member %q, want the bag's folder", hdrs[0].Name)
	}
	for _, h := range hdrs {
		if h.Uid != 0 || h.Uname != "" || !h.ModTime.Equal(mtime) || (h.Typeflag == tar.TypeReg && h.Mode != 0o644) {
			t.Errorf("%s: uid %d uname %q mtime %s mode %o", h.Name, h.Uid, h.Uname, h.ModTime, h.Mode)
		}
	}
	if _, err := os.Lstat(p + PartsSuffix); err == nil {
		t.Error("FILE.parts is left beside the finished tar")
	}
}

// An entry whose size is known only at its end has the tail to itself:
// an entry begun meanwhile waits for its Commit, and both read back whole.
func TestAnEntryOfUnknownSizeHoldsTheTailUntilItsCommit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	a, b := content("data/a.zst", 200_000), content("data/b", 70_000)
	ea, err := tr.Store("data/a.zst", -1, mtime)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ea.Write(a[:100_000]); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	committed := false
	done := make(chan error)
	go func() {
		eb, err := tr.Store("data/b", int64(len(b)), mtime)
		if err == nil {
			mu.Lock()
			if !committed {
				err = errors.New("an entry was begun while one of unknown size held the tail")
			}
			mu.Unlock()
		}
		if err == nil {
			_, err = eb.Write(b)
		}
		if err == nil {
			err = eb.Commit()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // lets a Store that does not wait return now, so the check above sees it
	if _, err := ea.Write(a[100_000:]); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	committed = true
	mu.Unlock()
	if err := ea.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	finish(t, tr, "data/a.zst", "data/b")
	files, _ := readTar(t, p)
	if !bytes.Equal(files["acme/data/a.zst"], a) || !bytes.Equal(files["acme/data/b"], b) {
		t.Errorf("read back %d and %d bytes, want %d and %d", len(files["acme/data/a.zst"]), len(files["acme/data/b"]), len(a), len(b))
	}
}

// An entry given more or fewer bytes than its announced size fails.
func TestAnEntryFailsWhenItsSizeIsNotTheAnnouncedOne(t *testing.T) {
	tr, err := NewTar(filepath.Join(t.TempDir(), "acme.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	e, _ := tr.Store("data/x", 10, mtime)
	if _, err := e.Write(make([]byte, 11)); err == nil {
		t.Error("11 bytes into an entry of 10 were accepted")
	}
	e.Write(make([]byte, 9))
	if err := e.Commit(); err == nil {
		t.Error("an entry of 10 bytes committed with 9")
	}
}

// A kill -9 leaves FILE.partial with entries still marked as being
// written: the next run reads it back up to the first of them, cuts it
// there, and offers only the whole entries before it for keeping.
func TestAKilledTarIsReadBackUpToItsFirstUnfinishedEntry(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := content("data/a", 5000)
	put(t, tr, "data/a", true, a)
	eb, _ := tr.Store("data/b", 8000, mtime)
	eb.Write(content("data/b", 3000)) // killed here: never committed
	put(t, tr, "data/c", true, content("data/c", 100))
	tr.Close()
	fi, _ := os.Stat(p + fsx.PartialSuffix)

	tr, err = NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r, n, err := tr.Open("data/a")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if n != 5000 || !bytes.Equal(got, a) {
		t.Errorf("data/a read back as %d bytes", n)
	}
	for _, gone := range []string{"data/b", "data/c"} {
		if _, _, err := tr.Open(gone); err == nil {
			t.Errorf("%s, at or after the unfinished entry, is offered for keeping", gone)
		}
	}
	after, _ := os.Stat(p + fsx.PartialSuffix)
	if after.Size() >= fi.Size() {
		t.Errorf("FILE.partial not cut: %d bytes, %d before", after.Size(), fi.Size())
	}
	if err := tr.Keep("data/a", 5000, mtime); err != nil {
		t.Fatal(err)
	}
	put(t, tr, "data/b", true, content("data/b", 8000))
	finish(t, tr, "data/a", "data/b")
	files, _ := readTar(t, p)
	if len(files) != 2 || !bytes.Equal(files["acme/data/b"], content("data/b", 8000)) {
		t.Errorf("the resumed tar holds %d files", len(files))
	}
}

// A FILE.partial planted by someone else is outside input: an entry is
// kept only once the caller proved it, with its header written anew; a
// link, an entry outside the bag or one not kept never reaches the
// finished tar, and the entries after them are moved down.
func TestAPlantedTarKeepsOnlyProvenEntriesWithTheirHeadersRewritten(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	add := func(h *tar.Header, data []byte) {
		h.Size = int64(len(data))
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add(&tar.Header{Name: "acme/", Typeflag: tar.TypeDir, Mode: 0o777, Uname: "evil"}, nil)
	room := roomSize - blockSize
	w.WriteHeader(&tar.Header{Name: "acme/PaxHeaders/room", Typeflag: tar.TypeXGlobalHeader,
		PAXRecords: map[string]string{"comment": strings.Repeat("x", room-len(roomHead(int64(room)))-1)}})
	add(&tar.Header{Name: "acme/data/kept", Typeflag: tar.TypeReg, Mode: 0o4777, Uid: 1000, Uname: "evil", Format: tar.FormatUSTAR}, []byte("proven bytes"))
	add(&tar.Header{Name: "acme/data/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"}, nil)
	add(&tar.Header{Name: "other/data/outside", Typeflag: tar.TypeReg}, []byte("outside"))
	add(&tar.Header{Name: "acme/data/forged", Typeflag: tar.TypeReg}, []byte("not proven"))
	add(&tar.Header{Name: "acme/data/later", Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}, content("later", 3000))
	w.Close()
	if err := os.WriteFile(p+fsx.PartialSuffix, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, refused := range []string{"data/link", "data/outside", "other/data/outside"} {
		if _, _, err := tr.Open(refused); err == nil {
			t.Errorf("%s is offered for keeping", refused)
		}
	}
	for _, k := range []string{"data/kept", "data/later"} {
		if _, _, err := tr.Open(k); err != nil {
			t.Fatal(err)
		}
		n := map[string]int64{"data/kept": 12, "data/later": 3000}[k]
		if err := tr.Keep(k, n, mtime); err != nil {
			t.Fatal(err)
		}
	}
	finish(t, tr, "data/kept", "data/later")
	files, hdrs := readTar(t, p)
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
		if h.Uname != "" || h.Uid != 0 || (h.Typeflag == tar.TypeReg && h.Mode != 0o644) || (h.Typeflag == tar.TypeDir && h.Mode != 0o755) {
			t.Errorf("%s kept its planted header: mode %o uid %d uname %q", h.Name, h.Mode, h.Uid, h.Uname)
		}
	}
	if got := strings.Join(names, " "); got != "acme/ acme/data/kept acme/data/later" {
		t.Errorf("members %s, want only the folder and the two proven entries", got)
	}
	if string(files["acme/data/kept"]) != "proven bytes" || !bytes.Equal(files["acme/data/later"], content("later", 3000)) {
		t.Error("a kept entry's bytes changed")
	}
}

func TestALinkAtTheTarsPartialOrPartsIsRefused(t *testing.T) {
	for _, aside := range []string{fsx.PartialSuffix, PartsSuffix} {
		dir := t.TempDir()
		p := filepath.Join(dir, "acme.tar")
		target := filepath.Join(dir, "target")
		os.WriteFile(target, []byte("precious"), 0o644)
		if err := os.Symlink(target, p+aside); err != nil {
			t.Fatal(err)
		}
		if _, err := NewTar(p, nil); !errors.Is(err, fsx.ErrLink) {
			t.Errorf("%s as a link: %v, want ErrLink", aside, err)
		}
		if b, _ := os.ReadFile(target); string(b) != "precious" {
			t.Errorf("%s: the link's target was written", aside)
		}
	}
}

// A tar stream sends each entry after its header, one at a time; a file
// of unknown size is refused before anything is sent, and a failure after
// bytes went out breaks the stream for good.
func TestAStreamSendsEntriesOneAfterAnother(t *testing.T) {
	var out bytes.Buffer
	s, err := NewStream(&out, "standard output", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store("data/x.zst", -1, mtime); err == nil {
		t.Error("an entry of unknown size was accepted")
	}
	for _, n := range []string{"data/vms/a/disk", "data/vms/b/disk"} {
		e, err := s.Store(n, 70_000, mtime)
		if err != nil {
			t.Fatal(err)
		}
		e.Write(content(n, 70_000))
		if err := e.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsx.WriteFile(s.FS(), "bagit.txt", []byte("BagIt-Version: 1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(mtime); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "s.tar")
	os.WriteFile(p, out.Bytes(), 0o644)
	files, hdrs := readTar(t, p)
	if len(files) != 3 || !bytes.Equal(files["exit-bundle/data/vms/b/disk"], content("data/vms/b/disk", 70_000)) || hdrs[0].Name != "exit-bundle/" {
		t.Errorf("stream read back as %d files, first %q", len(files), hdrs[0].Name)
	}
	tmp := s.tmp
	s.Close()
	if _, err := os.Lstat(tmp); err == nil {
		t.Error("the stream's temporary folder is left behind")
	}

	s, _ = NewStream(&out, "standard output", nil)
	defer s.Close()
	e, _ := s.Store("data/y", 10, mtime)
	e.Write(make([]byte, 5))
	e.Abort()
	if _, err := s.Store("data/z", 1, mtime); err == nil || !strings.Contains(err.Error(), "cannot be resumed") {
		t.Errorf("after a failure mid-entry: %v", err)
	}
}

// Headers read back as written by Go's reader: long and non-ASCII names,
// sizes past USTAR's 8 GiB, and the layout reserved for an unknown size,
// whose length does not depend on the size.
func TestHeadersReadBackWithTheirNamesAndSizes(t *testing.T) {
	long := "acme/data/vms/" + strings.Repeat("v", 120) + "/" + strings.Repeat("d", 90) + ".vmdk"
	unsplit := "acme/data/vms/x/" + strings.Repeat("n", 130) + ".vmdk"
	for _, tt := range []struct {
		name  string
		size  int64
		fixed bool
	}{
		{"acme/data/vms/web/disk.vmdk", 12345, false},
		{long, 1, false},
		{unsplit, 0, false},
		{"acme/data/vms/wéb/disk.vmdk", 7, false},
		{"acme/data/vms/web/big.vmdk", 20 << 30, false},
		{"acme/data/vms/web/a.zst", 5, true},
		{"acme/data/vms/web/a.zst", 20 << 30, true},
	} {
		hdr := tarHeader(tt.name, typeReg, tt.size, mtime, tt.fixed)
		if tt.fixed && len(hdr) != len(tarHeader(tt.name, typeReg, 0, mtime, true)) {
			t.Errorf("%s: the reserved layout's length depends on the size", tt.name)
		}
		h, err := tar.NewReader(io.MultiReader(bytes.NewReader(hdr), &zeros{n: 1024})).Next()
		if err != nil || h.Name != tt.name || h.Size != tt.size {
			t.Errorf("%s %d: read back %v %v", tt.name, tt.size, h, err)
		}
	}
}

type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), z.n)
	clear(p[:k])
	z.n -= k
	return k, nil
}

// GNU tar reads what the sink writes: the layout reserved for an unknown
// size (a zero-padded PAX size record), long names, folders.
func TestGNUTarExtractsWhatTheSinkWrites(t *testing.T) {
	bin := interop.Require(t, "tar")[0]
	dir := t.TempDir()
	p := filepath.Join(dir, "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	long := "data/vms/" + strings.Repeat("v", 120) + "/" + strings.Repeat("n", 130) + ".vmdk"
	want := map[string][]byte{"data/vms/a/disk.zst": content("zst", 100_001), long: content("long", 513), "data/vms/a/empty": {}}
	put(t, tr, "data/vms/a/disk.zst", false, want["data/vms/a/disk.zst"])
	put(t, tr, long, true, want[long])
	put(t, tr, "data/vms/a/empty", true, nil)
	finish(t, tr, "data/vms/a/disk.zst", long, "data/vms/a/empty")
	out := filepath.Join(dir, "x")
	os.Mkdir(out, 0o755)
	if b, err := exec.Command(bin, "-xf", p, "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar -xf: %v\n%s", err, b)
	}
	for n, data := range want {
		got, err := os.ReadFile(filepath.Join(out, "acme", n))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes extracted (%v), want %d", n, len(got), err, len(data))
		}
	}
	b, err := exec.Command(bin, "-tvf", p).CombinedOutput()
	if err != nil || strings.Contains(string(b), "warning") {
		t.Errorf("tar -tvf: %v\n%s", err, b)
	}
}

// FuzzReadBack feeds arbitrary bytes as an earlier run's FILE.partial:
// the sink reads it back or starts over, never panics, and what it
// finishes is a tar Go reads to its end.
func FuzzReadBack(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.tar")
	tr, err := NewTar(seed, nil)
	if err != nil {
		f.Fatal(err)
	}
	e, _ := tr.Store("data/a", 3, mtime)
	e.Write([]byte("abc"))
	e.Commit()
	e, _ = tr.Store("data/b", 600, mtime)
	e.Write(make([]byte, 100))
	tr.Close()
	b, _ := os.ReadFile(seed + fsx.PartialSuffix)
	f.Add(b)
	f.Add([]byte{})
	var n int
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		p := filepath.Join(t.TempDir(), fmt.Sprintf("acme%d.tar", n))
		os.WriteFile(p+fsx.PartialSuffix, data, 0o644)
		tr, err := NewTar(p, nil)
		if err != nil {
			return
		}
		defer tr.Close()
		var keep []string
		if r, size, err := tr.Open("data/a"); err == nil {
			io.Copy(io.Discard, r)
			if tr.Keep("data/a", size, mtime) == nil {
				keep = append(keep, "data/a")
			}
		}
		if err := settleFinish(tr, keep...); err != nil {
			t.Fatalf("finish: %v", err)
		}
		readTar(t, p)
	})
}

// The tag files go into the room before the payload, so that a reader of
// the tar as a stream meets them first; the room's global header is no
// file to GNU tar or Go's reader.
func TestTheTagFilesGoBeforeThePayload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	put(t, tr, "data/vms/a/disk", true, content("disk", 70_000))
	for _, n := range []string{"bagit.txt", "exit-manifest.json", "tagmanifest-sha256.txt.sig"} {
		if err := fsx.WriteFile(tr.FS(), n, content(n, 700), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	finish(t, tr, "data/vms/a/disk")
	files, hdrs := readTar(t, p)
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
	}
	if got := strings.Join(names, " "); got != "acme/ acme/bagit.txt acme/exit-manifest.json acme/tagmanifest-sha256.txt.sig acme/data/ acme/data/vms/ acme/data/vms/a/ acme/data/vms/a/disk" {
		t.Errorf("members in the order %s, want the tag files first", got)
	}
	if !bytes.Equal(files["acme/exit-manifest.json"], content("exit-manifest.json", 700)) {
		t.Error("a tag file changed")
	}
	if bin := interop.Path("tar"); bin != "" {
		if out, err := exec.Command(bin, "-tf", p).CombinedOutput(); err != nil || strings.Contains(string(out), "PaxHeaders") {
			t.Errorf("tar -tf: %v\n%s", err, out)
		}
	}
}

// A Finish killed while it writes the tag files into the room (or a
// power cut tearing that write) leaves a FILE.partial the next run reads
// back with its payload whole, and finishes.
func TestAFinishKilledWhileItWritesTheTagFilesIsFinishedAgain(t *testing.T) {
	disk := content("disk", 70_000)
	sum := sha256Hex(disk)
	for _, tt := range []struct {
		name  string
		state func(t *testing.T, tr *Tar, tags []byte, first int64)
	}{
		{"killed before the room's first bytes", func(t *testing.T, tr *Tar, tags []byte, first int64) {
			room := tr.members[1]
			tr.writeRoom(room.hdr+int64(len(tags)), room.data, mtime)
			tr.f.WriteAt(tags[first:], room.hdr+first)
		}},
		{"the room's first bytes written, not its comment's", func(t *testing.T, tr *Tar, tags []byte, first int64) {
			room := tr.members[1]
			tr.writeRoom(room.hdr+int64(len(tags)), room.data, mtime)
			tr.f.WriteAt(tags[first:], room.hdr+first)
			tr.f.WriteAt(tags[:200], room.hdr)
		}},
		{"the room's header torn", func(t *testing.T, tr *Tar, tags []byte, first int64) {
			room := tr.members[1]
			tr.writeRoom(room.hdr+int64(len(tags)), room.data, mtime)
			tr.f.WriteAt(tags[first:], room.hdr+first)
			tr.f.WriteAt(tags[:100], room.hdr) // a name, not its checksum
		}},
		{"killed before the rename", func(t *testing.T, tr *Tar, tags []byte, first int64) {
			if err := tr.tagsIntoRoom(tr.members[1], tags, mtime); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "acme.tar")
			tr, err := NewTar(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			put(t, tr, "data/disk", true, disk)
			fsx.WriteFile(tr.FS(), "bagit.txt", content("bagit", 900), 0o644)
			fsx.WriteFile(tr.FS(), "manifest-sha256.txt", []byte(sum+"  data/disk\n"), 0o644)
			if err := tr.Settle(map[string]bool{"data/disk": true}); err != nil {
				t.Fatal(err)
			}
			tags, err := tr.serializeTags(mtime)
			if err != nil {
				t.Fatal(err)
			}
			first := int64(blockSize + len(roomHead(roomSize-blockSize)))
			tt.state(t, tr, tags, first)
			tr.Close()

			tr, err = NewTar(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if err := tr.Finish(mtime); err != nil {
				t.Fatal(err)
			}
			files, _ := readTar(t, p)
			if !bytes.Equal(files["acme/data/disk"], disk) || !bytes.Equal(files["acme/bagit.txt"], content("bagit", 900)) || len(files) != 3 {
				t.Errorf("finished tar holds %d files", len(files))
			}
		})
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A FILE.partial cut short (a full disk, a copy that stopped) loses only
// the entry it cuts: the entries before it are offered, the file is cut
// back to their end.
func TestATruncatedTailLosesOnlyTheEntryItCuts(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	tr, err := NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	put(t, tr, "data/a", true, content("data/a", 3000))
	put(t, tr, "data/b", false, content("data/b", 9000))
	tr.Close()
	fi, _ := os.Stat(p + fsx.PartialSuffix)
	if err := os.Truncate(p+fsx.PartialSuffix, fi.Size()-4000); err != nil {
		t.Fatal(err)
	}
	tr, err = NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, n, err := tr.Open("data/a"); err != nil || n != 3000 {
		t.Errorf("data/a: %d bytes, %v", n, err)
	}
	if _, _, err := tr.Open("data/b"); err == nil {
		t.Error("the cut entry is offered for keeping")
	}
	if after, _ := os.Stat(p + fsx.PartialSuffix); after.Size() != tr.tail {
		t.Errorf("FILE.partial is %d bytes, its entries end at %d", after.Size(), tr.tail)
	}
}

// Tag files too large for their room go after the payload; a Finish that
// fails after writing them there is finished by the next run with each
// tag file once.
func TestTagFilesTooLargeForTheRoomGoAfterThePayload(t *testing.T) {
	p := filepath.Join(t.TempDir(), "acme.tar")
	fault := func(f fsx.FS) fsx.FS {
		return &fsx.Faulty{FS: f, Fault: fsx.Fault{Op: fsx.OpRename, Match: "acme.tar"}}
	}
	tr, err := NewTar(p, fault)
	if err != nil {
		t.Fatal(err)
	}
	disk := content("disk", 5000)
	put(t, tr, "data/disk", true, disk)
	big := content("index", roomSize+1000)
	fsx.WriteFile(tr.FS(), "index.html", big, 0o644)
	fsx.WriteFile(tr.FS(), "manifest-sha256.txt", []byte(sha256Hex(disk)+"  data/disk\n"), 0o644)
	if err := settleFinish(tr, "data/disk"); !errors.Is(err, fsx.ErrInjected) {
		t.Fatalf("finish: %v", err)
	}
	tr.Close()
	tr, err = NewTar(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.Finish(mtime); err != nil {
		t.Fatal(err)
	}
	files, hdrs := readTar(t, p)
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
	}
	if got := strings.Join(names, " "); got != "acme/ acme/data/ acme/data/disk acme/index.html acme/manifest-sha256.txt" {
		t.Errorf("members %s", got)
	}
	if !bytes.Equal(files["acme/index.html"], big) || !bytes.Equal(files["acme/data/disk"], disk) {
		t.Error("a file changed")
	}
}

// A FILE.partial with a second name (a hard link planted to another file)
// is refused: writing into it would change the other file.
func TestAHardLinkedPartialIsRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "acme.tar")
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	if err := os.Link(victim, p+fsx.PartialSuffix); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	if _, err := NewTar(p, nil); err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Errorf("a hard-linked FILE.partial: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Error("the linked file was written")
	}
}

// A file of unknown size is admitted (its source opened) only when no
// other file is being admitted, and holds off files of known size until
// it is released; files of known size are admitted together.
func TestAFileOfUnknownSizeIsAdmittedAlone(t *testing.T) {
	tr, err := NewTar(filepath.Join(t.TempDir(), "acme.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r1, r2 := tr.Admit(true), tr.Admit(true) // together: neither waits
	var mu sync.Mutex
	released := false
	done := make(chan bool, 1)
	go func() {
		release := tr.Admit(false)
		mu.Lock()
		done <- released
		mu.Unlock()
		release()
	}()
	time.Sleep(50 * time.Millisecond) // lets an Admit that does not wait return now
	mu.Lock()
	released = true
	mu.Unlock()
	r1()
	r2()
	r2() // idempotent
	if !<-done {
		t.Error("a file of unknown size was admitted while files of known size were")
	}
}
