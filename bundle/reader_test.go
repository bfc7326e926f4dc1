package bundle

import (
	_ "github.com/exitkit/exitkit/internal/golden"

	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/bagit/tarsink"
	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/interop"
)

// The same folders and tars, fed to verify, restore and inspect, which
// read them through the one bag reader (bundle/bagit) and so must agree.
func TestVerifyRestoreAndInspectAcceptTheSameFoldersAndTars(t *testing.T) {
	interop.Require(t, "tar", "sh")
	dir, signer, id := inspectBundleWithKey(t, false)
	parent := filepath.Dir(dir)
	work := t.TempDir()
	tarOf := func(name, script string) string {
		out := filepath.Join(work, name)
		cmd := exec.Command("sh", "-c", script, "sh", out)
		cmd.Dir = parent
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, b)
		}
		return out
	}
	inputs := map[string]string{
		"a bundle folder":                  dir,
		"a flat tar":                       tarOf("flat.tar", `tar -C acme-exit -cf "$1" .`),
		"a tar with a top folder":          tarOf("top.tar", `tar -cf "$1" acme-exit`),
		"a tar of the files find lists":    tarOf("find.tar", `tar -cf "$1" $(find acme-exit -type f)`),
		"a tar with a top folder, no dirs": func() string { p := filepath.Join(work, "vt.tar"); vtTar(t, dir, p, "acme/"); return p }(),
	}
	tarDir := filepath.Join(work, "created")
	os.Mkdir(tarDir, 0o755)
	created := filepath.Join(tarDir, "acme-exit.tar")
	createTar(t, dir, created)
	inputs["a tar as create --tar writes it"] = created
	for name, p := range inputs {
		t.Run(name, func(t *testing.T) {
			r, err := Verify(t.Context(), p, VerifyOptions{Signer: signer.PublicKey()})
			if err != nil || !r.OK {
				t.Fatalf("verify: %v %v", err, vtFailed(r))
			}
			in, err := Inspect(p)
			if err != nil || !in.Complete || len(in.Manifest.VMs) != 2 {
				t.Fatalf("inspect: %v %+v", err, in)
			}
			out := filepath.Join(t.TempDir(), "out")
			rep, err := Restore(t.Context(), p, RestoreOptions{Out: out, Identities: ageIDs(id), Signer: signer.PublicKey()})
			if err != nil || len(rep.VMs) != 2 || !rep.VMs[0].Ready || !rep.SignerPinned || rep.Forced {
				t.Fatalf("restore: %v %+v", err, rep)
			}
		})
	}
}

// A folder that is no bundle at all (the bundle's parent, its data/, any
// folder) is "not an exit bundle" for every reader, never "incomplete".
func TestAFolderThatIsNoBundleIsNotCalledIncomplete(t *testing.T) {
	dir, _ := inspectBundle(t, false)
	notes := map[string]string{
		"the bundle's parent": filepath.Dir(dir),
		"its data folder":     filepath.Join(dir, "data"),
		"an empty folder":     t.TempDir(),
		"a text file": func() string {
			p := filepath.Join(t.TempDir(), "x.txt")
			os.WriteFile(p, []byte(strings.Repeat("hi ", 400)), 0o644)
			return p
		}(),
	}
	for name, p := range notes {
		t.Run(name, func(t *testing.T) {
			_, verr := Verify(t.Context(), p, VerifyOptions{})
			_, rerr := Restore(t.Context(), p, RestoreOptions{Out: filepath.Join(t.TempDir(), "o")})
			_, ierr := Inspect(p)
			for what, err := range map[string]error{"verify": verr, "restore": rerr, "inspect": ierr} {
				if !errors.Is(err, ErrNotABundle) || errors.Is(err, ErrIncomplete) {
					t.Errorf("%s: %v, want not an exit bundle", what, err)
				}
			}
		})
	}
	_, err := Verify(t.Context(), filepath.Dir(dir), VerifyOptions{})
	if err == nil || !strings.Contains(err.Error(), "give that folder") {
		t.Errorf("the parent's error does not point at the bundle: %v", err)
	}
}

// An interrupted create, killed before anything was finished, is
// incomplete for verify and inspect alike.
func TestAnInterruptedCreateIsIncompleteForVerifyAndInspect(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data", "vms", "web"), 0o755)
	os.WriteFile(filepath.Join(dir, IncompleteMarker), []byte(`{"kind":"exitbundle-create/1"}`+"\n"), 0o644)
	r, err := Verify(t.Context(), dir, VerifyOptions{})
	if err != nil || r.OK || !r.Incomplete || !errors.Is(r.Err(), ErrIncomplete) {
		t.Errorf("verify: %v %+v", err, r)
	}
	if _, err := Inspect(dir); !errors.Is(err, ErrIncomplete) {
		t.Errorf("inspect: %v", err)
	}
}

func ageIDs(id *age.X25519Identity) []age.Identity { return []age.Identity{id} }

// createTar serializes a finished bundle folder as create --tar does:
// through the tar sink, payload files as entries, then the tag files.
func createTar(t *testing.T, dir, tarPath string) {
	t.Helper()
	tr, err := tarsink.NewTar(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	keep := map[string]bool{}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(rel, "data/") {
			return fsx.WriteFile(tr.FS(), rel, data, 0o644)
		}
		e, err := tr.Store(rel, int64(len(data)), time.Now())
		if err == nil {
			e.Write(data)
			err = e.Commit()
		}
		keep[rel] = true
		return err
	})
	if err == nil {
		err = tr.Settle(keep)
	}
	if err == nil {
		err = tr.Finish(time.Now())
	}
	if err != nil {
		t.Fatal(err)
	}
}
