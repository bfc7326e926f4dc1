package ovf

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusDir holds the shared descriptor corpus (see its NOTICE.md). It is
// not part of the repository; the test skips where it is absent.
const corpusDir = "../../../shared/testdata/ovf-corpus"

func corpusFiles(t testing.TB) []string {
	dir := corpusDir
	if d := os.Getenv("EXITKIT_OVF_CORPUS"); d != "" {
		dir = d
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("OVF corpus not found at %s (set EXITKIT_OVF_CORPUS): %v", dir, err)
	}
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(path), ".ovf") {
			files = append(files, path)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skipf("no .ovf files under %s", dir)
	}
	return files
}

// summary is one line a person could read about a parsed descriptor.
func summary(d *Descriptor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "files=%d disks=%d", len(d.Files), len(d.Disks))
	for _, s := range d.Systems {
		fmt.Fprintf(&b, " | %s os=%q cpu=%d mem=%d fw=%s ctl=%v nics=%d disks=%d", s.Name, s.GuestOS, s.VCPU, s.MemoryMiB, s.Firmware, s.DiskControllers, len(s.NICs), len(s.Disks))
	}
	return b.String()
}

func TestEveryCorpusDescriptorParsesOrFailsClearly(t *testing.T) {
	files := corpusFiles(t)
	var parsed, failed int
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			d   *Descriptor
			err error
			p   any
		}
		done := make(chan result, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- result{p: p}
				}
			}()
			d, err := Parse(bytes.NewReader(data))
			done <- result{d: d, err: err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: Parse did not return within 20s", path)
		}
		rel, _ := filepath.Rel(corpusDir, path)
		switch {
		case r.p != nil:
			t.Errorf("%s: Parse panicked: %v", rel, r.p)
		case r.err != nil:
			failed++
			if !strings.HasPrefix(r.err.Error(), "ovf: ") || len(r.err.Error()) < 20 {
				t.Errorf("%s: unclear error %q", rel, r.err)
			}
			if testing.Verbose() {
				t.Logf("rejected %s: %v", rel, r.err)
			}
		default:
			parsed++
			if len(r.d.Systems) == 0 {
				t.Errorf("%s: parsed without a VirtualSystem", rel)
			}
			for _, s := range r.d.Systems {
				if s.Firmware != "bios" && s.Firmware != "efi" {
					t.Errorf("%s: firmware %q", rel, s.Firmware)
				}
			}
			if testing.Verbose() {
				t.Logf("parsed %s: %s", rel, summary(r.d))
			}
			checkRewriteKeepsBytes(t, rel, data, r.d)
		}
	}
	t.Logf("%d descriptors: %d parsed, %d rejected with an error", len(files), parsed, failed)
}

// checkRewriteKeepsBytes renames every file and checks that Parse reads
// back the new names and sizes while the rest of the descriptor is unchanged.
func checkRewriteKeepsBytes(t *testing.T, rel string, data []byte, d *Descriptor) {
	t.Helper()
	files := map[string]FileRef{}
	for i, f := range d.Files {
		files[f.Href] = FileRef{Href: fmt.Sprintf("renamed-%d.bin", i), Size: int64(1000 + i)}
	}
	if len(files) < len(d.Files) {
		return // duplicate hrefs: both are rewritten; not worth a special check
	}
	out, err := Rewrite(data, files)
	if err != nil {
		t.Errorf("%s: Rewrite: %v", rel, err)
		return
	}
	d2, err := Parse(bytes.NewReader(out))
	if err != nil {
		t.Errorf("%s: Parse after Rewrite: %v", rel, err)
		return
	}
	for i, f := range d2.Files {
		if f.Href != fmt.Sprintf("renamed-%d.bin", i) || f.Size != int64(1000+i) {
			t.Errorf("%s: after Rewrite file %d is %q size %d", rel, i, f.Href, f.Size)
		}
	}
	if summary(d) != summary(d2) {
		t.Errorf("%s: Rewrite changed the hardware:\n%s\n%s", rel, summary(d), summary(d2))
	}
}
