package ovf

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The source's Secure Boot state drives the restart guide's advice on
// Hyper-V Gen 2 and Azure, so it must come through from vCenter's OVF.
func TestParseReadsTheSourcesSecureBootState(t *testing.T) {
	data, err := os.ReadFile("testdata/web-efi.ovf")
	if err != nil {
		t.Fatal(err)
	}
	const fw = `<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>`
	if !bytes.Contains(data, []byte(fw)) {
		t.Fatal("testdata/web-efi.ovf changed: no firmware Config line")
	}
	for _, tc := range []struct {
		name, config string
		want         bool
	}{
		{"an export without the key has Secure Boot off", "", false},
		{"efiSecureBootEnabled true is on", `<vmw:Config ovf:required="false" vmw:key="bootOptions.efiSecureBootEnabled" vmw:value="true"/>`, true},
		{"efiSecureBootEnabled false is off", `<vmw:Config ovf:required="false" vmw:key="bootOptions.efiSecureBootEnabled" vmw:value="false"/>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(strings.Replace(string(data), fw, fw+tc.config, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Systems[0].SecureBoot; got != tc.want {
				t.Errorf("SecureBoot = %v, want %v", got, tc.want)
			}
			if got := Hardware(d, nil)[0].SecureBoot; got != tc.want {
				t.Errorf("Hardware SecureBoot = %v, want %v", got, tc.want)
			}
		})
	}
}
