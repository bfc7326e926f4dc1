package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle/bagit/tarsink"
	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/interop"
)

// create --tar - streams the bundle into a pipe: GNU tar extracts it,
// sha256sum checks its manifest, and verify accepts what was extracted;
// the stream's temporary folder is gone afterwards.
func TestCreateTarStreamPipedIntoTarXIsAWholeBundle(t *testing.T) {
	tools := interop.Require(t, "tar", "sha256sum")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	fx := newFixture(t, t.TempDir(), crCapacity)
	id, _ := age.GenerateX25519Identity()
	opts := crOptions(t, fx, "", id)
	opts.Tar, opts.Compress = "-", "none"
	x := t.TempDir()
	cmd := exec.Command(tools[0], "-x", "-C", x)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var copyOut bytes.Buffer
	opts.TarOut = io.MultiWriter(in, &copyOut)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := testCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, stderr.String())
	}
	bag := filepath.Join(x, tarsink.StreamName)
	sum := exec.Command(tools[1], "-c", "--strict", ManifestFile)
	sum.Dir = bag
	if out, err := sum.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	checkBundle(t, bag, opts.Signer.PublicKey(), []age.Identity{id}, fx.want)
	saved := filepath.Join(t.TempDir(), "s.tar")
	os.WriteFile(saved, copyOut.Bytes(), 0o644)
	if r, err := Verify(context.Background(), saved, VerifyOptions{Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}}); err != nil || !r.OK {
		t.Fatalf("verify of the stream as a file: %v %v", err, vtFailed(r))
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the stream left %s in the temporary folder", left[0].Name())
	}
}

// A stream's headers precede their data, so compression, whose size is
// known only at the end, is refused before anything is written.
func TestCreateTarStreamRefusesCompression(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	for _, compress := range []string{"zstd", "auto"} {
		opts := crOptions(t, fx, "")
		var out bytes.Buffer
		opts.Tar, opts.TarOut, opts.Compress = "-", &out, compress
		_, err := testCreate(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), "--compress none") {
			t.Errorf("%s: %v, want a refusal naming --compress none", compress, err)
		}
		if out.Len() > 0 {
			t.Errorf("%s: %d bytes streamed before the refusal", compress, out.Len())
		}
	}
}

type failAfter struct {
	n   int
	out bytes.Buffer
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.out.Len()+len(p) > f.n {
		return 0, errors.New("broken pipe")
	}
	return f.out.Write(p)
}

// A stream that breaks after bytes went out fails the create, saying it
// cannot be resumed; nothing is retried into the broken stream.
func TestCreateTarStreamFailsWhenThePipeBreaks(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	opts := crOptions(t, fx, "")
	w := &failAfter{n: 200_000}
	opts.Tar, opts.TarOut, opts.Compress = "-", w, "none"
	_, err := testCreate(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "cannot be resumed") {
		t.Fatalf("create: %v, want a failure saying the stream cannot be resumed", err)
	}
	if opens := fx.source.vms[0].files[0].opens.Load() + fx.source.vms[0].files[1].opens.Load(); opens > 2 {
		t.Errorf("%d opens of the first VM's disks: a file was retried into the broken stream", opens)
	}
}

// A FILE.partial changed between runs is outside input: a changed byte
// in an entry's data makes create read that file again, and a forged
// header is written anew, so the finished tar holds only what this
// create read and vouches for, with create's own headers.
func TestCreateTarResumesPastAPlantedEntryAndHeader(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	id, _ := age.GenerateX25519Identity()
	opts := crOptions(t, fx, "", id)
	opts.Tar = filepath.Join(t.TempDir(), "acme.tar")
	// The signature's rename fails: every entry is in FILE.partial.
	sm := seams{wrap: func(f fsx.FS) fsx.FS {
		return &fsx.Faulty{FS: f, Fault: fsx.Fault{Op: fsx.OpRename, Match: TagManifestFile}}
	}}
	if _, err := testCreate(context.Background(), opts, sm); !errors.Is(err, fsx.ErrInjected) {
		t.Fatalf("create: %v", err)
	}
	partial := opts.Tar + fsx.PartialSuffix
	f, err := os.OpenFile(partial, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	index, err := tarIndex(f)
	if err != nil {
		t.Fatal(err)
	}
	var disk, nvram *tarAt
	for i := range index {
		switch {
		case strings.Contains(index[i].name, "disk1.vmdk") && disk == nil:
			disk = &index[i]
		case strings.Contains(index[i].name, ".nvram"):
			nvram = &index[i]
		}
	}
	if disk == nil || nvram == nil {
		t.Fatalf("entries not found in %v", index)
	}
	// Flip a data byte of the disk; give the NVRAM a planted header of
	// the same layout: setuid mode, an owner.
	b := make([]byte, 1)
	f.ReadAt(b, disk.data+1000)
	f.WriteAt([]byte{b[0] ^ 0xff}, disk.data+1000)
	hdr := make([]byte, 512)
	f.ReadAt(hdr, nvram.data-512)
	copy(hdr[100:108], "0004777\x00")
	copy(hdr[265:297], "mallory\x00")
	copy(hdr[148:156], "        ")
	sum := 0
	for _, c := range hdr {
		sum += int(c)
	}
	copy(hdr[148:156], fmt.Sprintf("%06o\x00 ", sum))
	f.WriteAt(hdr, nvram.data-512)
	f.Close()

	var opensBefore int64
	for _, vm := range fx.source.vms {
		for _, sf := range vm.files {
			opensBefore += int64(sf.opens.Load())
		}
	}
	if _, err := testCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var opens int64
	for _, vm := range fx.source.vms {
		for _, sf := range vm.files {
			opens += int64(sf.opens.Load())
		}
	}
	if opens-opensBefore != 1 {
		t.Errorf("%d files read again, want only the changed one", opens-opensBefore)
	}
	r, err := Verify(context.Background(), opts.Tar, VerifyOptions{Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}})
	if err != nil || !r.OK {
		t.Fatalf("verify: %v %v", err, vtFailed(r))
	}
	tf, _ := os.Open(opts.Tar)
	defer tf.Close()
	tr := tar.NewReader(tf)
	names := map[string]int{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name]++
		if h.Uname != "" || h.Uid != 0 || (h.Typeflag == tar.TypeReg && h.Mode != 0o644) {
			t.Errorf("%s: mode %o uname %q: a planted header survived", h.Name, h.Mode, h.Uname)
		}
	}
	for n, c := range names {
		if c > 1 {
			t.Errorf("%s appears %d times in the finished tar", n, c)
		}
	}
}

type tarAt struct {
	name string
	data int64
}

func tarIndex(f *os.File) ([]tarAt, error) {
	var out []tarAt
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		pos, _ := f.Seek(0, io.SeekCurrent)
		out = append(out, tarAt{h.Name, pos})
	}
}

// The tag files of a tar create writes come before its payload, so that
// verify reading it as a stream (verify -) meets the signed manifest
// first and decodes every file.
func TestVerifyOfACreatedTarOnStdinDecodesEveryFile(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	id, _ := age.GenerateX25519Identity()
	opts := crOptions(t, fx, "", id)
	opts.Tar = filepath.Join(t.TempDir(), "acme.tar")
	if _, err := testCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(opts.Tar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Verify(context.Background(), "-", VerifyOptions{Stdin: f, Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}})
	if err != nil || !r.OK || !strings.Contains(vtText(r), "PASS  plaintext") {
		t.Fatalf("verify -: %v\n%s", err, vtText(r))
	}
}

// countingReader tracks how many source files are being read at once.
type countingReader struct {
	r        io.Reader
	active   *atomic.Int32
	max      *atomic.Int32
	started  bool
	finished bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	if !c.started {
		c.started = true
		if n := c.active.Add(1); n > c.max.Load() {
			c.max.Store(n)
		}
	}
	n, err := c.r.Read(p)
	if err != nil && !c.finished {
		c.finished = true
		c.active.Add(-1)
	}
	return n, err
}

// Files whose size the source cannot tell (vSphere's) go into the tar
// one at a time, each opened only once it has the tail, whatever --jobs
// says; the tar verifies.
func TestFilesOfUnknownSizeAreOpenedOneAtATimeForATar(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	var active, most atomic.Int32
	for _, vm := range fx.source.vms {
		for _, f := range vm.files {
			f.size = -1
			f.wrap = func(_ int, r io.Reader) io.Reader { return &countingReader{r: r, active: &active, max: &most} }
		}
	}
	id, _ := age.GenerateX25519Identity()
	opts := crOptions(t, fx, "", id)
	opts.Tar, opts.Jobs = filepath.Join(t.TempDir(), "acme.tar"), 4
	if _, err := testCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if most.Load() != 1 {
		t.Errorf("%d files of unknown size were read at once", most.Load())
	}
	r, err := Verify(context.Background(), opts.Tar, VerifyOptions{Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}})
	if err != nil || !r.OK {
		t.Fatalf("verify: %v %v", err, vtFailed(r))
	}
}

// A file of known size that is compressed has a stored size known only at
// its end, so it too holds the tail alone: a file of unknown size (a
// vSphere download) is never opened while another file is being read,
// where it would wait idle for the tail.
func TestAnUnknownSizeFileIsNeverOpenedWhileACompressedFileIsRead(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	var reading, most atomic.Int32
	var openedDuring atomic.Int32
	for i, vm := range fx.source.vms {
		for k, f := range vm.files {
			unknown := (i+k)%2 == 1
			if unknown {
				f.size = -1
			}
			f.wrap = func(_ int, r io.Reader) io.Reader {
				if unknown && reading.Load() > 0 {
					openedDuring.Add(1)
				}
				if !unknown {
					r = slowReader{r} // a window wide enough for an early opening to show
				}
				return &countingReader{r: r, active: &reading, max: &most}
			}
		}
	}
	opts := crOptions(t, fx, "")
	opts.Tar, opts.Jobs, opts.Compress = filepath.Join(t.TempDir(), "acme.tar"), 4, "zstd"
	for range 3 { // the files race for the tail; several runs give an early opening its chance
		os.Remove(opts.Tar)
		if _, err := testCreate(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
	}
	if n := openedDuring.Load(); n > 0 {
		t.Errorf("a file of unknown size was opened %d times while another file was read", n)
	}
	if _, err := Verify(context.Background(), opts.Tar, VerifyOptions{Signer: opts.Signer.PublicKey()}); err != nil {
		t.Fatal(err)
	}
}
