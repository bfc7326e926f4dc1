package source

import (
	"crypto/sha256"

	"github.com/exitkit/exitkit/internal/exporttest"
	_ "github.com/exitkit/exitkit/internal/golden"

	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/ovf"
)

// srcDisk returns a real streamOptimized VMDK of a small disk whose
// first sectors hold seed-dependent bytes.
// exported collects what a source hands over: VM name -> href -> bytes.
func srcExported(t *testing.T, src Source) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	err := src.Export(context.Background(), NewSlots(1), func(ctx context.Context, vm *VM) error {
		files := map[string][]byte{}
		for _, f := range vm.Files {
			rc, err := f.Open(ctx)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			if int64(len(data)) != f.Size {
				t.Errorf("%s/%s: read %d bytes, Size says %d", vm.Name, f.Href, len(data), f.Size)
			}
			files[f.Href] = data
		}
		if _, err := ovf.Hardware(mustParse(t, vm.Descriptor), nil), error(nil); err != nil {
			return err
		}
		out[vm.Name] = files
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFolderSourceFindsEveryVMWithItsFilesAndNVRAM(t *testing.T) {
	dir := t.TempDir()
	files, want := exporttest.TwoVMs(t)
	exporttest.WriteFiles(t, dir, files)
	src, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src.String(), "folder ") {
		t.Errorf("String() = %q", src.String())
	}
	srcCheckExported(t, srcExported(t, src), want)
}

func TestOVFFileSourceExportsThatVMAlone(t *testing.T) {
	dir := t.TempDir()
	files, want := exporttest.TwoVMs(t)
	exporttest.WriteFiles(t, dir, files)
	src, err := Open(context.Background(), filepath.Join(dir, "db", "db.ovf"))
	if err != nil {
		t.Fatal(err)
	}
	srcCheckExported(t, srcExported(t, src), map[string]map[string][]byte{"db": want["db"]})
}

func srcCheckExported(t *testing.T, got, want map[string]map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got VMs %v, want %v", srcKeys(got), srcKeys(want))
	}
	for vm, files := range want {
		if len(got[vm]) != len(files) {
			t.Errorf("VM %s: got files %v, want %v", vm, srcKeys(got[vm]), srcKeys(files))
		}
		for href, data := range files {
			if !bytes.Equal(got[vm][href], data) {
				t.Errorf("VM %s: %s differs (%d bytes, want %d)", vm, href, len(got[vm][href]), len(data))
			}
		}
	}
}

func srcKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFolderSourceRefusesBrokenExportsSayingWhatToFix(t *testing.T) {
	disk := exporttest.Disk(t, 3)
	n := int64(len(disk))
	tests := []struct {
		name  string
		files map[string][]byte
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"a missing disk", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "gone.vmdk", Size: 10}}, "")}, nil, "references gone.vmdk, which is missing"},
		{"a wrong ovf:size", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "d.vmdk", Size: n + 1}}, ""), "d.vmdk": disk}, nil, fmt.Sprintf("says %d bytes, but the file has %d", n+1, n)},
		{"a ../ href", map[string][]byte{"x/vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "../d.vmdk", Size: n}}, ""), "d.vmdk": disk}, nil, `climbs out of the export with ".."`},
		{"an absolute href", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "/etc/passwd", Size: -1}}, "")}, nil, "is an absolute path"},
		{"a URL href", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "http://evil.example/d.vmdk", Size: -1}}, "")}, nil, "is a URL"},
		{"a chunked file", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "d.vmdk", Size: n}}, ` ovf:chunkSize="1024"`), "d.vmdk": disk}, nil, "split into chunks"},
		{"the same file twice", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "d.vmdk", Size: n}, {Href: "./d.vmdk", Size: n}}, ""), "d.vmdk": disk}, nil, "both name"},
		{"a broken descriptor", map[string][]byte{"vm.ovf": []byte("<Envelope><References>")}, nil, "vm.ovf: ovf: line 1: not well-formed XML"},
		{"no descriptor at all", map[string][]byte{"d.vmdk": disk}, nil, "holds no .ovf descriptor"},
		{"a symlinked disk", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "d.vmdk", Size: n}}, ""), "real.vmdk": disk}, func(t *testing.T, dir string) {
			if err := os.Symlink("real.vmdk", filepath.Join(dir, "d.vmdk")); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, "which is a link"},
		{"a file differing in case", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "D.vmdk", Size: n}}, ""), "d.vmdk": disk}, nil, "differs only in upper/lower case"},
		{"a disk in a symlinked folder", map[string][]byte{"vm.ovf": exporttest.OVF("vm", []exporttest.Ref{{Href: "disks/d.vmdk", Size: n}}, ""), "real/d.vmdk": disk}, func(t *testing.T, dir string) {
			if err := os.Symlink("real", filepath.Join(dir, "disks")); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, "disks is a link to a folder"},
		{"a symlinked descriptor", map[string][]byte{"real.ovf.txt": exporttest.OVF("vm", nil, "")}, func(t *testing.T, dir string) {
			if err := os.Symlink("real.ovf.txt", filepath.Join(dir, "vm.ovf")); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, "vm.ovf is a link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			exporttest.WriteFiles(t, dir, tt.files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			src, err := Open(context.Background(), dir)
			if err == nil {
				t.Fatalf("accepted: %v", src)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestFolderSourceListsEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	exporttest.WriteFiles(t, dir, map[string][]byte{
		"a/a.ovf": exporttest.OVF("a", []exporttest.Ref{{Href: "a.vmdk", Size: 1}}, ""),
		"b/b.ovf": exporttest.OVF("b", []exporttest.Ref{{Href: "/abs.vmdk", Size: 1}}, ""),
	})
	_, err := Open(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "a.vmdk, which is missing") || !strings.Contains(err.Error(), "absolute path") {
		t.Fatalf("want both problems, got %v", err)
	}
	if !errors.Is(err, ErrUnsafeHref) {
		t.Error("an unsafe href is not ErrUnsafeHref")
	}
}

func TestFolderSourceNoticesAFileChangedAfterOpening(t *testing.T) {
	dir := t.TempDir()
	files, _ := exporttest.TwoVMs(t)
	exporttest.WriteFiles(t, dir, files)
	src, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "web-disk1.vmdk"), []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = src.Export(context.Background(), NewSlots(1), func(ctx context.Context, vm *VM) error {
		for _, f := range vm.Files {
			rc, err := f.Open(ctx)
			if err != nil {
				return err
			}
			rc.Close()
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "changed size") {
		t.Fatalf("want a changed-size error, got %v", err)
	}
}

type srcMember struct {
	name     string
	data     []byte
	typeflag byte
	link     string
}

func srcTar(t testing.TB, members []srcMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: m.typeflag, Linkname: m.link, Format: tar.FormatPAX}
		if m.typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func srcWebOVA(t testing.TB) ([]srcMember, map[string]map[string][]byte) {
	disk := exporttest.Disk(t, 9)
	nvram := []byte("nvram bytes")
	desc := exporttest.OVF("web", []exporttest.Ref{{Href: "web-disk1.vmdk", Size: int64(len(disk))}, {Href: "web.nvram", Size: int64(len(nvram))}}, "")
	return []srcMember{
			{name: "web.ovf", data: desc},
			{name: "web.mf", data: []byte(fmt.Sprintf("SHA256(web.ovf)= %x\nSHA256(web-disk1.vmdk)= %x\nSHA256(web.nvram)= %x\n", sha256.Sum256(desc), sha256.Sum256(disk), sha256.Sum256(nvram)))},
			{name: "web-disk1.vmdk", data: disk},
			{name: "web.nvram", data: nvram},
		}, map[string]map[string][]byte{
			"web": {"web-disk1.vmdk": disk, "web.nvram": nvram},
		}
}

func TestOVASourceServesMembersInPlace(t *testing.T) {
	members, want := srcWebOVA(t)
	p := filepath.Join(t.TempDir(), "web.ova")
	if err := os.WriteFile(p, srcTar(t, members), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src.String(), "ova ") {
		t.Errorf("String() = %q", src.String())
	}
	srcCheckExported(t, srcExported(t, src), want)
}

func TestCompressedArchivesAreStreamed(t *testing.T) {
	members, want := srcWebOVA(t)
	plain := srcTar(t, members)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()

	var zb bytes.Buffer
	z := zip.NewWriter(&zb)
	for _, m := range members {
		w, err := z.Create("export/" + m.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	z.Close()

	for name, data := range map[string][]byte{"web.tar.gz": gz.Bytes(), "web.zip": zb.Bytes()} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := Open(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			srcCheckExported(t, srcExported(t, src), want)
		})
	}
}

func TestOVASourceRefusesBadArchives(t *testing.T) {
	members, _ := srcWebOVA(t)
	good := srcTar(t, members)
	with := func(extra ...srcMember) []byte { return srcTar(t, append(append([]srcMember{}, members...), extra...)) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"a ../ member", with(srcMember{name: "../evil.vmdk", data: []byte("x")}), `climbs out of the archive`},
		{"an absolute member", with(srcMember{name: "/etc/evil", data: []byte("x")}), "absolute path"},
		{"a symlink member", with(srcMember{name: "link.vmdk", typeflag: tar.TypeSymlink, link: "/etc/shadow"}), "is a link"},
		{"a hard link member", with(srcMember{name: "hard.vmdk", typeflag: tar.TypeLink, link: "web.ovf"}), "is a link"},
		{"a duplicate member", with(srcMember{name: "web.nvram", data: []byte("again")}), "appears twice"},
		{"a truncated OVA", good[:len(good)-2048-600], "truncated"},
		{"a truncated header", good[:1024+100], "truncated"},
		{"not an archive", bytes.Repeat([]byte("not a tar "), 200), "not an OVA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.ova")
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := Open(context.Background(), p)
			if err == nil {
				t.Fatalf("accepted: %v", src)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestCheckHrefAcceptsOnlyRelativeInsidePaths(t *testing.T) {
	for _, ok := range []string{"d.vmdk", "disks/d.vmdk", "./d.vmdk", "a b.vmdk", "..d.vmdk"} {
		if err := checkHref(ok); err != nil {
			t.Errorf("checkHref(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../d", "a/../../d", "/d", `C:\d`, `a\d`, "https://x/d", "file:d"} {
		if err := checkHref(bad); !errors.Is(err, ErrUnsafeHref) {
			t.Errorf("checkHref(%q) = %v, want ErrUnsafeHref", bad, err)
		}
	}
}

func FuzzOpenSourceOVA(f *testing.F) {
	members, _ := srcWebOVA(f)
	f.Add(srcTar(f, members))
	f.Add(srcTar(f, append(members, srcMember{name: "../x", data: []byte("x")})))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "x.ova")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := Open(context.Background(), p)
		if err != nil {
			if !strings.Contains(err.Error(), "x.ova") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever was accepted must be readable in full, within the file.
		err = src.Export(context.Background(), NewSlots(1), func(ctx context.Context, vm *VM) error {
			for _, sf := range vm.Files {
				rc, err := sf.Open(ctx)
				if err != nil {
					return err
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil {
					return err
				}
				if n != sf.Size {
					t.Fatalf("%s: read %d bytes, Size %d", sf.Href, n, sf.Size)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("an accepted OVA fails to export: %v", err)
		}
	})
}

func TestOpenSourceOfAMissingPathSaysWhatToGive(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "acme-export"))
	if err == nil || !strings.Contains(err.Error(), "give a folder of OVF exports, an .ova file or a vsphere:// URL") {
		t.Fatalf("OpenSource of a missing path: %v", err)
	}
}

func mustParse(t testing.TB, desc []byte) *ovf.Descriptor {
	t.Helper()
	d, err := ovf.Parse(bytes.NewReader(desc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAFolderSourcePlansEveryFileOfEveryVMBeforeExporting(t *testing.T) {
	dir := t.TempDir()
	files, _ := exporttest.TwoVMs(t)
	exporttest.WriteFiles(t, dir, files)
	src, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	src.Export(context.Background(), NewSlots(1), func(_ context.Context, vm *VM) error {
		for _, f := range vm.Files {
			want += f.Size
		}
		return nil
	})
	p, ok := src.(Planner)
	if !ok || p.PlannedBytes() != want || want == 0 {
		t.Errorf("planned %v bytes, the VMs hold %d", p, want)
	}
}

// Open takes a context, so Ctrl-C stops the indexing of a large archive.
func TestOpeningAnArchiveStopsWhenTheContextIsCancelled(t *testing.T) {
	members, _ := srcWebOVA(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(srcTar(t, members))
	zw.Close()
	p := filepath.Join(t.TempDir(), "web.tar.gz")
	os.WriteFile(p, gz.Bytes(), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled open: %v", err)
	}
}

func TestAFolderSourceTakesEveryOVFFolderAndArchiveAtAnyDepth(t *testing.T) {
	// The README's own layout: exports/ holds an OVF folder and an .ova;
	// deeper down, a compressed archive of an OVF folder and another .ova.
	dir := t.TempDir()
	web := exporttest.Disk(t, 1)
	members, ova := srcWebOVA(t)
	exporttest.WriteFiles(t, dir, map[string][]byte{
		"acme-web/acme-web.ovf":        exporttest.OVF("acme-web", []exporttest.Ref{{Href: "acme-web-disk1.vmdk", Size: int64(len(web))}}, ""),
		"acme-web/acme-web-disk1.vmdk": web,
		"acme-db.ova":                  srcTar(t, members),
		"old/2025/acme-mail.ova":       srcTar(t, members),
		"notes.txt":                    []byte("not a VM"),
	})
	src, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(src.Names()); n != 3 {
		t.Errorf("len(Names()) = %d, want 3", n)
	}
	srcCheckExported(t, srcExported(t, src), map[string]map[string][]byte{
		"acme-web":  {"acme-web-disk1.vmdk": web},
		"acme-db":   ova["web"],
		"acme-mail": ova["web"],
	})

	// A folder of archives alone is a source too.
	only := t.TempDir()
	exporttest.WriteFiles(t, only, map[string][]byte{"a/web.ova": srcTar(t, members)})
	if src, err := Open(context.Background(), only); err != nil || len(src.Names()) != 1 {
		t.Errorf("a folder of one .ova: %v", err)
	}
}

func TestAFolderSourceFailsNamingAnArchiveItCannotRead(t *testing.T) {
	dir := t.TempDir()
	web := exporttest.Disk(t, 1)
	members, _ := srcWebOVA(t)
	tarball := srcTar(t, members)
	exporttest.WriteFiles(t, dir, map[string][]byte{
		"acme-web/acme-web.ovf":        exporttest.OVF("acme-web", []exporttest.Ref{{Href: "acme-web-disk1.vmdk", Size: int64(len(web))}}, ""),
		"acme-web/acme-web-disk1.vmdk": web,
		"acme-db.ova":                  tarball[:len(tarball)/2], // cut off
		"logs.zip":                     []byte("PK\x03\x04 not really"),
	})
	_, err := Open(context.Background(), dir)
	if err == nil {
		t.Fatal("a folder with an unreadable .ova opened")
	}
	for _, want := range []string{"acme-db.ova could not be read", "logs.zip could not be read", "would be missing from the bundle"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestTheSameSourceTwiceIsRefusedUnderAnySpelling(t *testing.T) {
	dir := t.TempDir()
	exporttest.WriteFiles(t, dir, map[string][]byte{"exports/web/web.ovf": nil, "exports/db.ova": nil, "other/x.ova": nil})
	os.Symlink(filepath.Join(dir, "exports"), filepath.Join(dir, "link"))
	t.Chdir(dir)
	remote := func(s string) (string, bool) {
		if rest, ok := strings.CutPrefix(s, "vsphere://"); ok {
			return strings.ToLower(rest), true
		}
		return "", false
	}
	for _, tt := range []struct {
		specs []string
		want  string // "" for none
	}{
		{[]string{"exports", "other/x.ova"}, ""},
		{[]string{"exports", "exports"}, "are the same folder"},
		{[]string{"exports", "./exports/"}, "are the same folder"},
		{[]string{"exports", filepath.Join(dir, "exports")}, "are the same folder"},
		{[]string{"exports", "link"}, "are the same folder"},
		{[]string{"exports/db.ova", "./exports/../exports/db.ova"}, "are the same file"},
		{[]string{"exports", "exports/db.ova"}, "exports/db.ova lies inside --source exports"},
		{[]string{"exports/web", "exports"}, "exports/web lies inside --source exports"},
		{[]string{"vsphere://a@vc/sdk?vm=web", "vsphere://a@VC/sdk?vm=web"}, "name the same VMs"},
		{[]string{"vsphere://a@vc/sdk?vm=web", "vsphere://a@vc/sdk?vm=db"}, ""},
		{[]string{"missing", "missing"}, ""}, // Open says it is missing
	} {
		err := CheckDistinct(tt.specs, remote)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%q: err = %v, want %q", tt.specs, err, tt.want)
		}
	}
}
