package index

import (
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/ovf"
)

const indexCorpusDir = "../../../shared/testdata/ovf-corpus"

// allowedTags are the only elements index.html may contain: the layout's
// and what goldmark makes of the template's Markdown.
var allowedTags = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "main": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "p": true, "strong": true, "em": true, "code": true, "pre": true,
	"ul": true, "li": true, "blockquote": true, "a": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
}

var tagRE = regexp.MustCompile(`<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)`)

// The only links index.html may have: to its own sections and to the two
// files beside it.
var (
	hrefRE      = regexp.MustCompile(`(?i)href\s*=\s*"([^"]*)"`)
	allowedHref = regexp.MustCompile(`^(#(verify|terms|no-key|vms|about|vm-[0-9]+)|TERMS\.html|README\.txt)$`)
)

// TestIndexOfEveryCorpusDescriptorIsSafeAndTruthful renders an index for
// each descriptor of the shared corpus that parses and checks that no
// descriptor text became markup and that each VM's facts are shown.
func TestIndexOfEveryCorpusDescriptorIsSafeAndTruthful(t *testing.T) {
	if _, err := os.Stat(indexCorpusDir); err != nil {
		t.Skipf("OVF corpus not found at %s: %v", indexCorpusDir, err)
	}
	var paths []string
	filepath.WalkDir(indexCorpusDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".ovf") {
			paths = append(paths, p)
		}
		return nil
	})
	rendered := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ovf.Parse(bytes.NewReader(data))
		if err != nil {
			continue
		}
		byRef := map[string]string{}
		var files []manifest.File
		for i, f := range d.Files {
			name := manifest.SanitizeName(f.Href)
			byRef[f.ID] = name
			size := max(f.Size, 0)
			files = append(files, manifest.File{Name: name, Path: "data/vms/vm/" + name + ".age", Role: manifest.RoleDisk, Size: size, StoredSize: size + 200, Encrypted: true, SHA256: fmt.Sprintf("%064x", i)})
		}
		hw := ovf.Hardware(d, byRef)
		m := &manifest.Manifest{
			Format: manifest.FormatVersion, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Tool: "exitbundle test",
			Provider: "P", Customer: "C", Signer: manifest.Signer{Fingerprint: "SHA256:x"}, Encryption: manifest.Encryption{Mode: "age", Recipients: []string{"age1x"}},
			VMs: []manifest.VM{{Name: "vm", Origin: p, OVF: "data/vms/vm/vm.ovf", MF: "data/vms/vm/vm.mf", Hardware: hw, Files: files}},
		}
		page, readme, err := Render(m)
		if err != nil {
			t.Errorf("%s: Render: %v", p, err)
			continue
		}
		rendered++
		for _, match := range tagRE.FindAllStringSubmatch(string(page), -1) {
			if !allowedTags[strings.ToLower(match[1])] {
				t.Errorf("%s: index.html contains a <%s> element", p, match[1])
			}
		}
		text := html.UnescapeString(string(page))
		for _, h := range hw {
			for _, fact := range []string{h.GuestOS, firmwareName(h.Firmware)} {
				if fact = strings.Join(strings.Fields(fact), " "); fact != "" && !strings.Contains(strings.Join(strings.Fields(text), " "), fact) {
					t.Errorf("%s: index.html does not show %q", p, fact)
				}
			}
			if h.VCPU > 0 && !regexp.MustCompile(fmt.Sprintf(`(?m)^\s*vCPU\s+%d$`, h.VCPU)).Match(readme) {
				t.Errorf("%s: README.txt does not show %d vCPU", p, h.VCPU)
			}
		}
	}
	if rendered < 100 {
		t.Errorf("only %d corpus descriptors rendered", rendered)
	}
	t.Logf("rendered the index of %d corpus descriptors", rendered)
}

func BenchmarkRenderIndex(b *testing.B) {
	m := sampleManifest()
	for b.Loop() {
		if _, _, err := Render(m); err != nil {
			b.Fatal(err)
		}
	}
}
