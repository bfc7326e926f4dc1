package check

import (
	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/bundle/seal"
	_ "github.com/exitkit/exitkit/internal/golden"

	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyTar feeds arbitrary bytes to verify as a tar: it must report
// or fail, never panic or hang.
func FuzzVerifyTar(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ScanStream(context.Background(), bytes.NewReader(data), ScanOptions{Jobs: 2, Pin: &seal.Pin{Now: time.Now}})
		if err != nil {
			return
		}
		r := Evaluate(res, &seal.Pin{Now: time.Now})
		if r.OK {
			t.Fatal("random bytes verified as a good bundle")
		}
	})
}

// FuzzEvaluateExitManifest judges arbitrary exit-manifest.json, tag
// manifest and descriptor bytes beside a real-looking bag: every check
// must report, never panic, and the Gate must never allow a file the
// signature does not vouch for.
func FuzzEvaluateExitManifest(f *testing.F) {
	f.Add([]byte(`{"format":"exitbundle/1","vms":[{"name":"web","ovf":"data/vms/web/web.ovf","mf":"data/vms/web/web.mf","files":[{"name":"d.vmdk","path":"data/vms/web/d.vmdk.zst","size":10,"compression":"zstd"}]}]}`), []byte("<Envelope/>"), []byte("SHA256(d.vmdk)= 00\n"))
	f.Fuzz(func(t *testing.T, exit, desc, mf []byte) {
		res := &Result{Files: map[string]*Scanned{}}
		put := func(p string, data []byte) {
			res.Files[p] = &Scanned{Path: p, Size: int64(len(data)), SHA256: "00", Data: data}
		}
		put(manifest.ExitManifestFile, exit)
		put(manifest.BagItFile, []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
		put(manifest.ManifestFile, []byte(strings.Repeat("0", 64)+"  data/vms/web/web.ovf\n"))
		put(manifest.TagManifestFile, []byte(strings.Repeat("0", 64)+"  "+manifest.ExitManifestFile+"\n"))
		put("data/vms/web/web.ovf", desc)
		put("data/vms/web/web.mf", mf)
		pin := &seal.Pin{Now: time.Now}
		if g := NewGate(res, pin, false); g.limits != nil {
			t.Fatal("an unsigned bag may be decoded")
		}
		r := Evaluate(res, pin)
		if r.OK {
			t.Fatal("an unsigned bag verified")
		}
		NewGate(res, pin, true)
	})
}
