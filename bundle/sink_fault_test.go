package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/internal/fsx"
)

// A write, fsync, rename or journal append that fails at any step leaves
// an unsigned bundle that the same create then finishes, for the folder
// and the tar sink alike. The faults are injected through the sink's
// folder (fsx.Faulty), the seam every output write goes through.
func TestAFaultAtAnyStepLeavesAnUnsignedResumableBundle(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	id, _ := age.GenerateX25519Identity()
	faults := []struct {
		name  string
		fault fsx.Fault
	}{
		{"a disk write at byte 100000", fsx.Fault{Op: fsx.OpWrite, Match: "disk1.vmdk", Bytes: 100_000}},
		{"the fsync of a stored disk", fsx.Fault{Op: fsx.OpSync, Match: "disk1.vmdk"}},
		{"the rename of a stored disk into place", fsx.Fault{Op: fsx.OpRename, Match: "disk2.vmdk"}},
		{"a journal append at byte 400", fsx.Fault{Op: fsx.OpWrite, Match: IncompleteMarker, Bytes: 400}},
		{"the write of exit-manifest.json", fsx.Fault{Op: fsx.OpWrite, Match: ExitManifestFile, Bytes: 10}},
		{"the rename of the tag manifest", fsx.Fault{Op: fsx.OpRename, Match: TagManifestFile}},
		{"the rename that makes the signature appear", fsx.Fault{Op: fsx.OpRename, Match: SignatureFile}},
	}
	for _, sink := range []string{"folder", "tar"} {
		for _, tt := range faults {
			t.Run(sink+": "+tt.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "acme")
				opts := crOptions(t, fx, out, id)
				bag := out
				if sink == "tar" {
					opts.Out, opts.Tar = "", out+".tar"
					bag = opts.Tar + bagit.PartsSuffix
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

// The tar sink serializes a signed bag last; a failure there leaves no
// tar, and the next run writes it from the signed bag without exporting
// again.
func TestATarThatFailsToBeWrittenIsWrittenByTheNextRun(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	tarPath := filepath.Join(t.TempDir(), "acme.tar")
	opts := crOptions(t, fx, "")
	opts.Out, opts.Tar = "", tarPath
	for _, fault := range []fsx.Fault{
		{Op: fsx.OpWrite, Match: "acme.tar", Bytes: 50_000},
		{Op: fsx.OpRename, Match: "acme.tar"},
	} {
		sm := seams{wrap: func(f fsx.FS) fsx.FS { return &fsx.Faulty{FS: f, Fault: fault} }}
		if _, err := testCreate(t.Context(), opts, sm); !errors.Is(err, fsx.ErrInjected) {
			t.Fatalf("%s: create: %v", fault.Op, err)
		}
		if _, err := os.Lstat(tarPath); err == nil {
			t.Fatalf("%s: a tar exists after a failed write", fault.Op)
		}
		if _, err := os.Lstat(filepath.Join(tarPath+bagit.PartsSuffix, SignatureFile)); err != nil {
			t.Fatalf("%s: the signed bag is not kept: %v", fault.Op, err)
		}
	}
	before := fx.source.vms[0].files[0].opens.Load()
	if _, err := testCreate(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	if fx.source.vms[0].files[0].opens.Load() != before {
		t.Error("the source was read again to write the tar")
	}
	if r, err := Verify(t.Context(), tarPath, VerifyOptions{Signer: opts.Signer.PublicKey()}); err != nil || !r.OK {
		t.Fatalf("verify: %v %v", err, vtFailed(r))
	}
	if _, err := os.Lstat(tarPath + bagit.PartsSuffix); err == nil {
		t.Error("the parts folder is left beside the finished tar")
	}
}
