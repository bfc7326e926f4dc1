package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/exitkit/exitkit/bundle/bagit"
	"github.com/exitkit/exitkit/bundle/internal/check"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/seal"
	"github.com/klauspost/compress/zstd"
)

// Hostile bundles built at test time (issue 9): each is signed, so that
// what is refused is refused for what it is, not for a bad signature.

// htBombSize is what a bomb inflates to: enough that decoding it whole
// would show in time and memory, small enough for CI if a regression let
// it through.
const htBombSize = 512 << 20

// htBomb returns a zstd stream of n zero bytes (a few KiB), encrypted to
// recipients when given.
func htBomb(t testing.TB, n int64, recipients ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser = nopCloser{&buf}
	var aw io.WriteCloser
	if len(recipients) > 0 {
		var err error
		aw, err = age.Encrypt(&buf, recipients...)
		if err != nil {
			t.Fatal(err)
		}
		w = aw
	}
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zero)) {
		if _, err := zw.Write(zero[:min(left, int64(len(zero)))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if aw != nil {
		if err := aw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// htReplaceStored puts stored bytes in place of one VM file's stored form,
// records them in exit-manifest.json (the plaintext size and hash stay
// what the manifest declared) and re-signs the bag.
func htReplaceStored(t *testing.T, bag *tbResult, vm, name string, stored []byte, spec tbSpec) {
	t.Helper()
	for vi := range bag.Manifest.VMs {
		for fi := range bag.Manifest.VMs[vi].Files {
			f := &bag.Manifest.VMs[vi].Files[fi]
			if bag.Manifest.VMs[vi].Name == vm && f.Name == name {
				vtWrite(t, filepath.Join(bag.Dir, f.Path), stored)
				f.StoredSize = int64(len(stored))
				f.StoredSHA256 = vtSHA(stored)
				spec.Signer = bag.Signer
				vtWriteTags(t, bag.Dir, bag.Manifest, spec)
				return
			}
		}
	}
	t.Fatalf("no file %s/%s", vm, name)
}

// htTagsFirstTar writes the bag as create does: tag files first, then
// the payload.
func htTagsFirstTar(t *testing.T, dir, tarPath string) {
	t.Helper()
	var tags, data []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, "data/") {
				data = append(data, rel)
			} else {
				tags = append(tags, rel)
			}
		}
		return nil
	})
	out, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	for _, p := range append(tags, data...) {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: "bag/" + p, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodingIsBoundedByTheSignedManifest(t *testing.T) {
	id := vtIdentity(t)
	for _, tc := range []struct {
		name string
		spec tbSpec
		ids  []age.Identity
	}{
		{"a zstd bomb", tbSpec{Compress: true}, nil},
		{"an encrypted zstd bomb", tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}, []age.Identity{id}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bag := vtBuildBag(t, filepath.Join(dir, "bag"), tc.spec)
			bomb := htBomb(t, htBombSize, tc.spec.Recipients...)
			if len(bomb) > 1<<20 {
				t.Fatalf("bomb is %d bytes", len(bomb))
			}
			htReplaceStored(t, bag, "web", "web-disk-1.vmdk", bomb, tc.spec)
			bombPath := vtStoredPath(t, bag.Manifest, "web", "web-disk-1.vmdk")

			tarPath := filepath.Join(dir, "bag.tar")
			htTagsFirstTar(t, bag.Dir, tarPath)
			for _, via := range []string{"folder", "tar", "stream"} {
				p, opts := bag.Dir, VerifyOptions{Identities: tc.ids}
				switch via {
				case "tar":
					p = tarPath
				case "stream":
					f, err := os.Open(tarPath)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					p, opts.Stdin = "-", f
				}
				r := vtVerify(t, p, opts)
				c := r.Check(CheckPlaintext)
				if r.OK || c.Status != StatusFail || !strings.Contains(vtText(r), "decodes to more than its declared size") {
					t.Errorf("%s: the bomb was not stopped at its declared size:\n%s", via, vtText(r))
				}
				for _, f := range c.Files {
					if f.Path == bombPath && !strings.Contains(f.Problem, "decodes to more than") {
						t.Errorf("%s: %s: %s", via, f.Path, f.Problem)
					}
				}
			}

			out := filepath.Join(dir, "out")
			err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: tc.ids, Jobs: 1})
			if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "decodes to more than its declared size") {
				t.Fatalf("restore: err = %v, want the bomb stopped", err)
			}
			var total int64
			filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					info, _ := d.Info()
					total += info.Size()
				}
				return nil
			})
			if total > 16<<20 {
				t.Errorf("restore left %d bytes under --out", total)
			}
		})
	}
}

func TestNothingIsDecodedUnlessTheSignatureVouchesForIt(t *testing.T) {
	dir := t.TempDir()
	spec := tbSpec{Compress: true}
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), spec)
	pinned := bag.Signer.PublicKey()
	htReplaceStored(t, bag, "web", "web-disk-1.vmdk", htBomb(t, htBombSize), spec)
	// An unlisted compressed file beside the listed ones.
	unlisted := "data/vms/web/extra.vmdk.zst"
	vtWrite(t, filepath.Join(bag.Dir, unlisted), htBomb(t, htBombSize))
	spec.Signer = bag.Signer
	vtWriteTags(t, bag.Dir, bag.Manifest, spec)

	scan := func(t *testing.T, opts check.ScanOptions) *check.Result {
		t.Helper()
		b, err := bagit.Open(bag.Dir)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		opts.Jobs = 2
		res, err := check.Scan(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("an unlisted file is hashed, never decoded", func(t *testing.T) {
		res := scan(t, check.ScanOptions{Pin: (&VerifyOptions{Now: time.Now}).pin()})
		if s := res.Files[unlisted]; s == nil || s.Plain != nil {
			t.Fatalf("unlisted .zst: %+v", s)
		}
	})
	t.Run("a bundle signed by another key is not decoded", func(t *testing.T) {
		other := testSigner(t)
		spec.Signer = other
		vtWriteTags(t, bag.Dir, bag.Manifest, spec)
		opts := VerifyOptions{Signer: pinned}
		r := vtVerify(t, bag.Dir, opts)
		c := r.Check(CheckPlaintext)
		if r.Check(CheckSignature).Status != StatusFail || c.Status != StatusSkip || !strings.Contains(c.Detail, "not decoded: the signature does not vouch") {
			t.Fatalf("decoded after a failed signature:\n%s", vtText(r))
		}
		opts.Force = true
		r = vtVerify(t, bag.Dir, opts)
		if c := r.Check(CheckPlaintext); c.Status != StatusFail || !strings.Contains(vtText(r), "decodes to more than") {
			t.Fatalf("forced: the bomb should be decoded, bounded:\n%s", vtText(r))
		}
		spec.Signer = bag.Signer
		vtWriteTags(t, bag.Dir, bag.Manifest, spec)
	})
}

// htSetWorkFactor rewrites the scrypt stanza of an age file to ask for
// 2^logN. The header MAC no longer matches, but a reader must refuse the
// work factor before it derives a key, which is the cost to bound.
func htSetWorkFactor(t *testing.T, stored []byte, logN string) []byte {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(-> scrypt \S+ )\d+$`)
	if !re.Match(stored) {
		t.Fatal("no scrypt stanza")
	}
	return re.ReplaceAll(stored, []byte("${1}"+logN))
}

func TestAScryptWorkFactorAboveTheCapFailsTheCheck(t *testing.T) {
	dir := t.TempDir()
	rec, err := age.NewScryptRecipient("open sesame")
	if err != nil {
		t.Fatal(err)
	}
	rec.SetWorkFactor(10)
	spec := tbSpec{Recipients: []age.Recipient{rec}}
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), spec)
	p := vtStoredPath(t, bag.Manifest, "web", "web-disk-1.vmdk")
	stored, err := os.ReadFile(filepath.Join(bag.Dir, p))
	if err != nil {
		t.Fatal(err)
	}
	// 2^19: above what create writes (2^18), below age's own default cap
	// (2^22), so only exitkit's cap refuses it.
	htReplaceStored(t, bag, "web", "web-disk-1.vmdk", htSetWorkFactor(t, stored, "19"), spec)

	def, err := keys.PassphraseIdentity([]byte("open sesame"))
	if err != nil {
		t.Fatal(err)
	}
	r := vtVerify(t, bag.Dir, VerifyOptions{Identities: []age.Identity{def}})
	c := r.Check(CheckPlaintext)
	if r.OK || c.Status != StatusFail || !strings.Contains(vtText(r), "scrypt work factor above the accepted maximum: the file asks for 2^19") {
		t.Fatalf("work factor 19 not refused:\n%s", vtText(r))
	}
	if len(c.Files) != 1 || c.Files[0].Path != p {
		t.Errorf("only %s should fail:\n%s", p, vtText(r))
	}

	// The cap is the user's to lower (or raise): at 9, the genuine 2^10
	// files are refused too; at 10 they open.
	low, _ := keys.PassphraseIdentityMax([]byte("open sesame"), 9)
	if c := vtVerify(t, bag.Dir, VerifyOptions{Identities: []age.Identity{low}}).Check(CheckPlaintext); len(c.Files) != 4 {
		t.Errorf("cap 9: %d files refused, want 4", len(c.Files))
	}
	exact, _ := keys.PassphraseIdentityMax([]byte("open sesame"), 10)
	if c := vtVerify(t, bag.Dir, VerifyOptions{Identities: []age.Identity{exact}}).Check(CheckPlaintext); len(c.Files) != 1 {
		t.Errorf("cap 10: %d files refused, want 1 (the 2^19 one)", len(c.Files))
	}
	if _, err := keys.PassphraseIdentityMax([]byte("x"), 31); err == nil {
		t.Error("a work factor of 31 was accepted")
	}

	out := filepath.Join(dir, "out")
	err = restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: out, Identities: []age.Identity{def}})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "--max-work-factor") {
		t.Fatalf("restore: err = %v", err)
	}
}

func TestAWrongPassphraseSaysDecryptionFailed(t *testing.T) {
	dir := t.TempDir()
	rec, _ := age.NewScryptRecipient("open sesame")
	rec.SetWorkFactor(10)
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Recipients: []age.Recipient{rec}})
	wrong, _ := keys.PassphraseIdentity([]byte("open sesame!"))
	r := vtVerify(t, bag.Dir, VerifyOptions{Identities: []age.Identity{wrong}})
	c := r.Check(CheckPlaintext)
	if c.Status != StatusFail || !strings.HasPrefix(c.Detail, "decryption failed for 4 of 4 decoded files: wrong key or passphrase; check that --identity") || strings.Contains(c.Detail, "differ") {
		t.Fatalf("detail = %q", c.Detail)
	}
	err := restoreErr(context.Background(), bag.Dir, RestoreOptions{Out: filepath.Join(dir, "out"), Identities: []age.Identity{wrong}})
	if err == nil || !strings.Contains(err.Error(), "decryption failed") || !strings.Contains(err.Error(), "--passphrase-file") {
		t.Fatalf("restore: err = %v", err)
	}
}

// htResign rewrites the tag manifest from the tag files on disk (every
// regular file outside data/ but the tag manifest and its signature) and
// signs it with the bag's key: for a test that edited a tag file by hand.
func htResign(t *testing.T, bag *tbResult) {
	t.Helper()
	list, err := os.ReadDir(bag.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var tm strings.Builder
	for _, d := range list {
		n := d.Name()
		if !d.Type().IsRegular() || n == TagManifestFile || n == SignatureFile || strings.HasPrefix(n, "tagmanifest-") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(bag.Dir, n))
		if err != nil {
			t.Fatal(err)
		}
		tm.WriteString(vtSHA(data) + "  " + n + "\n")
	}
	vtWrite(t, filepath.Join(bag.Dir, TagManifestFile), []byte(tm.String()))
	sig, err := seal.Sign(bag.Signer, strings.NewReader(tm.String()))
	if err != nil {
		t.Fatal(err)
	}
	vtWrite(t, filepath.Join(bag.Dir, SignatureFile), sig)
}

func TestAZstdFrameAskingForAHugeWindowIsRefused(t *testing.T) {
	dir := t.TempDir()
	spec := tbSpec{Compress: true}
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), spec)
	plain := bag.Plain["web/web-disk-1.vmdk"]
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithWindowSize(64<<20), zstd.WithSingleSegment(false))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(plain)
	zw.Close()
	htReplaceStored(t, bag, "web", "web-disk-1.vmdk", buf.Bytes(), spec)
	r := vtVerify(t, bag.Dir, VerifyOptions{})
	if c := r.Check(CheckPlaintext); c.Status != StatusFail || !strings.Contains(vtText(r), "asks for a window above 8 MiB") {
		t.Fatalf("a 64 MiB window was accepted:\n%s", vtText(r))
	}
}
