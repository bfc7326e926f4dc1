package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/internal/exporttest"

	"github.com/exitkit/exitkit/bundle/internal/journal"
	"github.com/exitkit/exitkit/bundle/manifest"
)

// readmeExports is the layout README.md shows: exports/ holds an OVF
// folder (acme-web) and an .ova (acme-db).
func readmeExports(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "exports")
	web, db := exporttest.Disk(t, 1), exporttest.Disk(t, 2)
	var ova bytes.Buffer
	tw := tar.NewWriter(&ova)
	for _, m := range []struct {
		name string
		data []byte
	}{
		{"acme-db.ovf", exporttest.OVF("acme-db", []exporttest.Ref{{Href: "acme-db-disk1.vmdk", Size: int64(len(db))}}, "")},
		{"acme-db-disk1.vmdk", db},
	} {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg})
		tw.Write(m.data)
	}
	tw.Close()
	exporttest.WriteFiles(t, dir, map[string][]byte{
		"acme-web/acme-web.ovf":        exporttest.OVF("acme-web", []exporttest.Ref{{Href: "acme-web-disk1.vmdk", Size: int64(len(web))}}, ""),
		"acme-web/acme-web-disk1.vmdk": web,
		"acme-db.ova":                  ova.Bytes(),
	})
	return dir
}

func TestCreateFromTheREADMELayoutTakesTheOVFFolderAndTheOVA(t *testing.T) {
	dir := readmeExports(t)
	src, err := OpenSource(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b")
	var log bytes.Buffer
	opts := CreateOptions{Sources: []Source{src}, Out: out, Signer: testSigner(t), Progress: &log}
	m, err := testCreate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, vm := range m.VMs {
		names = append(names, vm.Name)
	}
	if strings.Join(names, " ") != "acme-web acme-db" {
		t.Errorf("the bundle holds VMs %v, want acme-web and acme-db", names)
	}
	if want := "source folder " + dir + ": 2 VMs found"; !strings.Contains(log.String(), want) {
		t.Errorf("progress does not say %q:\n%s", want, log.String())
	}
	data, err := os.ReadFile(filepath.Join(out, ExitManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 1 || got.Sources[0].VMs != 2 || got.Sources[0].Source != "folder "+dir {
		t.Errorf("exit-manifest.json sources = %+v", got.Sources)
	}
	if _, err := Verify(context.Background(), out, VerifyOptions{Signer: opts.Signer.PublicKey()}); err != nil {
		t.Fatal(err)
	}
}

// shortSource says it holds two VMs but hands over one, as a buggy
// source might.
type shortSource struct{ Source }

func (s shortSource) Names() []string { return append(s.Source.Names(), "lost") }

func TestCreateSignsNoBundleHoldingFewerVMsThanItsSourcesFound(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	fx.source.vms = fx.source.vms[:1]
	out := filepath.Join(t.TempDir(), "b")
	opts := crOptions(t, fx, out)
	opts.Sources = []Source{shortSource{fx.source}}
	_, err := testCreate(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "2 VMs were found but only 1 handed over") {
		t.Fatalf("err = %v", err)
	}
	isIncomplete(t, out)
}

func TestContactLandsInBagInfoContactEmail(t *testing.T) {
	h := journal.Header{ID: "urn:uuid:x", Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		name string
		info Info
		want []string
		not  []string
	}{
		{"an address", Info{Contact: "exit@nimbus.example"}, []string{"Contact-Email: exit@nimbus.example\n"}, []string{"Contact-Name"}},
		{"an address and a name", Info{Contact: "exit@nimbus.example", ContactName: "Exit desk"}, []string{"Contact-Name: Exit desk\n", "Contact-Email: exit@nimbus.example\n"}, nil},
		{"a desk, an address and a phone", Info{Contact: "Exit desk, exit@nimbus.example, +31 20 555 0140"}, []string{"Contact-Email: exit@nimbus.example\n"}, []string{"Contact-Name", "Contact-Email: Exit"}},
		{"two addresses", Info{Contact: "Exit <exit@nimbus.example>; ops@nimbus.example"}, []string{"Contact-Email: exit@nimbus.example\nContact-Email: ops@nimbus.example\n"}, nil},
		{"no address at all", Info{Contact: "Exit desk"}, []string{"Contact-Name: Exit desk\n"}, []string{"Contact-Email"}},
	} {
		got := string(bagInfo(tt.info, h, 1, 1))
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: bag-info.txt lacks %q:\n%s", tt.name, w, got)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: bag-info.txt has %q:\n%s", tt.name, n, got)
			}
		}
	}
}

func TestCreateRefusesTheSameSourceTwice(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	out := filepath.Join(t.TempDir(), "b")
	opts := crOptions(t, fx, out)
	opts.Sources = []Source{fx.source, fx.source}
	if _, err := testCreate(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "is given twice") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the output was created")
	}
}
