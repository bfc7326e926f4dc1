package index

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/templates"
)

func defaultTemplates() fs.FS { return templates.Default() }

func TestTheIndexTellsATrusteeWhatItNeeds(t *testing.T) {
	secureBoot := sampleManifest()
	secureBoot.VMs[0].Hardware[0].SecureBoot = true
	bareID := sampleManifest()
	bareID.VMs[0].Hardware[0].GuestOS = "rhel9_64Guest"
	bareID.VMs[1].Hardware[0].GuestOS = "someNewOs_64Guest"
	tests := []struct {
		name     string
		m        *manifest.Manifest
		opts     Options
		want     []string
		dontWant []string
	}{
		{"the provider's vCenter address is hidden by default", sampleManifest(), Options{},
			[]string{"Exported from: a vSphere inventory (the provider's address is not shown)", "Exported from: an OVF export folder"},
			[]string{"vc.example", "/exports/erp db"}},
		{"the origin is shown when the maker asks", sampleManifest(), Options{ShowOrigin: true},
			[]string{"Exported from: vsphere://vc.example/DC1/vm/prod/web.", "Exported from: folder /exports/erp db."}, nil},
		{"a bare VMware guest id is named, the id kept", bareID, Options{},
			[]string{"Red Hat Enterprise Linux 9 (64-bit) (rhel9_64Guest)", "someNewOs_64Guest (VMware guest id)"}, nil},
		{"the Azure recipe uploads and attaches every disk", sampleManifest(), Options{},
			[]string{
				`azcopy copy "$OUT"/web/web-disk-1.vhd "$SAS" --blob-type PageBlob`,
				`azcopy copy "$OUT"/web/web-disk-2.vhd "$SAS" --blob-type PageBlob`,
				`az disk create -g GROUP -n web-data1 --upload-type Upload --upload-size-bytes $(wc -c < "$OUT"/web/web-disk-2.vhd)`,
				"az vm create -g GROUP -n web --attach-os-disk web-os --attach-data-disks web-data1 --os-type linux --security-type Standard",
				"az vm create -g GROUP -n erp-db --attach-os-disk erp-db-os --os-type windows --security-type Standard",
			}, nil},
		{"Secure Boot stays off where the source had it off", sampleManifest(), Options{},
			[]string{"Set-VMFirmware -VMName 'web' -EnableSecureBoot Off", "Secure Boot (on the source)  off", "pre-enrolled-keys=0"},
			[]string{"-EnableSecureBoot On", "TrustedLaunch"}},
		{"Secure Boot stays on where the source had it on", secureBoot, Options{},
			[]string{
				"Set-VMFirmware -VMName 'web' -EnableSecureBoot On -SecureBootTemplate MicrosoftUEFICertificateAuthority",
				"--hyper-v-generation V2 --security-type TrustedLaunch",
				"--security-type TrustedLaunch --enable-secure-boot true --enable-vtpm true",
				"pre-enrolled-keys=1",
			},
			[]string{"-EnableSecureBoot Off"}},
		{"the populated size is shown only where the descriptor gives it, and named", sampleManifest(), Options{},
			[]string{"Data in use (source's figure)", "not given"}, []string{"Populated"}},
		{"the bundle identifier and the deadlines of the terms are stated", sampleManifest(), Options{},
			[]string{
				"bundle identifier exit-2026-11-27-acme-7f3a, as the exit terms require",
				"Verify the bundle within 10 Working Days after you receive the drive",
				"within 30 days after erasure begins",
			}, nil},
		{"a trustee without the key learns what to do", sampleManifest(), Options{},
			[]string{"## Without the decryption key", "You can check the whole bundle without any key"}, nil},
		{"the macOS check converts the .mf lines", sampleManifest(), Options{},
			[]string{`(cd "$OUT"/web && sed -E 's/^SHA256\((.*)\)= ([0-9a-fA-F]{64})$/\2  \1/' web.mf | shasum -a 256 -c)`}, nil},
		{"govc gets a datastore, a pool and a network mapping", sampleManifest(), Options{},
			[]string{"export GOVC_URL=VCENTER GOVC_USERNAME=USER", `govc import.ovf -ds=DATASTORE -pool=POOL -options="$OUT"/web-options.json -name=web "$OUT"/web/web.ovf`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, readme, err := RenderWith(defaultTemplates(), tc.m, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(readme), w) {
					t.Errorf("README.txt lacks %q", w)
				}
			}
			for _, w := range tc.dontWant {
				if strings.Contains(string(readme), w) {
					t.Errorf("README.txt has %q", w)
				}
			}
		})
	}
}

func TestTermsValuesReadsTheDeadlineMarkersOfAModule(t *testing.T) {
	module := `<html><body><p>16.6 ... within <span class="value" data-param="media_verification_working_days">10</span> Working Days
<span class="param" data-param="erasure_period_days">[erasure_period_days]</span>
<span class="value" data-param="erasure_period_days"><b>30</b> days</span>
<span class="value" data-param="erasure_period_days">99 days</span>
<span class="value" data-param="customer_name">ACME</span></p></body></html>`
	got := TermsValues([]byte(module))
	want := map[string]string{"media_verification_working_days": "10", "erasure_period_days": "30 days"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(TermsValues([]byte("not html <<<"))) != 0 {
		t.Error("values from a document without markers")
	}
}

func FuzzTermsValues(f *testing.F) {
	f.Add(`<span class="value" data-param="erasure_period_days">30 days</span>`)
	f.Add(`<span class="value" data-param="media_verification_working_days"><span><b>1`)
	f.Fuzz(func(t *testing.T, doc string) {
		for k, v := range TermsValues([]byte(doc)) {
			if len(v) > maxTermsValue || strings.ContainsAny(v, "\n\r\x00") {
				t.Fatalf("%s = %q: unbounded or with control characters", k, v)
			}
		}
	})
}
