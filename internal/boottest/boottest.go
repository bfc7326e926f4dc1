// Package boottest builds, for tests only, a tiny Linux disk that boots
// under both SeaBIOS and OVMF and prints a per-run nonce, the way
// boot-notes.md measured it: Debian's cloud kernel and a static busybox
// initramfs on an MBR disk with one FAT partition, SYSLINUX for BIOS and
// syslinux.efi as \EFI\BOOT\BOOTX64.EFI for UEFI. Nothing is mounted and
// nothing is installed: the two .debs are unpacked with dpkg-deb.
//
// Call Linux(t). The packages come from the folder EXITKIT_BOOT_DEBS
// names (filled by `apt-get download linux-image-cloud-amd64
// linux-image-<version>-cloud-amd64 busybox-static`, as .ci/run does);
// without it the test skips, and under EXITKIT_REQUIRE_INTEROP=1 it fails.
package boottest

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/interop"
)

// DebsEnv names the folder holding the kernel and busybox packages.
const DebsEnv = "EXITKIT_BOOT_DEBS"

// DiskSize is the size of the raw disk Linux writes.
const DiskSize = 64 << 20

const partStart = 1 << 20

// Guest is a built disk.
type Guest struct {
	Path  string // raw disk image, DiskSize bytes
	Nonce string // printed by /init, nowhere else on the disk's console
}

// Marker is the line /init prints under firmware fw ("bios" or "uefi").
func (g *Guest) Marker(fw string) string {
	return "exitkit boottest " + g.Nonce + " running firmware=" + fw
}

// Expect matches the marker under either firmware.
func (g *Guest) Expect() *regexp.Regexp {
	return regexp.MustCompile(`exitkit boottest ` + g.Nonce + ` running firmware=(bios|uefi)`)
}

// Linux builds the disk in a temporary folder of t.
func Linux(t testing.TB) *Guest {
	t.Helper()
	debs := os.Getenv(DebsEnv)
	if debs == "" {
		interop.Skip(t, DebsEnv+" is not set: set it to a folder holding the linux-image-*-cloud-amd64 and busybox-static .debs (apt-get download linux-image-cloud-amd64 linux-image-$(uname -r) busybox-static, or see .ci/run) to run the Linux boot tests")
	}
	tools := interop.Require(t, "dpkg-deb", "sfdisk", "mkfs.vfat", "mcopy", "mmd", "syslinux")
	mbrBin := interop.RequireFile(t, "syslinux-common", "/usr/lib/syslinux/mbr/mbr.bin")
	efiLoader := interop.RequireFile(t, "syslinux-efi", "/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi")
	ldlinuxE64 := interop.RequireFile(t, "syslinux-efi", "/usr/lib/syslinux/modules/efi64/ldlinux.e64")
	dpkgDeb, sfdisk, mkfs, mcopy, mmd, syslinux := tools[0], tools[1], tools[2], tools[3], tools[4], tools[5]

	work := t.TempDir()
	kernel := findInDebs(t, dpkgDeb, debs, "linux-image-*.deb", "boot/vmlinuz-*", work)
	busybox := findInDebs(t, dpkgDeb, debs, "busybox-static*.deb", "bin/busybox", work)

	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		t.Fatal(err)
	}
	g := &Guest{Nonce: hex.EncodeToString(nb[:])}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	initrd, err := Initramfs(bb, initScript(g.Nonce))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	initrdPath := write("initrd.gz", initrd)
	cfg := write("syslinux.cfg", []byte(syslinuxCfg))

	part := filepath.Join(work, "part.img")
	run(t, mkfs, "-n", "EXITKIT", "-C", part, fmt.Sprint((DiskSize-partStart)/1024))
	for _, c := range [][]string{
		{mmd, "-i", part, "::/EFI", "::/EFI/BOOT"},
		{mcopy, "-i", part, kernel, "::/vmlinuz"},
		{mcopy, "-i", part, initrdPath, "::/initrd.gz"},
		{mcopy, "-i", part, cfg, "::/syslinux.cfg"},
		{mcopy, "-i", part, efiLoader, "::/EFI/BOOT/BOOTX64.EFI"},
		{mcopy, "-i", part, ldlinuxE64, "::/EFI/BOOT/LDLINUX.E64"},
		{mcopy, "-i", part, cfg, "::/EFI/BOOT/syslinux.cfg"},
		{syslinux, "--install", part}, // writes ldlinux.sys and the partition's boot sector through mtools
	} {
		run(t, c[0], c[1:]...)
	}

	g.Path = filepath.Join(work, "linux.img")
	disk, err := os.Create(g.Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := disk.Truncate(DiskSize); err != nil {
		t.Fatal(err)
	}
	disk.Close()
	// One active FAT16 (LBA) partition at 1 MiB.
	cmd := exec.Command(sfdisk, "--no-reread", "--no-tell-kernel", "-q", g.Path)
	cmd.Stdin = strings.NewReader("label: dos\nstart=2048, type=c, bootable\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	disk, err = os.OpenFile(g.Path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	pf, err := os.Open(part)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if _, err := io.Copy(io.NewOffsetWriter(disk, partStart), pf); err != nil {
		t.Fatal(err)
	}
	mbr, err := os.ReadFile(mbrBin)
	if err != nil {
		t.Fatal(err)
	}
	if len(mbr) > 440 {
		mbr = mbr[:440]
	}
	if _, err := disk.WriteAt(mbr, 0); err != nil { // boot code only: the partition table stays
		t.Fatal(err)
	}
	if err := disk.Close(); err != nil {
		t.Fatal(err)
	}
	return g
}

// The kernel prints on the serial console; panic=-1 reboots at once on a
// panic, which -no-reboot turns into QEMU exiting.
const syslinuxCfg = `DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0 panic=-1
`

// initScript is /init: it prints the marker with the nonce and the
// firmware (/sys/firmware/efi exists only under UEFI), then powers off.
// The nonce is nowhere on the kernel command line, so only /init running
// can print it.
func initScript(nonce string) string {
	return `#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
fw=bios
[ -d /sys/firmware/efi ] && fw=uefi
echo "exitkit boottest ` + nonce + ` running firmware=$fw"
/bin/busybox poweroff -f
`
}

// findInDebs unpacks each package matching pattern and returns the first
// file matching inside.
func findInDebs(t testing.TB, dpkgDeb, dir, pattern, inside, work string) string {
	t.Helper()
	debs, _ := filepath.Glob(filepath.Join(dir, pattern))
	for i, deb := range debs {
		x := filepath.Join(work, fmt.Sprintf("x-%s-%d", strings.Split(pattern, "*")[0], i))
		run(t, dpkgDeb, "-x", deb, x)
		if m, _ := filepath.Glob(filepath.Join(x, inside)); len(m) > 0 {
			return m[0]
		}
	}
	interop.Skip(t, fmt.Sprintf("%s: no package %s holding %s; download it with apt-get download (the linux-image-cloud-amd64 metapackage only depends on the real kernel package)", dir, pattern, inside))
	return ""
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// Initramfs returns a gzipped cpio (newc) archive with busybox as
// /bin/busybox and /bin/sh, the script as /init, and the device nodes the
// kernel and /init need, made without root (cpio(1) would need it for the
// nodes).
func Initramfs(busybox []byte, init string) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := &cpioWriter{w: zw, ino: 1}
	for _, e := range []cpioEntry{
		{name: "bin", mode: 0o040755},
		{name: "dev", mode: 0o040755},
		{name: "proc", mode: 0o040755},
		{name: "sys", mode: 0o040755},
		{name: "dev/console", mode: 0o020600, rdevMajor: 5, rdevMinor: 1},
		{name: "dev/ttyS0", mode: 0o020600, rdevMajor: 4, rdevMinor: 64},
		{name: "dev/null", mode: 0o020666, rdevMajor: 1, rdevMinor: 3},
		{name: "bin/busybox", mode: 0o100755, data: busybox},
		{name: "bin/sh", mode: 0o120777, data: []byte("busybox")},
		{name: "init", mode: 0o100755, data: []byte(init)},
		{name: "TRAILER!!!"},
	} {
		if err := w.write(e); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type cpioEntry struct {
	name                 string
	mode                 uint32
	rdevMajor, rdevMinor uint32
	data                 []byte
}

type cpioWriter struct {
	w   io.Writer
	ino uint32
}

// write emits one newc header ("070701", thirteen 8-digit hex fields),
// the NUL-terminated name and the data, each padded to 4 bytes.
func (c *cpioWriter) write(e cpioEntry) error {
	nlink := uint32(1)
	if e.mode&0o170000 == 0o040000 {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, e.mode, 0, 0, nlink, 0, len(e.data), 0, 0, e.rdevMajor, e.rdevMinor, len(e.name)+1, 0)
	c.ino++
	var b bytes.Buffer
	b.WriteString(hdr)
	b.WriteString(e.name)
	b.WriteByte(0)
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	b.Write(e.data)
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	_, err := c.w.Write(b.Bytes())
	return err
}
