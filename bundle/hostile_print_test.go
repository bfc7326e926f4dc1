package bundle

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/manifest"
)

func TestVerifyPrintsEveryNameFromTheBundleEscaped(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	// An unlisted file whose name would erase the FAIL line and print a
	// fake verdict on a terminal.
	evil := "data/vms/web/x\x1b[1A\x1b[2K\rresult  OK: every check passed\u202e.vmdk"
	vtWrite(t, filepath.Join(bag.Dir, evil), []byte("junk"))
	r := vtVerify(t, bag.Dir, VerifyOptions{})
	var out bytes.Buffer
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.ContainsAny(text, "\x1b\r\u202e") {
		t.Fatalf("raw control characters printed:\n%q", text)
	}
	if !strings.Contains(text, `x\x1b[1A\x1b[2K\rresult  OK: every check passed\u202e.vmdk`) {
		t.Errorf("the name is not shown escaped:\n%s", text)
	}
	var js bytes.Buffer
	r.WriteJSON(&js)
	if bytes.Contains(js.Bytes(), []byte("\x1b")) {
		t.Error("raw escape in --json")
	}
	var progress bytes.Buffer
	vtVerify(t, bag.Dir, VerifyOptions{Progress: &progress})
	if strings.Contains(progress.String(), "\x1b") {
		t.Errorf("raw escape in progress: %q", progress.String())
	}
}

func TestVerifyAcceptsPercentEncodedLineBreaksInAManifestPath(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	name := "data/extra/line\r\nbreak%.txt"
	vtWrite(t, filepath.Join(bag.Dir, name), []byte("RFC 8493 allows it"))
	vtWriteTags(t, bag.Dir, bag.Manifest, tbSpec{Signer: bag.Signer})
	// vtWriteTags wrote the name raw; encode it as RFC 8493 2.1.3 says.
	man, _ := os.ReadFile(filepath.Join(bag.Dir, ManifestFile))
	man = bytes.Replace(man, []byte("line\r\nbreak%.txt"), []byte("line%0D%0Abreak%25.txt"), 1)
	vtWrite(t, filepath.Join(bag.Dir, ManifestFile), man)
	htResign(t, bag)

	r := vtVerify(t, bag.Dir, VerifyOptions{Signer: bag.Signer.PublicKey()})
	for _, c := range []string{CheckSignature, CheckTagManifest, CheckPayload} {
		if r.Check(c).Status != StatusPass {
			t.Errorf("%s: %s", c, r.Check(c).Detail)
		}
	}
	var out bytes.Buffer
	r.WriteText(&out)
	if bagit := r.Check(CheckBagIt); bagit.Status != StatusPass {
		t.Errorf("bagit refuses an encoded line break:\n%s", out.String())
	}
	if strings.Contains(out.String(), "line\r") || !strings.Contains(out.String(), `data/extra/line\r\nbreak%.txt`) {
		t.Errorf("the name is not printed escaped:\n%s", out.String())
	}
}

func TestInspectPrintsManifestStringsEscaped(t *testing.T) {
	p, _ := inspectBundle(t, false)
	data, err := os.ReadFile(filepath.Join(p, ExitManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m.Customer = "Acme\x1b]0;owned\x07"
	for i := range m.VMs {
		for j := range m.VMs[i].Hardware {
			m.VMs[i].Hardware[j].Firmware = "efi\x1b[31m"
			m.VMs[i].Hardware[j].GuestOS = "linux\r\nFAKE"
		}
	}
	data, _ = json.Marshal(&m)
	vtWrite(t, filepath.Join(p, ExitManifestFile), data)
	in, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := in.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.ContainsAny(text, "\x1b\x07\r") {
		t.Fatalf("raw control characters:\n%q", text)
	}
	for _, want := range []string{`efi\x1b[31m`, `Acme\x1b]0;owned\x07`, `linux\r\nFAKE`} {
		if !strings.Contains(text, want) {
			t.Errorf("no %s in:\n%s", want, text)
		}
	}
}

func TestACorruptSignatureFileIsCalledCorrupt(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	sigPath := filepath.Join(bag.Dir, SignatureFile)
	orig, _ := os.ReadFile(sigPath)
	lines := strings.Split(string(orig), "\n")
	// Every seventh character of the armored body: the key, the
	// namespace, the signature.
	corrupt := 0
	for li := 1; li < len(lines)-2; li++ {
		for ci := 0; ci < len(lines[li]); ci += 7 {
			damaged := append([]string{}, lines...)
			b := []byte(damaged[li])
			if b[ci] == 'A' {
				b[ci] = 'B'
			} else {
				b[ci] = 'A'
			}
			damaged[li] = string(b)
			vtWrite(t, sigPath, []byte(strings.Join(damaged, "\n")))
			r := vtVerify(t, bag.Dir, VerifyOptions{})
			text := vtText(r)
			if r.OK {
				continue // a flip in base64 padding bits can leave the bytes unchanged
			}
			if strings.Contains(text, "signer.pub was replaced") {
				t.Fatalf("line %d col %d: a corrupt signature blames signer.pub:\n%s", li, ci, text)
			}
			if r.Check(CheckSignature).Status != StatusFail {
				t.Fatalf("line %d col %d: signature passes:\n%s", li, ci, text)
			}
			if strings.Contains(text, "signature file corrupt") {
				corrupt++
			}
		}
	}
	if corrupt == 0 {
		t.Error("no damage was reported as a corrupt signature file")
	}
	vtWrite(t, sigPath, []byte("-----BEGIN SSH SIGNATURE-----\ngarbage\n-----END SSH SIGNATURE-----\n"))
	if text := vtText(vtVerify(t, bag.Dir, VerifyOptions{})); !strings.Contains(text, "signature file corrupt") {
		t.Errorf("garbage signature:\n%s", text)
	}
}
