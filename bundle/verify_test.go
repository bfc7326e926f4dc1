package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

func vtVerify(t *testing.T, p string, opts VerifyOptions) *Report {
	t.Helper()
	r, err := Verify(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("Verify(%s): %v", p, err)
	}
	return r
}

func vtIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestVerifyPassesGoodBundles(t *testing.T) {
	id := vtIdentity(t)
	for _, tc := range []struct {
		name       string
		spec       tbSpec
		ids        []age.Identity
		tarPrefix  *string
		plainCheck string // expected status of the plaintext check
	}{
		{name: "plain", plainCheck: StatusPass},
		{name: "zstd without keys is still decoded", spec: tbSpec{Compress: true}, plainCheck: StatusPass},
		{name: "encrypted without identity checks stored hashes only", spec: tbSpec{Recipients: []age.Recipient{id.Recipient()}}, plainCheck: StatusSkip},
		{name: "encrypted with identity", spec: tbSpec{Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}, plainCheck: StatusPass},
		{name: "zstd and encrypted with identity", spec: tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}, plainCheck: StatusPass},
		{name: "tar", spec: tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}, tarPrefix: new(string), plainCheck: StatusPass},
		{name: "tar with a top folder", spec: tbSpec{Recipients: []age.Recipient{id.Recipient()}}, ids: []age.Identity{id}, tarPrefix: vtPtr("exit-2026/"), plainCheck: StatusPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bag := vtBuildBag(t, filepath.Join(dir, "bag"), tc.spec)
			p := bag.Dir
			if tc.tarPrefix != nil {
				p = filepath.Join(dir, "bag.tar")
				vtTar(t, bag.Dir, p, *tc.tarPrefix)
			}
			for _, jobs := range []int{1, 3} {
				r := vtVerify(t, p, VerifyOptions{Identities: tc.ids, Jobs: jobs})
				if !r.OK || r.Err() != nil {
					t.Fatalf("jobs=%d: not OK: %v\n%s", jobs, r.Err(), vtText(r))
				}
				if got := r.Check(CheckPlaintext).Status; got != tc.plainCheck {
					t.Errorf("plaintext check = %s, want %s\n%s", got, tc.plainCheck, vtText(r))
				}
				if r.SignerPinned || !strings.Contains(r.SignerNote, "out of band") && !strings.Contains(r.SignerNote, "published") {
					t.Errorf("unpinned signer not flagged: pinned=%v note=%q", r.SignerPinned, r.SignerNote)
				}
				if want := ssh.FingerprintSHA256(bag.Signer.PublicKey()); r.Signer == nil || r.Signer.Fingerprint != want {
					t.Errorf("signer = %+v, want %s", r.Signer, want)
				}
			}
		})
	}
}

func vtPtr[T any](v T) *T { return &v }

func TestVerifyPinsTheSigner(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, dir, tbSpec{})
	other := testSigner(t)

	r := vtVerify(t, dir, VerifyOptions{Signer: bag.Signer.PublicKey()})
	if !r.OK || !r.SignerPinned || r.SignerNote != "" {
		t.Fatalf("pinned to the right key: ok=%v pinned=%v\n%s", r.OK, r.SignerPinned, vtText(r))
	}
	r = vtVerify(t, dir, VerifyOptions{Signer: other.PublicKey()})
	if r.OK || r.Check(CheckSignature).Status != StatusFail || !errors.Is(r.Err(), ErrSignature) {
		t.Fatalf("pinned to another key, yet:\n%s", vtText(r))
	}
	if !strings.Contains(vtText(r), ssh.FingerprintSHA256(other.PublicKey())) {
		t.Errorf("report does not name the expected key:\n%s", vtText(r))
	}
}

func TestVerifyAllowedSigners(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(bag.Signer.PublicKey())))
	for _, tc := range []struct {
		name, file, principal string
		ok                    bool
	}{
		{"exact principal", "provider@example.com " + key + "\n", "provider@example.com", true},
		{"wildcard and namespace", `*@example.com namespaces="exitbundle,file" ` + key + " comment\n", "provider@example.com", true},
		{"other principal", "provider@example.com " + key + "\n", "mallory@example.com", false},
		{"negated principal", "*@example.com,!provider@example.com " + key + "\n", "provider@example.com", false},
		{"other namespace", `provider@example.com namespaces="git" ` + key + "\n", "provider@example.com", false},
		{"expired", `provider@example.com valid-before="20200101" ` + key + "\n", "provider@example.com", false},
		{"other key", "provider@example.com " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(testSigner(t).PublicKey()))) + "\n", "provider@example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := filepath.Join(t.TempDir(), "allowed_signers")
			vtWrite(t, as, []byte(tc.file))
			r := vtVerify(t, bag.Dir, VerifyOptions{AllowedSigners: as, Principal: tc.principal})
			if r.OK != tc.ok {
				t.Fatalf("OK = %v, want %v\n%s", r.OK, tc.ok, vtText(r))
			}
		})
	}
	if _, err := Verify(context.Background(), bag.Dir, VerifyOptions{AllowedSigners: filepath.Join(dir, "nope"), Principal: "x"}); err == nil {
		t.Error("an unreadable allowed_signers file is not an error")
	}
	if _, err := Verify(context.Background(), bag.Dir, VerifyOptions{AllowedSigners: filepath.Join(dir, "nope")}); err == nil {
		t.Error("allowed signers without a principal is not an error")
	}
}

// TestVerifyNamesTheDamagedFile flips one byte in each kind of file of a
// finished bundle: verify must fail and name that file.
func TestVerifyNamesTheDamagedFile(t *testing.T) {
	id := vtIdentity(t)
	spec := tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}
	for _, tc := range []struct {
		name  string
		file  func(m *Manifest) string
		at    int
		check string
	}{
		{"encrypted disk, middle", func(m *Manifest) string { return vtStoredPath(nil, m, "web", "web-disk-1.vmdk") }, 5000, CheckPayload},
		{"encrypted disk, last byte", func(m *Manifest) string { return vtStoredPath(nil, m, "db", "db-disk-1.vmdk") }, -1, CheckPayload},
		{"encrypted disk, age header", func(m *Manifest) string { return vtStoredPath(nil, m, "web", "web-disk-2.vmdk") }, 30, CheckPayload},
		{"nvram", func(m *Manifest) string { return vtStoredPath(nil, m, "web", "web.nvram") }, 100, CheckPayload},
		{"descriptor", func(m *Manifest) string { return "data/vms/web/web.ovf" }, 60, CheckPayload},
		{"ovf manifest", func(m *Manifest) string { return "data/vms/db/db.mf" }, 20, CheckPayload},
		{"payload manifest", func(m *Manifest) string { return ManifestFile }, 3, CheckTagManifest},
		{"bag-info", func(m *Manifest) string { return BagInfoFile }, 2, CheckTagManifest},
		{"bagit.txt", func(m *Manifest) string { return BagItFile }, 0, CheckTagManifest},
		{"exit manifest", func(m *Manifest) string { return ExitManifestFile }, 40, CheckTagManifest},
		{"index", func(m *Manifest) string { return IndexFile }, 5, CheckTagManifest},
		{"readme", func(m *Manifest) string { return ReadmeFile }, 0, CheckTagManifest},
		{"signer.pub", func(m *Manifest) string { return SignerFile }, 30, CheckTagManifest},
		{"tag manifest", func(m *Manifest) string { return TagManifestFile }, 3, CheckSignature},
		{"signature", func(m *Manifest) string { return SignatureFile }, 60, CheckSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bag := vtBuildBag(t, dir, spec)
			target := tc.file(bag.Manifest)
			vtFlip(t, filepath.Join(dir, filepath.FromSlash(target)), tc.at)
			r := vtVerify(t, dir, VerifyOptions{Identities: []age.Identity{id}})
			if r.OK {
				t.Fatalf("damaged %s passed:\n%s", target, vtText(r))
			}
			c := r.Check(tc.check)
			named := false
			for _, f := range c.Files {
				named = named || f.Path == target
			}
			if c.Status != StatusFail || !named {
				t.Fatalf("check %s does not name %s:\n%s", tc.check, target, vtText(r))
			}
			if !strings.Contains(vtText(r), target) {
				t.Errorf("text report does not name %s", target)
			}
		})
	}
}

func TestVerifyIncompleteBundles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(dir string)
	}{
		{"signature removed", func(dir string) { os.Remove(filepath.Join(dir, SignatureFile)) }},
		{"marker present", func(dir string) { vtWrite(t, filepath.Join(dir, IncompleteMarker), nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			vtBuildBag(t, dir, tbSpec{})
			tc.damage(dir)
			r := vtVerify(t, dir, VerifyOptions{})
			if r.OK || !r.Incomplete || !errors.Is(r.Err(), ErrIncomplete) {
				t.Fatalf("not reported incomplete: %v\n%s", r.Err(), vtText(r))
			}
			if !strings.Contains(r.Err().Error(), "run the same create command again") {
				t.Errorf("error does not say how to resume: %v", r.Err())
			}
		})
	}
}

func TestVerifyReplacedSignerKey(t *testing.T) {
	t.Run("signer.pub swapped", func(t *testing.T) {
		dir := t.TempDir()
		vtBuildBag(t, dir, tbSpec{})
		vtWrite(t, filepath.Join(dir, SignerFile), ssh.MarshalAuthorizedKey(testSigner(t).PublicKey()))
		r := vtVerify(t, dir, VerifyOptions{})
		if r.OK || r.Check(CheckSignature).Status != StatusFail {
			t.Fatalf("swapped signer.pub passed:\n%s", vtText(r))
		}
	})
	t.Run("bundle re-signed by another key", func(t *testing.T) {
		// An attacker who rewrites the payload and re-signs with their own
		// key makes a bag that is consistent: only pinning catches it.
		dir := t.TempDir()
		bag := vtBuildBag(t, dir, tbSpec{})
		mallory := testSigner(t)
		disk := filepath.Join(dir, vtStoredPath(t, bag.Manifest, "db", "db-disk-1.vmdk"))
		vtFlip(t, disk, 10)
		vtWriteTags(t, dir, bag.Manifest, tbSpec{Signer: mallory})
		r := vtVerify(t, dir, VerifyOptions{})
		if r.SignerPinned || r.Signer.Fingerprint != ssh.FingerprintSHA256(mallory.PublicKey()) || !strings.Contains(vtText(r), "NOT pinned") {
			t.Fatalf("unpinned report does not show the signer to compare:\n%s", vtText(r))
		}
		r = vtVerify(t, dir, VerifyOptions{Signer: bag.Signer.PublicKey()})
		if r.OK || r.Check(CheckSignature).Status != StatusFail {
			t.Fatalf("re-signed bundle passed with --signer:\n%s", vtText(r))
		}
	})
}

func TestVerifyFindsMissingAndExtraFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string, m *Manifest) string
		check  string
	}{
		{"missing disk", func(t *testing.T, dir string, m *Manifest) string {
			p := vtStoredPath(t, m, "web", "web-disk-2.vmdk")
			os.Remove(filepath.Join(dir, p))
			return p
		}, CheckBagIt},
		{"missing tag file", func(t *testing.T, dir string, m *Manifest) string {
			os.Remove(filepath.Join(dir, ReadmeFile))
			return ReadmeFile
		}, CheckTagManifest},
		{"extra payload file", func(t *testing.T, dir string, m *Manifest) string {
			vtWrite(t, filepath.Join(dir, "data/vms/web/evil.vmdk"), []byte("x"))
			return "data/vms/web/evil.vmdk"
		}, CheckBagIt},
		{"extra root file", func(t *testing.T, dir string, m *Manifest) string {
			vtWrite(t, filepath.Join(dir, "run-me.sh"), []byte("x"))
			return "run-me.sh"
		}, CheckProfile}, // RFC 8493 allows unlisted tag files; exitkit's profile does not
		{"extra file in another folder", func(t *testing.T, dir string, m *Manifest) string {
			vtWrite(t, filepath.Join(dir, "extra/notes.txt"), []byte("x"))
			return "extra/notes.txt"
		}, CheckProfile},
		{"symlink", func(t *testing.T, dir string, m *Manifest) string {
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "data/vms/db/link")); err != nil {
				t.Fatal(err)
			}
			return "data/vms/db/link"
		}, CheckBagIt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bag := vtBuildBag(t, dir, tbSpec{})
			target := tc.damage(t, dir, bag.Manifest)
			r := vtVerify(t, dir, VerifyOptions{})
			if r.OK {
				t.Fatalf("passed:\n%s", vtText(r))
			}
			named := false
			for _, f := range r.Check(tc.check).Files {
				named = named || f.Path == target
			}
			if !named {
				t.Fatalf("check %s does not name %s:\n%s", tc.check, target, vtText(r))
			}
		})
	}
}

func TestVerifyWrongIdentityFailsPlaintextCheck(t *testing.T) {
	dir := t.TempDir()
	id := vtIdentity(t)
	bag := vtBuildBag(t, dir, tbSpec{Recipients: []age.Recipient{id.Recipient()}})
	r := vtVerify(t, dir, VerifyOptions{Identities: []age.Identity{vtIdentity(t)}})
	c := r.Check(CheckPlaintext)
	if r.OK || c.Status != StatusFail || len(c.Files) != 4 {
		t.Fatalf("wrong identity: \n%s", vtText(r))
	}
	if !strings.Contains(vtText(r), "wrong key") {
		t.Errorf("report does not suggest a wrong key:\n%s", vtText(r))
	}
	if r.Check(CheckPayload).Status != StatusPass {
		t.Errorf("stored hashes should still pass with a wrong key")
	}
	_ = bag
}

func TestVerifyOVFAgainstItsFiles(t *testing.T) {
	t.Run("descriptor states a wrong size", func(t *testing.T) {
		dir := t.TempDir()
		bag := vtBuildBag(t, dir, tbSpec{})
		// Rewrite the descriptor, its .mf line and every manifest, then
		// re-sign: a consistently signed bag whose OVF lies.
		ovfPath := filepath.Join(dir, "data/vms/db/db.ovf")
		data, _ := os.ReadFile(ovfPath)
		data = bytes.Replace(data, []byte(`ovf:size="`), []byte(`ovf:size="9`), 1)
		vtWrite(t, ovfPath, data)
		vtFixVM(t, dir, bag, "db")
		r := vtVerify(t, dir, VerifyOptions{})
		if c := r.Check(CheckOVF); c.Status != StatusFail || len(c.Files) == 0 || c.Files[0].Path != "data/vms/db/db.ovf" {
			t.Fatalf("wrong ovf:size not found:\n%s", vtText(r))
		}
	})
	t.Run("mf lists a wrong hash", func(t *testing.T) {
		dir := t.TempDir()
		bag := vtBuildBag(t, dir, tbSpec{})
		mfPath := filepath.Join(dir, "data/vms/web/web.mf")
		data, _ := os.ReadFile(mfPath)
		lines := strings.Split(string(data), "\n")
		last := "0"
		if strings.HasSuffix(lines[1], "0") {
			last = "1"
		}
		lines[1] = lines[1][:len(lines[1])-1] + last
		vtWrite(t, mfPath, []byte(strings.Join(lines, "\n")))
		vtFixVM(t, dir, bag, "web")
		r := vtVerify(t, dir, VerifyOptions{})
		if c := r.Check(CheckOVF); c.Status != StatusFail {
			t.Fatalf("wrong .mf hash not found:\n%s", vtText(r))
		}
	})
}

// vtFixVM refreshes the exit manifest's record of a VM's .ovf and .mf after
// a test edited them, and re-signs, so only the inconsistency under test
// remains.
func vtFixVM(t *testing.T, dir string, bag *tbResult, vm string) {
	t.Helper()
	for i := range bag.Manifest.VMs {
		v := &bag.Manifest.VMs[i]
		if v.Name != vm {
			continue
		}
		for j := range v.Files {
			f := &v.Files[j]
			if f.Role == RoleDescriptor || f.Role == RoleManifest {
				data, _ := os.ReadFile(filepath.Join(dir, f.Path))
				f.Size, f.StoredSize = int64(len(data)), int64(len(data))
				f.SHA256, f.StoredSHA256 = vtSHA(data), vtSHA(data)
			}
		}
	}
	vtWriteTags(t, dir, bag.Manifest, tbSpec{Signer: bag.Signer})
}

func TestVerifyTarFaults(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	tarPath := filepath.Join(dir, "bag.tar")
	vtTar(t, bag.Dir, tarPath, "")
	data, _ := os.ReadFile(tarPath)

	t.Run("truncated tar is unreadable input", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cut.tar")
		vtWrite(t, p, data[:len(data)/2])
		if _, err := Verify(context.Background(), p, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("err = %v, want a truncation error", err)
		}
	})
	t.Run("damaged member is named", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.tar")
		d := bytes.Clone(data)
		d[600] ^= 1 // inside the first member's data
		vtWrite(t, p, d)
		r := vtVerify(t, p, VerifyOptions{})
		if r.OK || r.Check(CheckPayload).Status != StatusFail {
			t.Fatalf("damaged tar passed:\n%s", vtText(r))
		}
	})
	t.Run("not a tar", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.tar")
		vtWrite(t, p, bytes.Repeat([]byte("not a tar file "), 100))
		if _, err := Verify(context.Background(), p, VerifyOptions{}); err == nil {
			t.Fatal("garbage accepted as a tar")
		}
	})
}

func TestReportJSONRoundTrips(t *testing.T) {
	dir := t.TempDir()
	vtBuildBag(t, dir, tbSpec{})
	os.Remove(filepath.Join(dir, ReadmeFile))
	r := vtVerify(t, dir, VerifyOptions{})
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.OK || back.Check(CheckTagManifest).Status != StatusFail || back.Check(CheckTagManifest).Files[0].Path != ReadmeFile {
		t.Fatalf("JSON lost the finding: %s", b.String())
	}
}

func TestVerifyMissingPathIsAnError(t *testing.T) {
	if _, err := Verify(context.Background(), filepath.Join(t.TempDir(), "nope"), VerifyOptions{}); err == nil {
		t.Fatal("no error for a missing bundle")
	}
}

func TestVerifyTarRejectsLinksAndUnsafeNames(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	p := filepath.Join(dir, "bag.tar")
	vtTar(t, bag.Dir, p, "")
	// Append hostile members after the good ones: strip the two zero
	// blocks that end the archive, then write more.
	data, _ := os.ReadFile(p)
	data = bytes.TrimRight(data, "\x00")
	data = data[:(len(data)+511)/512*512]
	var extra bytes.Buffer
	tw := tar.NewWriter(&extra)
	tw.WriteHeader(&tar.Header{Name: "data/vms/web/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"})
	tw.WriteHeader(&tar.Header{Name: "data/vms/db/hard", Typeflag: tar.TypeLink, Linkname: "bagit.txt"})
	tw.WriteHeader(&tar.Header{Name: "../escape.txt", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644})
	tw.Write([]byte("x"))
	tw.WriteHeader(&tar.Header{Name: BagItFile, Typeflag: tar.TypeReg, Size: 1, Mode: 0o644})
	tw.Write([]byte("x"))
	tw.Close()
	vtWrite(t, p, append(data, extra.Bytes()...))

	r := vtVerify(t, p, VerifyOptions{})
	for _, want := range []string{"data/vms/web/link", "data/vms/db/hard", "../escape.txt", BagItFile} {
		named := false
		for _, f := range r.Check(CheckBagIt).Files {
			named = named || f.Path == want
		}
		if !named {
			t.Errorf("bagit check does not name %s:\n%s", want, vtText(r))
		}
	}
}

func TestVerifyStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	vtBuildBag(t, dir, tbSpec{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Verify(ctx, dir, VerifyOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestVerifyIgnoresFilesABrowsingOSLeavesBehind(t *testing.T) {
	dir := t.TempDir()
	vtBuildBag(t, dir, tbSpec{})
	litter := []string{".DS_Store", "data/vms/web/._web-disk-1.vmdk", "data/Thumbs.db"}
	for _, p := range litter {
		vtWrite(t, filepath.Join(dir, p), []byte("junk"))
	}
	r := vtVerify(t, dir, VerifyOptions{})
	if !r.OK {
		t.Fatalf("OS litter failed the bundle:\n%s", vtText(r))
	}
	text := vtText(r)
	for _, p := range litter {
		if !strings.Contains(text, "note: "+p) {
			t.Errorf("report does not note %s:\n%s", p, text)
		}
	}
}

func TestVerifyReadsATarFromStdin(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{Compress: true})
	p := filepath.Join(dir, "bag.tar")
	vtTar(t, bag.Dir, p, "bag/")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Verify(context.Background(), "-", VerifyOptions{Stdin: f})
	if err != nil || !r.OK {
		t.Fatalf("err = %v\n%s", err, vtText(r))
	}
	if _, err := Verify(context.Background(), "-", VerifyOptions{}); err == nil {
		t.Fatal("no error for - without Stdin")
	}
}
