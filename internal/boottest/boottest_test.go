package boottest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/interop"
)

func TestInitramfsListsWithCpioAsTheKernelNeedsIt(t *testing.T) {
	cpio := interop.Require(t, "cpio")[0]
	gz, err := Initramfs([]byte("\x7fELF fake busybox"), initScript("n0nce"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cpio, "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	for _, want := range []string{"crw-------", "dev/console", "dev/ttyS0", "-rwxr-xr-x", "bin/busybox", "bin/sh -> busybox", " init"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("cpio -tv lacks %q:\n%s", want, out)
		}
	}
}

func TestLinuxDiskHasOneActiveFATPartitionAndBothLoaders(t *testing.T) {
	g := Linux(t)
	mdir := interop.Require(t, "mdir", "sfdisk")
	out, err := exec.Command(mdir[1], "-d", g.Path).CombinedOutput()
	if err != nil {
		t.Fatalf("sfdisk -d: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "start=        2048") || !strings.Contains(string(out), "type=c, bootable") {
		t.Errorf("sfdisk -d:\n%s", out)
	}
	out, err = exec.Command(mdir[0], "-i", g.Path+"@@1M", "-a", "-/", "::/").CombinedOutput()
	if err != nil {
		t.Fatalf("mdir: %v\n%s", err, out)
	}
	for _, want := range []string{"vmlinuz", "initrd", "ldlinux  sys", "BOOTX64  EFI", "LDLINUX  E64"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("mdir -/ lacks %q:\n%s", want, out)
		}
	}
}
