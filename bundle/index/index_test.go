package index

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	goldenfile "github.com/exitkit/exitkit/internal/golden"
	"github.com/exitkit/exitkit/templates"

	"github.com/yuin/goldmark"
)

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got)
}

// sampleManifest is a bundle of two VMs: an encrypted, compressed EFI
// Linux guest on pvscsi with vmxnet3, and a BIOS Windows guest.
func sampleManifest() *manifest.Manifest {
	return &manifest.Manifest{
		Format:      manifest.FormatVersion,
		ID:          "exit-2026-11-27-acme-7f3a",
		Created:     time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
		Tool:        "exitbundle v0.1.0",
		Provider:    "Nordcloud Hosting GmbH",
		Customer:    "Acme Logistics AG",
		Contact:     "exit-desk@nordcloud.example, +49 30 1234567",
		Description: "Contract 2024-117 ended on 2026-11-30; hand-over under clause EM-4.",
		Signer: manifest.Signer{
			Fingerprint: "SHA256:3a1rOPbTB4IL7y2lO1PnLxE+ZeAxIV2KZv8vY0n3Q0c",
			PublicKey:   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKo5x8bHl2kq1E2Vb1sT4JdQW3G0p6rR5vX9uYz1a2b3 exit@nordcloud",
		},
		Encryption:  manifest.Encryption{Mode: "age", Recipients: []string{"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"}},
		Compression: "zstd",
		Terms: &manifest.Terms{File: manifest.TermsFile, SHA256: strings.Repeat("ab", 32), Fingerprint: "sha256:" + strings.Repeat("cd", 32),
			Clauses: []manifest.ClauseRef{{ID: "EM-4", Version: "2", Lang: "en", Fingerprint: "sha256:" + strings.Repeat("ef", 32)}},
			Values:  map[string]string{"media_verification_working_days": "10", "erasure_period_days": "30 days"}},
		VMs: []manifest.VM{
			{
				Name: "web", Origin: "vsphere://vc.example/DC1/vm/prod/web",
				OVF: "data/vms/web/web.ovf", MF: "data/vms/web/web.mf",
				Hardware: []manifest.VMHardware{{
					Name: "web", GuestOS: "Debian GNU/Linux 12 (64-bit) (debian12_64Guest)", VCPU: 4, MemoryMiB: 8192, Firmware: "efi",
					DiskControllers: []string{"pvscsi", "sata"},
					NICs:            []manifest.NIC{{Network: "Front DMZ", Adapter: "vmxnet3"}},
					Disks: []manifest.Disk{
						{File: "web-disk-1.vmdk", CapacityBytes: 16 << 30, PopulatedBytes: 6 << 30, Controller: "pvscsi"},
						{File: "web-disk-2.vmdk", CapacityBytes: 512 << 20, Controller: "sata"},
					},
				}},
				Files: []manifest.File{
					{Name: "web.ovf", Path: "data/vms/web/web.ovf", Role: manifest.RoleDescriptor, Size: 5120, SHA256: strings.Repeat("1", 64), StoredSize: 5120, StoredSHA256: strings.Repeat("1", 64)},
					{Name: "web.mf", Path: "data/vms/web/web.mf", Role: manifest.RoleManifest, Size: 300, SHA256: strings.Repeat("2", 64), StoredSize: 300, StoredSHA256: strings.Repeat("2", 64)},
					{Name: "web-disk-1.vmdk", Path: "data/vms/web/web-disk-1.vmdk.zst.age", Role: manifest.RoleDisk, Size: 3 << 30, SHA256: strings.Repeat("3", 64), StoredSize: 2 << 30, StoredSHA256: strings.Repeat("4", 64), Compression: "zstd", Encrypted: true},
					{Name: "web-disk-2.vmdk", Path: "data/vms/web/web-disk-2.vmdk.age", Role: manifest.RoleDisk, Size: 70 << 20, SHA256: strings.Repeat("5", 64), StoredSize: 70<<20 + 4096, StoredSHA256: strings.Repeat("6", 64), Encrypted: true},
					{Name: "web.nvram", Path: "data/vms/web/web.nvram.age", Role: manifest.RoleNVRAM, Size: 270840, SHA256: strings.Repeat("7", 64), StoredSize: 271000, StoredSHA256: strings.Repeat("8", 64), Encrypted: true},
				},
			},
			{
				Name: "erp-db", Origin: "folder /exports/erp db",
				OVF: "data/vms/erp-db/erp-db.ovf", MF: "data/vms/erp-db/erp-db.mf",
				Hardware: []manifest.VMHardware{{
					Name: "erp db", GuestOS: "Microsoft Windows Server 2019 (64-bit) (windows2019srv_64Guest)", VCPU: 8, MemoryMiB: 32768, Firmware: "bios",
					DiskControllers: []string{"lsilogicsas"},
					NICs:            []manifest.NIC{{Network: "Backend", Adapter: "e1000e"}},
					Disks:           []manifest.Disk{{File: "erp-db-disk-1.vmdk", CapacityBytes: 200 << 30, Controller: "lsilogicsas"}},
				}},
				Files: []manifest.File{
					{Name: "erp-db.ovf", Path: "data/vms/erp-db/erp-db.ovf", Role: manifest.RoleDescriptor, Size: 4000, StoredSize: 4000},
					{Name: "erp-db.mf", Path: "data/vms/erp-db/erp-db.mf", Role: manifest.RoleManifest, Size: 200, StoredSize: 200},
					{Name: "erp-db-disk-1.vmdk", Path: "data/vms/erp-db/erp-db-disk-1.vmdk.age", Role: manifest.RoleDisk, Size: 40 << 30, StoredSize: 40<<30 + 1<<20, Encrypted: true},
				},
			},
		},
	}
}

func TestRenderIndexMatchesGoldenFiles(t *testing.T) {
	html, readme, err := Render(sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "index.html", html)
	golden(t, "README.txt", readme)
}

func TestRenderIndexOfAnUnencryptedBundleSaysSo(t *testing.T) {
	m := sampleManifest()
	m.Encryption = manifest.Encryption{Mode: "none"}
	for i := range m.VMs {
		for j := range m.VMs[i].Files {
			m.VMs[i].Files[j].Encrypted = false
			m.VMs[i].Files[j].Compression = ""
			m.VMs[i].Files[j].Path = strings.TrimSuffix(strings.TrimSuffix(m.VMs[i].Files[j].Path, ".age"), ".zst")
		}
	}
	html, readme, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range [][]byte{html, readme} {
		if !bytes.Contains(out, []byte("NOT encrypted")) {
			t.Error("index does not warn that the payload is unencrypted")
		}
		if bytes.Contains(out, []byte("age -d")) {
			t.Error("index tells to decrypt an unencrypted bundle")
		}
	}
	if !bytes.Contains(readme, []byte(`cp data/vms/web/web-disk-1.vmdk "$OUT"/web/web-disk-1.vmdk`)) {
		t.Error("restore of an unencrypted file is not a plain copy")
	}
}

func TestRenderIndexHasTheCommandsForThisBundle(t *testing.T) {
	_, readme, err := Render(sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`head -n 1 signer.pub > "${TMPDIR:-/tmp}/exitbundle-signer.pub"`,
		`ssh-keygen -l -f "${TMPDIR:-/tmp}/exitbundle-signer.pub"`,
		`echo "exitbundle-signer namespaces=\"exitbundle\" $(cat "${TMPDIR:-/tmp}/exitbundle-signer.pub")" > "${TMPDIR:-/tmp}/allowed_signers"`,
		`ssh-keygen -Y verify -f "${TMPDIR:-/tmp}/allowed_signers" -I exitbundle-signer -n exitbundle -s tagmanifest-sha256.txt.sig < tagmanifest-sha256.txt`,
		"ssh-keygen -Y check-novalidate -n exitbundle -s tagmanifest-sha256.txt.sig < tagmanifest-sha256.txt",
		"sha256sum -c tagmanifest-sha256.txt",
		"sha256sum -c manifest-sha256.txt",
		`age -d -i key.txt data/vms/web/web-disk-1.vmdk.zst.age | zstd -d -o "$OUT"/web/web-disk-1.vmdk`,
		`age -d -i key.txt -o "$OUT"/web/web.nvram data/vms/web/web.nvram.age`,
		`(cd "$OUT"/web && sha256sum -c web.mf)`,
		`virt-install --name web --memory 8192 --vcpus 4 --import --disk "$OUT"/web/web-disk-1.qcow2,bus=sata --disk "$OUT"/web/web-disk-2.qcow2,bus=sata`,
		"--boot firmware=efi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=no",
		"qm set 9001 --bios ovmf",
		"New-VM -Name 'web' -Generation 2",
		"New-VM -Name 'erp-db' -Generation 1",
		"aws ec2 import-image --boot-mode uefi",
		"aws ec2 import-image --boot-mode legacy-bios",
		"SHA256:3a1rOPbTB4IL7y2lO1PnLxE+ZeAxIV2KZv8vY0n3Q0c",
		"Acme Logistics AG", "Nordcloud Hosting GmbH",
		"pvscsi", "vmxnet3", "NVRAM file is in the bundle", "virtio-win",
	} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.txt lacks %q", want)
		}
	}
}

func TestRenderIndexEscapesHostileNames(t *testing.T) {
	m := sampleManifest()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>[click](javascript:alert(3)) | &amp; ` + "`x`\n# heading"
	m.Provider = evil
	m.Customer = evil
	m.Description = evil
	m.VMs[0].Origin = evil
	m.VMs[0].Hardware[0].GuestOS = evil
	m.VMs[0].Hardware[0].NICs[0].Network = evil
	m.VMs[0].Name = "a'b $(rm -rf ~)\n~~~~~~~~~~\n<b>"
	m.VMs[0].Files[2].Name = "disk `touch x`.vmdk"
	html, readme, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(string(html))
	for _, bad := range []string{"<script", "<img", "<b>", "<!-- raw html omitted -->"} {
		if strings.Contains(lower, bad) {
			t.Errorf("index.html contains %q: hostile text became markup", bad)
		}
	}
	if strings.Contains(lower, `href="javascript`) {
		t.Error("index.html links to javascript:")
	}
	if !strings.Contains(string(readme), `'disk `+"`touch x`"+`.vmdk'`) {
		t.Error("a file name with backquotes is not single-quoted in the commands")
	}
	if !strings.Contains(string(readme), `$'a\'b $(rm -rf ~)\x0a~~~~~~~~~~\x0a<b>'`) {
		t.Errorf("a VM name with a newline is not quoted onto one line")
	}
	// The headline must stay one line: the newline in the name cannot open a new block.
	if strings.Count(string(html), "<h1") != 1 {
		t.Errorf("hostile text made %d top-level headings", strings.Count(string(html), "<h1"))
	}
}

func TestMarkdownEscapeLeavesTextLiteral(t *testing.T) {
	inputs := []string{`*a* _b_ [c](d) <e> &amp; | f \ g`, "`code`", "1. not a list", "# not a heading", "<!-- c -->", "~~~"}
	gm := goldmark.New()
	for _, in := range inputs {
		var out bytes.Buffer
		if err := gm.Convert([]byte("x "+markdownEscape(in)), &out); err != nil {
			t.Fatal(err)
		}
		got := strings.TrimSuffix(strings.TrimPrefix(out.String(), "<p>x "), "</p>\n")
		got = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`).Replace(got)
		if got != in {
			t.Errorf("markdownEscape(%q) renders as %q", in, got)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"web-disk-1.vmdk": "web-disk-1.vmdk",
		"a b":             "'a b'",
		"it's":            `'it'\''s'`,
		"":                "''",
		"x\ny":            `$'x\x0ay'`,
		"$(id)":           "'$(id)'",
	}
	for in, want := range tests {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRenderIndexOfAPassphraseBundleLetsAgeAsk(t *testing.T) {
	m := sampleManifest()
	m.Encryption = manifest.Encryption{Mode: "age", Passphrase: true}
	_, readme, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(readme, []byte("-i key.txt")) {
		t.Error("a passphrase bundle's commands ask for an identity file")
	}
	if !bytes.Contains(readme, []byte(`age -d -o "$OUT"/web/web.nvram data/vms/web/web.nvram.age`)) {
		t.Error("no passphrase decryption command")
	}
}

func TestRenderIndexListsAVMWithoutHardware(t *testing.T) {
	m := sampleManifest()
	m.VMs[1].Hardware = nil
	_, readme, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("  erp-db  unknown")) {
		t.Errorf("a VM without hardware is missing from the summary:\n%s", readme)
	}
}

func FuzzRenderIndex(f *testing.F) {
	f.Add("web", "Debian", "VM Network", "web-disk-1.vmdk")
	f.Add("<script>", "[x](javascript:y)", "| a | b |", "a'b\n~~~")
	f.Fuzz(func(t *testing.T, name, guestOS, network, file string) {
		m := sampleManifest()
		m.VMs[0].Name = name
		m.VMs[0].Hardware[0].GuestOS = guestOS
		m.VMs[0].Hardware[0].NICs[0].Network = network
		m.VMs[0].Files[2].Name = file
		m.Description = guestOS
		page, _, err := Render(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, match := range tagRE.FindAllStringSubmatch(string(page), -1) {
			if !allowedTags[strings.ToLower(match[1])] {
				t.Fatalf("index.html contains a <%s> element", match[1])
			}
		}
		for _, href := range hrefRE.FindAllStringSubmatch(string(page), -1) {
			if !allowedHref.MatchString(href[1]) {
				t.Fatalf("index.html links to %q", href[1])
			}
		}
	})
}

func TestRenderIndexFSReportsABrokenOverride(t *testing.T) {
	fsys := fstest.MapFS{
		"bundle/index.md.tmpl": {Data: []byte("# {{text .Title}\n")},
		"bundle/index.html":    {Data: []byte("{{.Body}}")},
		"bundle/index.css":     {Data: []byte("")},
	}
	if _, _, err := RenderFS(fsys, sampleManifest()); err == nil || !strings.Contains(err.Error(), "index.md.tmpl") {
		t.Fatalf("want an error naming the template, got %v", err)
	}
	fsys["bundle/index.md.tmpl"] = &fstest.MapFile{Data: []byte("# {{text .Title}}\n")}
	page, readme, err := RenderFS(fsys, sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(page), "<h1") || !strings.HasPrefix(string(readme), "# Exit bundle for") {
		t.Errorf("override not used: %q / %q", page, readme)
	}
}

func TestAProviderCanReplaceTheRestartGuide(t *testing.T) {
	fsys := fstest.MapFS{
		"bundle/restart.tmpl": {Data: []byte("target Our cloud\nline ourcloud import {{.OVF}} --name {{.Name}}\npitfall Call us.\n")},
	}
	for _, name := range []string{indexTemplate, layoutTemplate, styleSheet} {
		data, err := fs.ReadFile(templates.Default(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	_, readme, err := RenderFS(fsys, sampleManifest())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Our cloud", `ourcloud import "$OUT"/web/web.ovf --name web`, "Call us."} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.txt lacks %q", want)
		}
	}
	if strings.Contains(string(readme), "VBoxManage") {
		t.Error("the built-in guide is still there")
	}
	fsys["bundle/restart.tmpl"] = &fstest.MapFile{Data: []byte("{{.Nope}}")}
	if _, _, err := RenderFS(fsys, sampleManifest()); err == nil || !strings.Contains(err.Error(), "restart.tmpl") {
		t.Errorf("a broken guide: %v", err)
	}
}
