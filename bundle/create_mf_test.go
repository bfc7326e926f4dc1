package bundle

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/exporttest"

	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/internal/cli"
)

// mfExport writes an OVF folder with a .mf in alg as ovftool writes it
// ("SHA256(file)= hex") and a .cert, and returns the disk's path.
func mfExport(t *testing.T, dir, alg string, h func() hash.Hash) string {
	t.Helper()
	disk := exporttest.Disk(t, 7)
	desc := exporttest.OVF("web", []exporttest.Ref{{Href: "web-disk1.vmdk", Size: int64(len(disk))}}, "")
	line := func(name string, data []byte) string {
		s := h()
		s.Write(data)
		return fmt.Sprintf("%s(%s)= %s\n", alg, name, hex.EncodeToString(s.Sum(nil)))
	}
	exporttest.WriteFiles(t, dir, map[string][]byte{
		"web/web.ovf":        desc,
		"web/web-disk1.vmdk": disk,
		"web/web.mf":         []byte(line("web.ovf", desc) + line("web-disk1.vmdk", disk)),
		"web/web.cert":       []byte("-----BEGIN CERTIFICATE-----\n"),
	})
	return filepath.Join(dir, "web", "web-disk1.vmdk")
}

func TestCreateChecksEveryFileAgainstTheExportsOwnManifest(t *testing.T) {
	for _, alg := range []struct {
		name string
		h    func() hash.Hash
	}{{"SHA1", sha1.New}, {"SHA256", sha256.New}, {"SHA512", sha512.New}} {
		t.Run(alg.name, func(t *testing.T) {
			dir := t.TempDir()
			disk := mfExport(t, dir, alg.name, alg.h)
			open := func() Source {
				src, err := OpenSource(context.Background(), dir)
				if err != nil {
					t.Fatal(err)
				}
				return src
			}

			var log bytes.Buffer
			out := filepath.Join(t.TempDir(), "ok")
			m, err := testCreate(context.Background(), CreateOptions{Sources: []Source{open()}, Out: out, Signer: testSigner(t), Progress: &log})
			if err != nil {
				t.Fatal(err)
			}
			if vm := m.VMs[0]; vm.SourceMF != "web.mf" || vm.SourceCert != "web.cert" {
				t.Errorf("the exit manifest does not record the export's .mf and .cert: %+v", vm)
			}
			if !strings.Contains(log.String(), "every file matched the export's own web.mf; web.cert is present") {
				t.Errorf("progress:\n%s", log.String())
			}

			// The disk is changed after the export, keeping its size.
			data, _ := os.ReadFile(disk)
			data[len(data)/2] ^= 0x40
			os.WriteFile(disk, data, 0o644)
			bad := filepath.Join(t.TempDir(), "bad")
			_, err = testCreate(context.Background(), CreateOptions{Sources: []Source{open()}, Out: bad, Signer: testSigner(t)})
			if !errors.Is(err, source.ErrManifestMismatch) || !strings.Contains(err.Error(), "web-disk1.vmdk has "+alg.name) {
				t.Fatalf("err = %v", err)
			}
			if code := cli.Code(err); code != cli.ExitUsage {
				t.Errorf("exit %d, want %d", code, cli.ExitUsage)
			}
			isIncomplete(t, bad)
			if _, err := os.Stat(filepath.Join(bad, "data/vms/web/web-disk1.vmdk")); err == nil {
				t.Error("the mismatching disk was stored under its final name")
			}
		})
	}
}

func TestADescriptorThatDiffersFromTheExportsManifestIsRefusedAtOnce(t *testing.T) {
	dir := t.TempDir()
	mfExport(t, dir, "SHA256", sha256.New)
	p := filepath.Join(dir, "web", "web.ovf")
	desc, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(desc, []byte("<Info>vm</Info>"), []byte("<Info>VM</Info>"), 1), 0o644)
	_, err := OpenSource(context.Background(), dir)
	if !errors.Is(err, source.ErrManifestMismatch) || !strings.Contains(err.Error(), "web.ovf has SHA256") {
		t.Fatalf("err = %v", err)
	}
}
