package drill

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/qemu"
)

// Report is drill.json.
type Report struct {
	Format         string     `json:"format"` // Format
	Tool           string     `json:"tool"`   // "exitbundle <version>"
	QEMU           string     `json:"qemu"`   // qemu-system-x86_64 --version
	Accel          string     `json:"accel"`  // "kvm" or "tcg" (each boot records its own too)
	Started        time.Time  `json:"started"`
	Ended          time.Time  `json:"ended"`
	Expect         string     `json:"expect,omitempty"` // the --expect marker
	TimeoutSeconds float64    `json:"timeout_seconds"`  // per VM boot
	Bundle         BundleInfo `json:"bundle"`
	VMs            []VMReport `json:"vms"`
	OK             bool       `json:"ok"`
	Summary        string     `json:"summary"`
}

// BundleInfo identifies the bundle drilled and its verification.
type BundleInfo struct {
	Path              string        `json:"path"`
	Created           time.Time     `json:"created"`
	Tool              string        `json:"tool"`
	Provider          string        `json:"provider,omitempty"`
	Customer          string        `json:"customer,omitempty"`
	Description       string        `json:"description,omitempty"`
	SignerFingerprint string        `json:"signer_fingerprint"`
	SignerPinned      bool          `json:"signer_pinned"`
	SignerNote        string        `json:"signer_note,omitempty"`
	TagManifestSHA256 string        `json:"tag_manifest_sha256,omitempty"`
	Verified          bool          `json:"verified"`
	Checks            []CheckResult `json:"checks"`
	TermsFingerprint  string        `json:"terms_fingerprint,omitempty"` // of TERMS.html's module, "sha256:..."
	TermsSHA256       string        `json:"terms_sha256,omitempty"`
}

// CheckResult is one of verify's checks.
type CheckResult struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// VMReport is one VM's drill.
type VMReport struct {
	Name        string   `json:"name"`
	GuestOS     string   `json:"guest_os,omitempty"`
	Firmware    string   `json:"firmware"`
	VCPU        int      `json:"vcpu,omitempty"`
	MemoryMiB   int64    `json:"memory_mib,omitempty"`
	Controllers []string `json:"disk_controllers,omitempty"`

	Verify  string       `json:"verify"` // "pass" or "fail": the bundle's checks of this VM's files
	Restore Restore      `json:"restore"`
	Disks   []DiskReport `json:"disks"`

	Notes      []string     `json:"notes,omitempty"` // what the drill did differently from the VM's own host
	Outcome    string       `json:"outcome"`         // a qemu.Outcome, or "not-booted"
	Passed     bool         `json:"passed"`
	Reason     string       `json:"reason"`
	Screenshot string       `json:"screenshot,omitempty"` // the last one, relative to the report
	Boot       *qemu.Result `json:"boot,omitempty"`       // the evidence, devices and command line
}

// Restore is how restoring a VM's files went.
type Restore struct {
	Seconds float64 `json:"seconds"`
	Bytes   int64   `json:"bytes"` // plaintext
	MBps    float64 `json:"mb_per_s"`
	Error   string  `json:"error,omitempty"`
}

// DiskReport is one disk as booted.
type DiskReport struct {
	File           string  `json:"file"`
	CapacityBytes  int64   `json:"capacity_bytes,omitempty"`
	Controller     string  `json:"controller,omitempty"`
	QCOW2          string  `json:"qcow2"`
	ConvertSeconds float64 `json:"convert_seconds"`
}

// notPinnedNote is what the report says of a signer nobody pinned.
const notPinnedNote = "not pinned: checked against the bundle's own signer.pub; compare its fingerprint with the one the provider published"

// writeReport writes drill.html, then drill.json and its signature. Each
// goes to a temporary name first, so a report that is there is whole.
func writeReport(out string, r *Report, signer ssh.Signer) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("drill: report: %w", err)
	}
	js = append(js, '\n')
	html, err := renderHTML(out, r)
	if err != nil {
		return fmt.Errorf("drill: report: %w", err)
	}
	var sig []byte
	if signer != nil {
		s, err := sshsig.Sign(bytes.NewReader(js), signer, sshsig.HashSHA512, Namespace)
		if err != nil {
			return fmt.Errorf("drill: sign %s: %w", JSONFile, err)
		}
		sig = sshsig.Armor(s)
	}
	if err := writeNew(filepath.Join(out, HTMLFile), html); err != nil {
		return err
	}
	if sig != nil {
		if err := writeNew(filepath.Join(out, SignatureFile), sig); err != nil {
			return err
		}
	}
	return writeNew(filepath.Join(out, JSONFile), js)
}

// writeNew writes a file that must not exist yet, whole and durably,
// never over an existing name and never through a link.
func writeNew(p string, data []byte) error {
	if err := fsx.WriteNewFile(p, data, 0o644); err != nil {
		return fmt.Errorf("drill: %s: %w", p, err)
	}
	return nil
}

//go:embed drill.html.tmpl
var htmlTemplate string

var tmpl = template.Must(template.New("drill").Funcs(template.FuncMap{
	"dur":   func(s float64) string { return fmt.Sprintf("%.1f s", s) },
	"mbps":  func(v float64) string { return fmt.Sprintf("%.1f MiB/s", v*1e6/(1<<20)) }, // as sizes are in MiB
	"human": human,
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"ns":    func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) },
	"join":  strings.Join,
}).Parse(htmlTemplate))

type htmlVM struct {
	VMReport
	ScreenshotData template.URL // data: URI of the last screenshot
}

// renderHTML fills the template. html/template escapes every string from
// the bundle or the guest; the only value marked safe is the data: URI
// of a PNG this drill took.
func renderHTML(out string, r *Report) ([]byte, error) {
	var vms []htmlVM
	for _, v := range r.VMs {
		h := htmlVM{VMReport: v}
		if v.Screenshot != "" {
			if b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(v.Screenshot))); err == nil && bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				h.ScreenshotData = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
			}
		}
		vms = append(vms, h)
	}
	var b bytes.Buffer
	err := tmpl.Execute(&b, struct {
		*Report
		HTMLVMs   []htmlVM
		Namespace string
	}{r, vms, Namespace})
	return b.Bytes(), err
}
