package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// inspBundle makes a small bundle the way a provider does: keygen, then
// create from an OVF folder holding a real streamOptimized VMDK.
func inspBundle(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	src := filepath.Join(work, "exports", "db")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	var disk bytes.Buffer
	raw := bytes.Repeat([]byte("exitkit!"), 1<<16)
	if err := vmdk.WriteStreamOptimized(&disk, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "db-disk1.vmdk"), disk.Bytes(), 0o644)
	desc := fmt.Sprintf(`<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
<References><File ovf:id="file1" ovf:href="db-disk1.vmdk" ovf:size="%d"/></References>
<DiskSection><Info>d</Info><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="512" ovf:capacityAllocationUnits="byte * 2^10"/></DiskSection>
<VirtualSystem ovf:id="db"><Info>vm</Info><Name>db</Name>
<OperatingSystemSection ovf:id="80" vmw:osType="rhel9_64Guest"><Info>os</Info><Description>Red Hat Enterprise Linux 9</Description></OperatingSystemSection>
<VirtualHardwareSection><Info>hw</Info>
<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
<Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>16384</rasd:VirtualQuantity></Item>
</VirtualHardwareSection></VirtualSystem></Envelope>`, disk.Len())
	os.WriteFile(filepath.Join(src, "db.ovf"), []byte(desc), 0o644)

	key := filepath.Join(work, "sign")
	if code, _, stderr := runExitbundle(t, "keygen", "--type", "sign", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	out := filepath.Join(work, "bundle")
	if code, _, stderr := runExitbundle(t, "create", "--source", filepath.Join(work, "exports"), "--out", out, "--sign-key", key, "--provider", "Nordcloud", "--customer", "Acme"); code != 0 {
		t.Fatalf("create: %s", stderr)
	}
	return out
}

func TestInspectPrintsTheBundleAndItsVMs(t *testing.T) {
	dir := inspBundle(t)
	code, stdout, stderr := runExitbundle(t, "inspect", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"finished: signature present", "Nordcloud", "Acme", "SHA256:", "none: the payload is readable",
		"db", "Red Hat Enterprise Linux 9 (rhel9_64Guest)", "16.0 GiB", "bios", "512.0 KiB"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = runExitbundle(t, "inspect", dir, "--json")
	var in bundle.Inspection
	if code != 0 || json.Unmarshal([]byte(stdout), &in) != nil || !in.Complete || len(in.Manifest.VMs) != 1 {
		t.Errorf("--json: exit %d, %+v\n%s", code, in, stdout)
	}

	os.Remove(filepath.Join(dir, bundle.SignatureFile))
	code, stdout, _ = runExitbundle(t, "inspect", dir)
	if code != cli.ExitFailed || !strings.Contains(stdout, "UNFINISHED") {
		t.Errorf("an unsigned bundle: exit %d\n%s", code, stdout)
	}
}

func TestInspectRefusesANonBundleWithExit2(t *testing.T) {
	code, _, stderr := runExitbundle(t, "inspect", t.TempDir())
	if code != cli.ExitUsage || !strings.Contains(stderr, "not an exit bundle") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if code, _, _ := runExitbundle(t, "inspect"); code != cli.ExitUsage {
		t.Errorf("no argument: exit %d", code)
	}
}
