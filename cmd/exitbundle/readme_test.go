package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle/index"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/boottest"
	"github.com/exitkit/exitkit/internal/interop"
	"github.com/exitkit/exitkit/internal/qemu"
	"github.com/exitkit/exitkit/internal/vcsimx"
	"github.com/exitkit/exitkit/internal/vmdk"
)

// printedLine is one command of a bundle's README.txt, with the VM whose
// section printed it ("" for the bundle-wide steps).
type printedLine struct {
	vm, text string
}

// printedCommands returns every command README.txt prints: the lines of
// its indented blocks, in order.
func printedCommands(readme string) []printedLine {
	var out []printedLine
	vm := ""
	for _, l := range strings.Split(readme, "\n") {
		if name, ok := strings.CutPrefix(l, "### "); ok {
			vm = name
			continue
		}
		if strings.HasPrefix(l, "## ") {
			vm = ""
			continue
		}
		if c, ok := strings.CutPrefix(l, "    "); ok && c != "" && c[0] != ' ' {
			out = append(out, printedLine{vm, c})
		}
	}
	return out
}

// onlyInTheTable are the commands whose tools cannot run here; their lines
// are checked against testdata/printed-tools.txt by
// bundle/index.TestEveryPrintedCommandOfAnAbsentToolUsesOnlyDocumentedOptions.
var onlyInTheTable = []string{"ovftool", "VBoxManage", "virt-v2v", "qm", "New-VM", "Add-VMHardDiskDrive", "Set-VMFirmware", "aws", "az", "SAS=$(az", "azcopy"}

// govcLines are run when govc can be built (see buildGovc).
var govcLines = []string{"export GOVC_URL=", "govc "}

// TestEveryCommandTheBundlesREADMEPrintsRunsHereAsPrinted makes a signed,
// age-encrypted, zstd-compressed bundle of a BIOS and a UEFI VM through
// the commands a provider runs, then runs every line its README.txt
// prints for a tool installed here, exactly as printed, from the bundle's
// folder. The only substitutions are the README's own placeholders:
// key.txt (the age identity), the OUT folder and TMPDIR. With the Linux
// boot guest (EXITKIT_BOOT_DEBS), the qcow2 (KVM), vhdx (Hyper-V) and
// fixed vpc (Azure) images those lines wrote are then booted under each
// VM's firmware until the guest prints its nonce.
func TestEveryCommandTheBundlesREADMEPrintsRunsHereAsPrinted(t *testing.T) {
	tools := interop.Require(t, "bash", "ssh-keygen", "sha256sum", "shasum", "age", "zstd", "qemu-img", "tar")
	bash := tools[0]
	work := t.TempDir()
	sign, agekey, recipient := drillKeys(t, work)

	// The Linux boot guest when its packages are here; otherwise a disk of
	// random bytes, which exercises every command but boots nothing.
	var guest *boottest.Guest
	var disk interface {
		ReadAt([]byte, int64) (int, error)
	}
	capacity := int64(boottest.DiskSize)
	if os.Getenv(boottest.DebsEnv) != "" {
		guest = boottest.Linux(t)
		f, err := os.Open(guest.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		disk = f
	} else {
		raw := make([]byte, 4<<20)
		rand.Read(raw[:1<<20])
		disk, capacity = bytes.NewReader(raw), int64(len(raw))
	}
	src := filepath.Join(work, "exports")
	for _, vm := range []boottest.VM{
		{Name: "linux-bios", Firmware: "bios", Controller: "VirtualSCSI", MemoryMiB: 256, Disk: disk, Capacity: capacity},
		// LSI Logic, not SATA: the simulator's CreateImportSpec, which the
		// govc lines call, knows no SATA controller (ResourceType 20).
		{Name: "linux-efi", Firmware: "efi", Controller: "lsilogic", MemoryMiB: 256, Disk: disk, Capacity: capacity},
	} {
		if err := boottest.WriteOVF(src, vm); err != nil {
			t.Fatal(err)
		}
	}
	b := filepath.Join(work, "bundle")
	if code, _, stderr := runExitbundle(t, "create", "--source", src, "--out", b, "--sign-key", sign, "--recipient", recipient,
		"--compress", "zstd", "--customer", "ACME AG", "--provider", "Nimbus Cloud B.V."); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	readme, err := os.ReadFile(filepath.Join(b, "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, b)

	out := filepath.Join(work, "restored")
	tmp := filepath.Join(work, "tmp")
	os.Mkdir(tmp, 0o700)
	_, virtErr := exec.LookPath("virt-install")
	govc := buildGovc(t)
	var lab *govcTarget
	if govc != "" {
		lab = startGovcTarget(t)
	}

	run := func(line printedLine, cmdline string) string {
		t.Helper()
		cmd := exec.Command(bash, "-e", "-o", "pipefail", "-c", cmdline)
		cmd.Dir = b
		cmd.Env = append(os.Environ(), "OUT="+out, "TMPDIR="+tmp)
		if govc != "" {
			cmd.Env = append(cmd.Env, "PATH="+filepath.Dir(govc)+string(os.PathListSeparator)+os.Getenv("PATH"))
			cmd.Env = append(cmd.Env, lab.env...)
		}
		msg, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README.txt line fails (VM %q): %s\n%v\n%s", line.vm, line.text, err, msg)
		}
		return string(msg)
	}

	var ran, tableOnly, skipped []string
	sawGood, sawFingerprint := false, false
	for _, line := range printedCommands(string(readme)) {
		l := line.text
		switch {
		case hasAnyPrefix(l, onlyInTheTable...):
			tableOnly = append(tableOnly, l)
			continue
		case hasAnyPrefix(l, govcLines...):
			if govc == "" {
				skipped = append(skipped, l)
				continue
			}
			l = placeholders(l, map[string]string{"VCENTER": lab.url, "USER": lab.user, "DATASTORE": "LocalDS_0", "POOL": "/DC0/host/DC0_C0/Resources", "NETWORK": "DC0_DVPG0"})
			if strings.HasPrefix(l, "export ") {
				// An export only lasts its shell: its variables go into the
				// environment of the govc lines that follow.
				lab.env = append(lab.env, strings.Fields(strings.TrimPrefix(l, "export "))...)
				ran = append(ran, line.text)
				continue
			}
		case strings.HasPrefix(l, "virt-install "):
			if virtErr != nil {
				interop.Require(t, "virt-install")
				skipped = append(skipped, l)
				continue
			}
			l += " --connect test:///default --dry-run" // libvirt's test driver: checks the options, defines nothing
		case strings.HasPrefix(l, "OUT="):
			l = "OUT=" + out // the placeholder folder
		case hasAnyPrefix(l, "head ", "ssh-keygen ", "echo ", "sha256sum ", "mkdir ", "cp ", "age ", "zstd ", "(cd ", "qemu-img ", "tar "):
			l = strings.ReplaceAll(l, "key.txt", agekey)
		default:
			t.Errorf("README.txt prints a command this test neither runs nor checks against the table: %s", l)
			continue
		}
		msg := run(line, l)
		ran = append(ran, line.text)
		sawGood = sawGood || strings.Contains(msg, `Good "exitbundle" signature for `+index.SignerIdentity)
		sawFingerprint = sawFingerprint || strings.HasPrefix(line.text, "ssh-keygen -l") && strings.Contains(msg, fingerprintOf(t, sign+".pub"))
	}
	if !sawGood || !sawFingerprint {
		t.Errorf("ssh-keygen did not print the signer's fingerprint (%v) or a good signature (%v)", sawFingerprint, sawGood)
	}
	if after := snapshot(t, b); after != before {
		t.Errorf("the README's commands changed the bundle folder, which may be a read-only drive:\nbefore %s\nafter  %s", before, after)
	}
	t.Logf("ran %d printed lines as printed, %d only checked against the table, %d skipped (tool absent):\n%s\n-- skipped:\n%s",
		len(ran), len(tableOnly), len(skipped), strings.Join(ran, "\n"), strings.Join(skipped, "\n"))
	for _, want := range []string{"head -n 1 signer.pub", "age -d", "zstd -d", "sha256sum -c linux-efi.mf", "shasum -a 256 -c", "-O qcow2", "-O vhdx", "-O vpc", "tar -C"} {
		if !strings.Contains(strings.Join(ran, "\n"), want) {
			t.Errorf("no printed line with %q was run", want)
		}
	}
	if lab != nil {
		lab.check(t, govc)
	}

	if guest == nil {
		interop.Skip(t, boottest.DebsEnv+" is not set: the images the README's lines made are not booted")
		return
	}
	interop.Require(t, "qemu-system-x86_64")
	interop.RequireFile(t, "ovmf", qemu.OVMFCandidates()...)
	qt, err := qemu.Find()
	if err != nil {
		t.Fatal(err)
	}
	// Each firmware with each image the README's conversions wrote.
	for _, fw := range []string{"bios", "efi"} {
		vm := "linux-" + fw
		for _, img := range []struct{ file, format string }{
			{vm + "-disk1.qcow2", "qcow2"}, {vm + "-disk1.vhdx", "vhdx"}, {vm + "-disk1.vhd", "vpc"},
		} {
			t.Run(fw+"/"+img.format, func(t *testing.T) {
				p := filepath.Join(out, vm, img.file)
				if _, err := os.Stat(p); err != nil {
					t.Fatalf("the README's lines wrote no %s: %v", img.file, err)
				}
				res, err := qemu.Boot(context.Background(), qt, qemu.Options{
					Name: vm, Firmware: fw, MemoryMiB: 256, Dir: t.TempDir(), Timeout: 2 * time.Minute,
					Disks:  []qemu.Disk{{Path: p, Format: img.format, Controller: "sata"}},
					Expect: guest.Expect(),
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("boot %s %s: %s after %.1fs", fw, img.format, res.Outcome, res.Duration.Seconds())
				marker := guest.Marker(map[string]string{"bios": "bios", "efi": "uefi"}[fw])
				if !res.Passed || !strings.Contains(res.ConsoleTail, marker) {
					t.Fatalf("%s from the README's lines: %s (%s); want %q on the console:\n%s", img.file, res.Outcome, res.Reason, marker, res.ConsoleTail)
				}
			})
		}
	}
}

// placeholders replaces the README's UPPER-CASE words, whole words only
// (GOVC_USERNAME is no USER).
func placeholders(l string, values map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(l, func(w string) string {
		if v, ok := values[w]; ok {
			return v
		}
		return w
	})
}

var placeholderRE = regexp.MustCompile(`\b[A-Z][A-Z_]*\b`)

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// snapshot lists every file of dir with its size and modification time.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + info.Mode().String() + " " + info.ModTime().String())
		if !d.IsDir() {
			b.WriteString(" " + strconv.FormatInt(info.Size(), 10))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func fingerprintOf(t *testing.T, pub string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-l", "-f", pub).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("ssh-keygen -l: %q", out)
	}
	return f[1]
}

// TestTheDemoBundlesIndexStatesItsIdentifierAndTheDeadlinesOfItsTerms
// makes the demo bundle with the shipped clause library's bank module as
// TERMS.html: its index names the bundle identifier that labels the drive
// (bag-info.txt's External-Identifier) and the deadlines the module's
// values set, read from TERMS.html when the bundle was made.
func TestTheDemoBundlesIndexStatesItsIdentifierAndTheDeadlinesOfItsTerms(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	if code, _, stderr := runExitbundle(t, "demo", "--out", out, "--content", "../../content", "--profile", "../../content/profiles/bank.yaml"); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, stderr)
	}
	b := filepath.Join(out, "bundle")
	readme, err := os.ReadFile(filepath.Join(b, "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.ReadFile(filepath.Join(b, "bag-info.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^External-Identifier: (\S+)$`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("bag-info.txt has no External-Identifier:\n%s", info)
	}
	for _, want := range []string{
		"Check that the drive's label shows the bundle identifier " + string(m[1]) + ", as the exit terms require.",
		"Verify the bundle within 10 Working Days after you receive the drive",
		"within 30 days after erasure begins",
		"## Without the decryption key",
	} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("the demo's README.txt lacks %q", want)
		}
	}
}

// TestTheRestartGuideFollowsTheSourceVMsSecureBootState exports two EFI
// VMs from the vCenter simulator, one with Secure Boot on: the OVF carries
// bootOptions.efiSecureBootEnabled as vCenter writes it, and the index
// keeps Secure Boot on for that VM alone (Hyper-V, Azure, Proxmox,
// libvirt), turning it off for the other, whose loader may not be signed
// by Microsoft's UEFI CA.
func TestTheRestartGuideFollowsTheSourceVMsSecureBootState(t *testing.T) {
	work := t.TempDir()
	sign, _, recipient := drillKeys(t, work)
	raw := make([]byte, 1<<20)
	vmdkPath := filepath.Join(work, "disk.vmdk")
	f, err := os.Create(vmdkPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := vmdk.WriteStreamOptimized(f, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	lab, err := vcsimx.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	for _, spec := range []vcsimx.VMSpec{
		{Name: "signed", Folder: "SB", Firmware: "efi", SecureBoot: true, Disks: []vcsimx.Disk{{VMDK: vmdkPath, Capacity: int64(len(raw))}}},
		{Name: "unsigned", Folder: "SB", Firmware: "efi", Disks: []vcsimx.Disk{{VMDK: vmdkPath, Capacity: int64(len(raw))}}},
	} {
		if _, err := lab.AddVM(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(vsphere.PasswordEnv, lab.Password)
	b := filepath.Join(work, "bundle")
	if code, _, stderr := runExitbundle(t, "create", "--source", lab.URL("folder=SB"), "--vsphere-thumbprint", lab.Thumbprint, "--out", b, "--sign-key", sign, "--recipient", recipient); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	readme, err := os.ReadFile(filepath.Join(b, "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, part := range strings.Split(string(readme), "\n### ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		sections[name] = body
	}
	for vm, want := range map[string][]string{
		"signed": {"Set-VMFirmware -VMName 'signed' -EnableSecureBoot On -SecureBootTemplate MicrosoftUEFICertificateAuthority",
			"--security-type TrustedLaunch --enable-secure-boot true", "pre-enrolled-keys=1", "firmware.feature0.enabled=yes", "Secure Boot (on the source)  on"},
		"unsigned": {"Set-VMFirmware -VMName 'unsigned' -EnableSecureBoot Off", "--security-type Standard", "pre-enrolled-keys=0",
			"firmware.feature0.enabled=no", "Secure Boot (on the source)  off"},
	} {
		for _, w := range want {
			if !strings.Contains(sections[vm], w) {
				t.Errorf("%s: README.txt lacks %q", vm, w)
			}
		}
	}
	if !strings.Contains(string(readme), "Exported from: a vSphere inventory (the provider's address is not shown)") || strings.Contains(string(readme), lab.Host) {
		t.Error("the index shows the simulator's address without --show-origin")
	}
}
