package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// runExitbundle runs exitbundle with args and returns the exit code, stdout and
// stderr.
func runExitbundle(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	code := cli.Run(root, args, &stderr)
	return code, stdout.String(), stderr.String()
}

// vfBundle makes a bundle through the commands a provider runs: keygen
// twice, then create from an OVF folder with a real streamOptimized VMDK.
func vfBundle(t *testing.T) (dir, signPub, ageKey string) {
	t.Helper()
	work := t.TempDir()
	writeOVFSource(t, filepath.Join(work, "src", "vm1"))
	sign := filepath.Join(work, "sign")
	ageKey = filepath.Join(work, "customer.agekey")
	for _, args := range [][]string{{"keygen", "--type", "sign", "--out", sign}, {"keygen", "--type", "age", "--out", ageKey}} {
		if code, _, stderr := runExitbundle(t, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	keyText, _ := os.ReadFile(ageKey)
	recipient := ""
	for _, line := range strings.Split(string(keyText), "\n") {
		if r, ok := strings.CutPrefix(line, "# public key: "); ok {
			recipient = r
		}
	}
	dir = filepath.Join(work, "bundle")
	if code, _, stderr := runExitbundle(t, "create", "--source", filepath.Join(work, "src"), "--out", dir, "--sign-key", sign, "--recipient", recipient); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	return dir, sign + ".pub", ageKey
}

func TestVerifyAndOpenCommandsExitCodes(t *testing.T) {
	dir, signPub, ageKey := vfBundle(t)

	code, out, stderr := runExitbundle(t, "verify", dir, "--signer", signPub, "--identity", ageKey)
	if code != cli.ExitOK || !strings.Contains(out, "PASS  plaintext") {
		t.Fatalf("good bundle: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runExitbundle(t, "verify", dir)
	if code != cli.ExitOK || !strings.Contains(out, "NOT pinned") {
		t.Fatalf("unpinned: exit %d, want 0 and a warning\n%s", code, out)
	}
	code, out, _ = runExitbundle(t, "verify", dir, "--json")
	var report struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &report); code != 0 || err != nil || !report.OK || len(report.Checks) != 9 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}

	// Usage and unreadable input: 2.
	for _, args := range [][]string{
		{"verify"},
		{"verify", filepath.Join(dir, "missing")},
		{"verify", dir, "--allowed-signers", signPub},
		{"verify", dir, "--signer", "not a key"},
		{"verify", dir, "--identity", signPub},
		{"verify", dir, "--max-work-factor", "31"},
		{"open", dir, "--max-work-factor", "0", "--out", t.TempDir() + "/wf"},
		{"open", dir},
		{"open", dir, "--out", t.TempDir() + "/o"}, // encrypted, no identity
	} {
		if code, _, stderr := runExitbundle(t, args...); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}

	// Open, then open again into the same place: never overwritten.
	outDir := filepath.Join(t.TempDir(), "restored")
	if code, _, stderr := runExitbundle(t, "open", dir, "--identity", ageKey, "--out", outDir, "--signer", signPub); code != 0 {
		t.Fatalf("open: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(outDir, "vm1", "vm1.ovf")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runExitbundle(t, "open", dir, "--identity", ageKey, "--out", outDir); code != cli.ExitUsage || !strings.Contains(stderr, "already exists") {
		t.Errorf("open over existing output: exit %d\n%s", code, stderr)
	}

	// A failed check: 1.
	os.Remove(filepath.Join(dir, "tagmanifest-sha256.txt.sig"))
	code, out, stderr = runExitbundle(t, "verify", dir)
	if code != cli.ExitFailed || !strings.Contains(stderr, "run the same create command again") {
		t.Fatalf("unsigned: exit %d, want 1 and how to resume\n%s%s", code, out, stderr)
	}
	if code, _, stderr := runExitbundle(t, "open", dir, "--identity", ageKey, "--out", filepath.Join(t.TempDir(), "x")); code != cli.ExitFailed {
		t.Errorf("open of an unsigned bundle: exit %d, want 1\n%s", code, stderr)
	}
}

// writeOVFSource writes one VM, named as the folder src is, into src: an
// OVF descriptor and a real streamOptimized VMDK of 4 MiB.
func writeOVFSource(t *testing.T, src string) {
	t.Helper()
	name := filepath.Base(src)
	os.MkdirAll(src, 0o755)
	raw := make([]byte, 4<<20)
	rand.Read(raw[:1<<20])
	f, err := os.Create(filepath.Join(src, name+"-disk1.vmdk"))
	if err != nil {
		t.Fatal(err)
	}
	if err := vmdk.WriteStreamOptimized(f, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(f.Name())
	desc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:id="file1" ovf:href="%s-disk1.vmdk" ovf:size="%d"/></References>
  <DiskSection><Info>disks</Info><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="4" ovf:capacityAllocationUnits="byte * 2^20"/></DiskSection>
  <VirtualSystem ovf:id="%s"><Info>vm</Info><Name>%s</Name>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:ElementName>cpu</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>11</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`, name, fi.Size(), name, name)
	if err := os.WriteFile(filepath.Join(src, name+".ovf"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
}
