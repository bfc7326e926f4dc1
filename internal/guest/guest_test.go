package guest

import (
	"bytes"
	"debug/pe"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/internal/interop"
)

// writeImage writes im to a file for the stock tools.
func writeImage(t *testing.T, im *Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, io.NewSectionReader(im, 0, im.Size())); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestEFIDiskReadsBackWithSfdiskMtoolsAndFsck(t *testing.T) {
	tools := interop.Require(t, "sfdisk", "mdir", "mcopy", "fsck.fat")
	im, err := Disk("web", EFI, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	img := writeImage(t, im)

	table := run(t, tools[0], "-d", img)
	for _, want := range []string{"label: gpt", "first-lba: 34", "last-lba: 131038",
		"start=        2048, size=       16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B", `name="EFI system partition"`} {
		if !strings.Contains(table, want) {
			t.Errorf("sfdisk -d lacks %q:\n%s", want, table)
		}
	}
	// sfdisk checks both headers' and the entries' CRCs; a bad backup
	// table makes it warn.
	if strings.Contains(strings.ToLower(table), "corrupt") {
		t.Errorf("sfdisk reports a corrupt table:\n%s", table)
	}

	listing := run(t, tools[1], "-i", img+"@@1M", "::/EFI/BOOT")
	if !regexp.MustCompile(`BOOTX64\s+EFI\s+\d+`).MatchString(listing) {
		t.Errorf("mdir does not list BOOTX64.EFI:\n%s", listing)
	}
	out := filepath.Join(t.TempDir(), "BOOTX64.EFI")
	run(t, tools[2], "-i", img+"@@1M", "::/EFI/BOOT/BOOTX64.EFI", out)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := efiApp("web")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("BOOTX64.EFI read back with mcopy differs from the application written (%d vs %d bytes)", len(got), len(want))
	}

	// fsck.fat on the partition alone: -n never writes, exit 0 means clean.
	esp := make([]byte, espSize)
	if _, err := im.ReadAt(esp, espStart*sectorSize); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "esp.img")
	if err := os.WriteFile(part, esp, 0o644); err != nil {
		t.Fatal(err)
	}
	fsck := run(t, tools[3], "-n", "-v", part)
	if !strings.Contains(fsck, "4/16223 clusters") {
		t.Errorf("fsck.fat: want 4 of 16223 clusters used (two directories, two of the file):\n%s", fsck)
	}
}

func TestBIOSDiskIsOneBootSectorWithSignature(t *testing.T) {
	im, err := Disk("db", BIOS, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]byte, 1<<20)
	if _, err := im.ReadAt(s, 0); err != nil {
		t.Fatal(err)
	}
	if s[510] != 0x55 || s[511] != 0xaa {
		t.Errorf("sector 0 ends in %#x %#x, want the boot signature 55 AA", s[510], s[511])
	}
	if !bytes.Contains(s[:440], []byte(Marker("db")+"\r\n")) {
		t.Error("the boot code does not carry the marker line")
	}
	if !allZeroBytes(s[440:510]) || !allZeroBytes(s[512:]) {
		t.Error("a BIOS demo disk has no partition table and nothing past sector 0")
	}
}

func TestEFIDiskAlsoCarriesBIOSBootCodeInItsProtectiveMBR(t *testing.T) {
	im, err := Disk("app", EFI, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]byte, sectorSize)
	if _, err := im.ReadAt(s, 0); err != nil {
		t.Fatal(err)
	}
	boot, _ := bootSector("app")
	if !bytes.Equal(s[:len(boot)], boot) {
		t.Error("protective MBR lacks the boot code")
	}
	if s[446+4] != 0xee {
		t.Errorf("first partition type %#x, want 0xEE (GPT protective)", s[446+4])
	}
}

func TestEFIAppIsAPE32PlusEFIApplicationGoReads(t *testing.T) {
	app, err := efiApp("web")
	if err != nil {
		t.Fatal(err)
	}
	f, err := pe.NewFile(bytes.NewReader(app))
	if err != nil {
		t.Fatal(err)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("optional header %T, want PE32+", f.OptionalHeader)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || oh.Subsystem != pe.IMAGE_SUBSYSTEM_EFI_APPLICATION {
		t.Errorf("machine %#x subsystem %d, want AMD64 and EFI application", f.Machine, oh.Subsystem)
	}
	if len(f.Sections) != 1 || f.Sections[0].VirtualAddress != oh.AddressOfEntryPoint {
		t.Fatalf("want one section starting at the entry point")
	}
	text, err := f.Sections[0].Data()
	if err != nil {
		t.Fatal(err)
	}
	code, _, _ := efiProgram("web")
	if !bytes.Equal(text[:len(code)], code) {
		t.Error(".text does not hold the program")
	}
	if oh.SizeOfImage%oh.SectionAlignment != 0 || oh.SizeOfHeaders%oh.FileAlignment != 0 {
		t.Error("image or header size not aligned")
	}
}

// TestHandAssembledCodeDisassemblesAsCommented checks each listed
// instruction's offset and mnemonic against objdump, so a wrong byte in
// bios.go or efi.go shows as a different instruction; the listing itself
// is a golden file for review.
func TestHandAssembledCodeDisassemblesAsCommented(t *testing.T) {
	for _, tc := range []struct {
		name, arch string
		prog       func(string) ([]byte, []insn, error)
	}{
		{"bios-boot-sector", "i8086", bootProgram},
		{"efi-bootx64", "i386:x86-64", efiProgram},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, insns, err := tc.prog("web")
			if err != nil {
				t.Fatal(err)
			}
			var listing bytes.Buffer
			for i, in := range insns {
				end := len(code)
				if i+1 < len(insns) {
					end = insns[i+1].off
				} else {
					end = in.off + 2 // the last instruction is a short jump
				}
				fmt.Fprintf(&listing, "%04x  %-24x  %s\n", in.off, code[in.off:end], in.mnemonic)
			}
			golden.Check(t, tc.name+".lst", listing.Bytes())

			objdump := interop.Require(t, "objdump")[0]
			bin := filepath.Join(t.TempDir(), "code.bin")
			if err := os.WriteFile(bin, code, 0o644); err != nil {
				t.Fatal(err)
			}
			out := run(t, objdump, "-D", "-b", "binary", "-m", tc.arch, "-M", "intel", bin)
			got := map[int]string{}
			line := regexp.MustCompile(`^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\S+)`)
			for _, l := range strings.Split(out, "\n") {
				if m := line.FindStringSubmatch(l); m != nil {
					off, _ := strconv.ParseInt(m[1], 16, 64)
					got[int(off)] = m[2]
				}
			}
			for _, in := range insns {
				want := strings.Fields(in.mnemonic)[0]
				if got[in.off] != want {
					t.Errorf("at %#x objdump decodes %q, the listing says %q", in.off, got[in.off], in.mnemonic)
				}
			}
		})
	}
}

func TestImageReadsZerosBetweenExtentsAndEOFAtTheEnd(t *testing.T) {
	im := &Image{size: 20}
	im.put(12, []byte("xyz"))
	im.put(2, []byte("ab"))
	p := make([]byte, 20)
	n, err := im.ReadAt(p, 0)
	if n != 20 || err != nil {
		t.Fatalf("ReadAt whole image: %d, %v", n, err)
	}
	if want := "\x00\x00ab\x00\x00\x00\x00\x00\x00\x00\x00xyz\x00\x00\x00\x00\x00"; string(p) != want {
		t.Errorf("got %q, want %q", p, want)
	}
	n, err = im.ReadAt(p[:4], 13)
	if n != 4 || err != nil || string(p[:4]) != "yz\x00\x00" {
		t.Errorf("ReadAt across an extent's end: %q %d %v", p[:4], n, err)
	}
	n, err = im.ReadAt(p[:10], 15)
	if n != 5 || err != io.EOF {
		t.Errorf("ReadAt past the end: %d %v, want 5 and io.EOF", n, err)
	}
}

func TestDiskRejectsWhatCannotBoot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		guest    string
		fw       Firmware
		capacity int64
		want     string
	}{
		{"an empty name", "", BIOS, 1 << 20, "1 to 64 characters"},
		{"a name too long for the boot sector", strings.Repeat("x", 65), BIOS, 1 << 20, "1 to 64"},
		{"a control character in the name", "a\x1bb", BIOS, 1 << 20, "printable ASCII"},
		{"an unknown firmware", "web", "coreboot", 1 << 20, "want \"bios\" or \"efi\""},
		{"an EFI disk too small for its system partition", "web", EFI, 8 << 20, "needs at least"},
		{"a capacity that is not whole sectors", "web", BIOS, 1<<20 + 1, "512-byte sectors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Disk(tc.guest, tc.fw, tc.capacity)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestSameNameGivesTheSameDiskByteForByte(t *testing.T) {
	read := func() []byte {
		im, err := Disk("web", EFI, 16<<20)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, im.Size())
		if _, err := im.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read(), read()) {
		t.Error("two disks of the same name differ")
	}
}

func allZeroBytes(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
