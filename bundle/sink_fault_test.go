package bundle

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle/bagit/tarsink"
	"github.com/exitkit/exitkit/internal/fsx"
)

// A write, fsync, rename or journal append that fails at any step leaves
// an unsigned bundle that the same create then finishes, for the folder
// and the tar sink alike. The faults are injected through the sink's
// folder (fsx.Faulty), the seam every output write goes through.
func TestAFaultAtAnyStepLeavesAnUnsignedResumableBundle(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	id, _ := age.GenerateX25519Identity()
	type fault struct {
		name  string
		fault fsx.Fault
	}
	shared := []fault{
		{"a journal append at byte 400", fsx.Fault{Op: fsx.OpWrite, Match: IncompleteMarker, Bytes: 400}},
		{"the write of exit-manifest.json", fsx.Fault{Op: fsx.OpWrite, Match: ExitManifestFile, Bytes: 10}},
		{"the rename of the tag manifest", fsx.Fault{Op: fsx.OpRename, Match: TagManifestFile}},
		{"the rename that makes the signature appear", fsx.Fault{Op: fsx.OpRename, Match: SignatureFile}},
	}
	bySink := map[string][]fault{
		"folder": append([]fault{
			{"a disk write at byte 100000", fsx.Fault{Op: fsx.OpWrite, Match: "disk1.vmdk", Bytes: 100_000}},
			{"the fsync of a stored disk", fsx.Fault{Op: fsx.OpSync, Match: "disk1.vmdk"}},
			{"the rename of a stored disk into place", fsx.Fault{Op: fsx.OpRename, Match: "disk2.vmdk"}},
		}, shared...),
		// The tar's payload goes into acme.tar.partial, written at offsets
		// by several files at once: a write fault there interrupts
		// whichever entry is written then.
		"tar": append([]fault{
			{"a tar write at byte 100000", fsx.Fault{Op: fsx.OpWrite, Match: "acme.tar.partial", Bytes: 100_000}},
			{"a tar write at byte 400000", fsx.Fault{Op: fsx.OpWrite, Match: "acme.tar.partial", Bytes: 400_000}},
			{"the fsync of the tar before the signature", fsx.Fault{Op: fsx.OpSync, Match: "acme.tar.partial"}},
		}, shared...),
	}
	for _, sink := range []string{"folder", "tar"} {
		for _, tt := range bySink[sink] {
			t.Run(sink+": "+tt.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "acme")
				opts := crOptions(t, fx, out, id)
				bag := out
				if sink == "tar" {
					opts.Out, opts.Tar = "", out+".tar"
					bag = opts.Tar + tarsink.PartsSuffix
				}
				var faulty []*fsx.Faulty // every folder of the sink
				sm := seams{wrap: func(f fsx.FS) fsx.FS {
					ff := &fsx.Faulty{FS: f, Fault: tt.fault}
					faulty = append(faulty, ff)
					return ff
				}}
				_, err := testCreate(t.Context(), opts, sm)
				fired := false
				for _, f := range faulty {
					fired = fired || f.Fired()
				}
				if !errors.Is(err, fsx.ErrInjected) || !fired {
					t.Fatalf("create: %v (fault fired: %v)", err, fired)
				}
				isIncomplete(t, bag)
				if r, err := Verify(t.Context(), bag, VerifyOptions{}); err != nil || r.OK || !r.Incomplete {
					t.Errorf("verify of the interrupted bundle: %v %+v", err, r)
				}
				if sink == "tar" {
					if _, err := os.Lstat(opts.Tar); err == nil {
						t.Errorf("a tar exists after a failed create")
					}
				}
				if _, err := testCreate(t.Context(), opts); err != nil {
					t.Fatalf("resume: %v", err)
				}
				final := out
				if sink == "tar" {
					final = opts.Tar
				}
				r, err := Verify(t.Context(), final, VerifyOptions{Signer: opts.Signer.PublicKey(), Identities: []age.Identity{id}})
				if err != nil || !r.OK {
					t.Fatalf("verify after resume: %v %v", err, vtFailed(r))
				}
			})
		}
	}
}

// The tar sink writes the tag files after the signature; a failure
// there leaves no tar, and the next run proves the payload already in
// acme.tar.partial against the signed manifest and finishes the tar
// without exporting again.
func TestATarThatFailsToBeWrittenIsWrittenByTheNextRun(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	opts := crOptions(t, fx, "")
	// A first tar tells how many bytes create writes into it: the faults
	// below fire in the last of them, as the tag files are written into
	// the room before the payload (the second tears the header that
	// switches the room to them).
	opts.Out, opts.Tar = "", filepath.Join(t.TempDir(), "ref.tar")
	var written atomic.Int64
	if _, err := testCreate(t.Context(), opts, seams{wrap: func(f fsx.FS) fsx.FS { return countingFS{f, &written} }}); err != nil {
		t.Fatal(err)
	}
	ref, err := os.Stat(opts.Tar)
	if err != nil {
		t.Fatal(err)
	}
	for _, fault := range []fsx.Fault{
		{Op: fsx.OpWrite, Match: "acme.tar.partial", Bytes: written.Load() - 2000},
		{Op: fsx.OpWrite, Match: "acme.tar.partial", Bytes: written.Load() - 300},
		{Op: fsx.OpRename, Match: "acme.tar"},
	} {
		tarPath := filepath.Join(t.TempDir(), "acme.tar")
		opts.Tar = tarPath
		sm := seams{wrap: func(f fsx.FS) fsx.FS { return &fsx.Faulty{FS: f, Fault: fault} }}
		if _, err := testCreate(t.Context(), opts, sm); !errors.Is(err, fsx.ErrInjected) {
			t.Fatalf("%s at %d: create: %v", fault.Op, fault.Bytes, err)
		}
		if _, err := os.Lstat(tarPath); err == nil {
			t.Fatalf("%s: a tar exists after a failed write", fault.Op)
		}
		if _, err := os.Lstat(filepath.Join(tarPath+tarsink.PartsSuffix, SignatureFile)); err != nil {
			t.Fatalf("%s: the signed bag is not kept: %v", fault.Op, err)
		}
		before := fx.source.vms[0].files[0].opens.Load()
		if _, err := testCreate(t.Context(), opts); err != nil {
			t.Fatal(err)
		}
		if fx.source.vms[0].files[0].opens.Load() != before {
			t.Error("the source was read again to write the tar")
		}
		if r, err := Verify(t.Context(), tarPath, VerifyOptions{Signer: opts.Signer.PublicKey()}); err != nil || !r.OK {
			t.Fatalf("%s at %d: verify: %v %v", fault.Op, fault.Bytes, err, vtFailed(r))
		}
		if _, err := os.Lstat(tarPath + tarsink.PartsSuffix); err == nil {
			t.Error("the parts folder is left beside the finished tar")
		}
		if fi, err := os.Stat(tarPath); err != nil || fi.Size() != ref.Size() {
			t.Errorf("the finished tar has %v bytes, the same create's first tar %d (%v)", fi.Size(), ref.Size(), err)
		}
	}
}

// countingFS counts the bytes written into the files it opens for
// writing at offsets (the tar).
type countingFS struct {
	fsx.FS
	n *atomic.Int64
}

func (c countingFS) OpenRandom(name string, perm fs.FileMode) (fsx.RandomFile, error) {
	f, err := c.FS.(fsx.RandomFS).OpenRandom(name, perm)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c.n}, nil
}

type countingFile struct {
	fsx.RandomFile
	n *atomic.Int64
}

func (c countingFile) WriteAt(p []byte, off int64) (int, error) {
	k, err := c.RandomFile.WriteAt(p, off)
	c.n.Add(int64(k))
	return k, err
}
