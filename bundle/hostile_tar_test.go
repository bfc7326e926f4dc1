package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// htRawHeader is one ustar header block, written by hand because Go's tar
// writer refuses to write what an attacker's tool writes.
func htRawHeader(name string, typeflag byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], fmt.Sprintf("%011o\x00", 0))
	b[156] = typeflag
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	copy(b[148:156], "        ")
	var sum int
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func htPad(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

// htPAXRecord is "len key=value\n", len counting itself.
func htPAXRecord(k, v string) string {
	rest := " " + k + "=" + v + "\n"
	n := len(rest) + 1
	for len(fmt.Sprint(n))+len(rest) != n {
		n = len(fmt.Sprint(n)) + len(rest)
	}
	return fmt.Sprint(n) + rest
}

// htSparseTar writes a signed bag as a tar, tag files first, with one
// payload file replaced by a PAX 1.0 sparse member whose real size is
// realSize: a few KiB in the tar, gigabytes of zeros when read.
func htSparseTar(t *testing.T, bag *tbResult, member string, realSize int64) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var tags, data []string
	filepath.WalkDir(bag.Dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(bag.Dir, p)
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, "data/") {
				data = append(data, rel)
			} else {
				tags = append(tags, rel)
			}
		}
		return nil
	})
	for _, p := range append(tags, data...) {
		if p == member {
			tw.Flush()
			name := "bag/" + member
			recs := htPAXRecord("GNU.sparse.major", "1") + htPAXRecord("GNU.sparse.minor", "0") +
				htPAXRecord("GNU.sparse.name", name) + htPAXRecord("GNU.sparse.realsize", fmt.Sprint(realSize))
			buf.Write(htRawHeader("bag/PaxHeaders/sparse", 'x', int64(len(recs))))
			buf.Write(htPad([]byte(recs)))
			sparseMap := htPad([]byte(fmt.Sprintf("1\n%d\n512\n", realSize-512)))
			buf.Write(htRawHeader("bag/GNUSparseFile.0/sparse", '0', int64(len(sparseMap)+512)))
			buf.Write(sparseMap)
			buf.Write(bytes.Repeat([]byte{'A'}, 512))
			continue
		}
		b, err := os.ReadFile(filepath.Join(bag.Dir, p))
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
	p := filepath.Join(t.TempDir(), "sparse.tar")
	vtWrite(t, p, buf.Bytes())
	return p
}

func TestVerifyRefusesSparseAndSpecialTarMembers(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	member := vtStoredPath(t, bag.Manifest, "web", "web-disk-1.vmdk")
	tarPath := htSparseTar(t, bag, member, 64<<30)
	if fi, _ := os.Stat(tarPath); fi.Size() > 4<<20 {
		t.Fatalf("the tar is %d bytes", fi.Size())
	}
	// Go's reader sees a regular 64 GiB file: only its PAX records tell.
	f, _ := os.Open(tarPath)
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatal("no sparse member in the tar: ", err)
		}
		if h.Name == "bag/"+member {
			if h.Size != 64<<30 {
				t.Fatalf("sparse member of %d bytes", h.Size)
			}
			break
		}
	}
	f.Close()

	for _, via := range []string{"tar", "stream"} {
		t.Run(via, func(t *testing.T) {
			p, opts := tarPath, VerifyOptions{}
			if via == "stream" {
				f, err := os.Open(tarPath)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				p, opts.Stdin = "-", f
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r, err := Verify(ctx, p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.Contains(vtText(r), member+": is ") || r.Bytes > 16<<20 {
				t.Fatalf("sparse member not refused (read %d bytes):\n%s", r.Bytes, vtText(r))
			}
		})
	}
}

func TestVerifyRefusesDevicesFIFOsAndLinksAsPayload(t *testing.T) {
	dir := t.TempDir()
	bag := vtBuildBag(t, filepath.Join(dir, "bag"), tbSpec{})
	tarPath := filepath.Join(dir, "bag.tar")
	htTagsFirstTar(t, bag.Dir, tarPath)
	// Append special members after the bag (archive/tar's writer can add
	// to an existing tar once its two end blocks are cut).
	data, _ := os.ReadFile(tarPath)
	data = data[:len(data)-1024]
	var buf bytes.Buffer
	buf.Write(data)
	tw := tar.NewWriter(&buf)
	specials := map[string]*tar.Header{
		"data/vms/web/tty.vmdk":  {Typeflag: tar.TypeChar, Devmajor: 5, Devminor: 0},
		"data/vms/web/disk.vmdk": {Typeflag: tar.TypeBlock, Devmajor: 8, Devminor: 0},
		"data/vms/web/fifo.vmdk": {Typeflag: tar.TypeFifo},
		"data/vms/web/hard.vmdk": {Typeflag: tar.TypeLink, Linkname: "bag/bagit.txt"},
		"data/vms/web/soft.vmdk": {Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
	}
	for name, h := range specials {
		h.Name, h.Mode, h.ModTime = "bag/"+name, 0o644, time.Unix(0, 0)
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	vtWrite(t, tarPath, buf.Bytes())
	for _, via := range []string{"tar", "stream"} {
		p, opts := tarPath, VerifyOptions{}
		if via == "stream" {
			p, opts.Stdin = "-", bytes.NewReader(buf.Bytes())
		}
		r := vtVerify(t, p, opts)
		text := vtText(r)
		for name := range specials {
			if !strings.Contains(text, name+": is ") {
				t.Errorf("%s: %s not refused:\n%s", via, name, text)
			}
		}
		if r.OK {
			t.Errorf("%s: verified", via)
		}
	}
}
