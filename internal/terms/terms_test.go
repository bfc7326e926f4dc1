package terms

import (
	"bytes"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

var (
	fp0 = "sha256:" + strings.Repeat("0", 64)
	fp1 = "sha256:" + strings.Repeat("1", 64)
)

func TestReadFindsFingerprintLangAndClausesInOrder(t *testing.T) {
	doc := `<html lang="en"><head><meta name="exitkit:module-fingerprint" content="` + fp0 + `">
<meta name="exitkit:module-lang" content="nl"></head><body>
<section class="clause" id="EM-2" data-clause-id="EM-2" data-clause-version="1.0.0" data-clause-lang="nl" data-fingerprint="` + fp1 + `"></section>
<section class="cover"><p>not a clause</p></section>
<section class="clause" data-clause-id="EM-10" data-clause-version="1.1.0" data-clause-lang="nl" data-fingerprint="` + fp0 + `"></section>
</body></html>`
	m, err := Read(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []Clause{{ID: "EM-2", Version: "1.0.0", Lang: "nl", Fingerprint: fp1}, {ID: "EM-10", Version: "1.1.0", Lang: "nl", Fingerprint: fp0}}
	if m.Fingerprint != fp0 || m.Lang != "nl" || len(m.Clauses) != 2 || m.Clauses[0] != want[0] || m.Clauses[1] != want[1] {
		t.Errorf("Read = %+v, want fingerprint %s, lang nl, clauses %+v", m, fp0, want)
	}
}

func TestReadRejectsWhatIsNotAModule(t *testing.T) {
	tests := map[string]string{
		"a plain page":              `<html><body><p>hi</p></body></html>`,
		"a fingerprint not sha256":  `<meta name="exitkit:module-fingerprint" content="md5:abc"><section data-clause-id="EM-1" data-clause-version="1.0.0" data-fingerprint="` + fp1 + `">`,
		"a short fingerprint":       `<meta name="exitkit:module-fingerprint" content="sha256:11"><section data-clause-id="EM-1" data-clause-version="1.0.0" data-fingerprint="` + fp1 + `">`,
		"a clause without version":  `<meta name="exitkit:module-fingerprint" content="` + fp0 + `"><section data-clause-id="EM-1" data-fingerprint="` + fp1 + `">`,
		"a bad clause fingerprint":  `<meta name="exitkit:module-fingerprint" content="` + fp0 + `"><section data-clause-id="EM-1" data-clause-version="1.0.0" data-fingerprint="x">`,
		"a module without a clause": `<meta name="exitkit:module-fingerprint" content="` + fp0 + `">`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Read(strings.NewReader(doc)); err == nil {
				t.Errorf("Read accepted %q", doc)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`<meta name="exitkit:module-fingerprint" content="` + fp0 + `"><section class="clause" data-clause-id="EM-1" data-clause-version="1.0.0" data-clause-lang="en" data-fingerprint="` + fp1 + `">`))
	f.Add([]byte(`<html><meta name="exitkit:module-fingerprint"`))
	f.Add([]byte("<<<>>>\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if !fingerprintRE.MatchString(m.Fingerprint) || len(m.Clauses) == 0 {
			t.Fatalf("Read accepted %+v", m)
		}
		for _, c := range m.Clauses {
			if !fingerprintRE.MatchString(c.Fingerprint) || c.Version == "" {
				t.Fatalf("Read accepted clause %+v", c)
			}
		}
	})
}
