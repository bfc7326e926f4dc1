// Package index renders a bundle's human-readable index, index.html and
// README.txt, from its exit manifest alone: what the bundle holds, whose it
// is, and the exact stock-tool commands to verify, decrypt and restart each
// VM. Call Render, or RenderFS with a provider's own templates (see
// templates.Open); create renders it once, just before signing.
package index

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/templates"
)

// The index templates, under templates/bundle/ (overridable with
// templates.Open). index.md.tmpl is rendered twice from the same data:
// once as Markdown for index.html and once as plain text for README.txt,
// so the two always say the same.
const (
	indexTemplate  = "bundle/index.md.tmpl"
	layoutTemplate = "bundle/index.html"
	styleSheet     = "bundle/index.css"
)

// allowedSignersPath is where the index's commands write the
// allowed_signers file: outside the bundle, which may be on a read-only
// drive and must not gain unlisted files.
const allowedSignersPath = `"${TMPDIR:-/tmp}/allowed_signers"`

// signerKeyPath is where the index's commands put the one key the reader
// compares and then trusts: the first line of signer.pub, or the key line
// the provider publishes. allowed_signers is built from this file alone,
// so a second line planted in signer.pub is never trusted.
const signerKeyPath = `"${TMPDIR:-/tmp}/exitbundle-signer.pub"`

// mfToCoreutils turns a VMware .mf ("SHA256(file)= hex") into the lines
// shasum -c and sha256sum -c read ("hex  file"); macOS's shasum rejects
// the .mf form.
const mfToCoreutils = `sed -E 's/^SHA256\((.*)\)= ([0-9a-fA-F]{64})$/\2  \1/'`

// restoreDir is the index's suggestion for the OUT folder that restored
// VMs are written to.
const restoreDir = "~/exitbundle-restored"

// outPath is rel inside the restore folder, quoted for the shell.
func outPath(rel string) string { return `"$OUT"/` + ShellQuote(rel) }

// SignerIdentity is the principal the index's commands put in the
// allowed_signers file; ssh-keygen -Y verify -I must name the same.
const SignerIdentity = "exitbundle-signer"

// Render renders the bundle's human-readable index, index.html and
// README.txt, from its exit manifest alone, with the default templates.
func Render(m *manifest.Manifest) (indexHTML, readme []byte, err error) {
	return RenderFS(templates.Default(), m)
}

// RenderFS is Render with the templates of fsys (see
// templates.Open for a provider's own branding).
//
// Every string that came from outside (VM names, guest OS descriptions,
// network names, the provider's texts) is escaped for Markdown before
// goldmark sees it, and goldmark drops raw HTML, so no descriptor can
// inject markup into the page. File names in commands are shell-quoted.
func RenderFS(fsys fs.FS, m *manifest.Manifest) (indexHTML, readme []byte, err error) {
	return RenderWith(fsys, m, Options{})
}

// Options are the choices of the one who makes the bundle about what its
// index shows. The zero value is what a third party should get.
type Options struct {
	// ShowOrigin prints where each VM was exported from (a vCenter URL or
	// a folder on the provider's machine). Off by default: the index goes
	// to trustees and auditors, and the provider's internal addresses are
	// none of their business; the index then names only the kind of
	// source. exit-manifest.json keeps the origin either way.
	ShowOrigin bool
}

// RenderWith is RenderFS with the maker's Options.
func RenderWith(fsys fs.FS, m *manifest.Manifest, opts Options) (indexHTML, readme []byte, err error) {
	if m == nil {
		return nil, nil, fmt.Errorf("render index: no manifest")
	}
	src, err := fs.ReadFile(fsys, indexTemplate)
	if err != nil {
		return nil, nil, fmt.Errorf("render index: %w", err)
	}
	view := newIndexView(m, opts)
	if err := overrideRestartGuides(fsys, m, view); err != nil {
		return nil, nil, fmt.Errorf("render index: %w", err)
	}

	md, err := execIndex(src, view, false)
	if err != nil {
		return nil, nil, err
	}
	text, err := execIndex(src, view, true)
	if err != nil {
		return nil, nil, err
	}

	var body bytes.Buffer
	gm := goldmark.New(
		goldmark.WithExtensions(extension.Table),
		goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithAttribute()),
	)
	if err := gm.Convert(md, &body); err != nil {
		return nil, nil, fmt.Errorf("render index: markdown: %w", err)
	}

	layout, err := fs.ReadFile(fsys, layoutTemplate)
	if err != nil {
		return nil, nil, fmt.Errorf("render index: %w", err)
	}
	css, err := fs.ReadFile(fsys, styleSheet)
	if err != nil {
		return nil, nil, fmt.Errorf("render index: %w", err)
	}
	lt, err := htmltemplate.New(path.Base(layoutTemplate)).Parse(string(layout))
	if err != nil {
		return nil, nil, fmt.Errorf("render index: %s: %w", layoutTemplate, err)
	}
	var page bytes.Buffer
	err = lt.Execute(&page, struct {
		Title string
		CSS   htmltemplate.CSS
		Body  htmltemplate.HTML
	}{
		Title: view.Title,
		CSS:   htmltemplate.CSS(css),            // the provider's own file, not input
		Body:  htmltemplate.HTML(body.String()), // goldmark output of escaped Markdown, raw HTML omitted
	})
	if err != nil {
		return nil, nil, fmt.Errorf("render index: %s: %w", layoutTemplate, err)
	}
	return page.Bytes(), text, nil
}

func execIndex(src []byte, view *indexView, plain bool) ([]byte, error) {
	t, err := template.New(path.Base(indexTemplate)).Funcs(indexFuncs(plain)).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("render index: %s: %w", indexTemplate, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, view); err != nil {
		return nil, fmt.Errorf("render index: %s: %w", indexTemplate, err)
	}
	// Templates leave runs of blank lines where sections are skipped.
	b := out.Bytes()
	for bytes.Contains(b, []byte("\n\n\n")) {
		b = bytes.ReplaceAll(b, []byte("\n\n\n"), []byte("\n\n"))
	}
	return b, nil
}

// indexFuncs are the template functions: text escapes a string for the
// output (Markdown or plain), code lays out a block of commands, table a
// table, both in the form of the output.
func indexFuncs(plain bool) template.FuncMap {
	esc := markdownEscape
	if plain {
		esc = plainText
	}
	return template.FuncMap{
		"text":  esc,
		"plain": func() bool { return plain },
		"code": func(lines []string) string {
			if plain {
				var b strings.Builder
				for _, l := range lines {
					b.WriteString("    " + l + "\n")
				}
				return b.String()
			}
			// A tilde fence longer than anything a quoted name can hold.
			return "~~~~~~~~~~ sh\n" + strings.Join(lines, "\n") + "\n~~~~~~~~~~\n"
		},
		"table": func(t textTable) string {
			if plain {
				return t.plain()
			}
			return t.markdown()
		},
		"join": strings.Join,
		// link is a link in index.html and its text in README.txt.
		"link": func(text, href string) string {
			if plain {
				return esc(text)
			}
			return "[" + markdownEscape(text) + "](" + href + ")"
		},
		// mono sets a fingerprint or key in monospace in index.html.
		"mono": func(s string) string {
			if plain {
				return esc(s)
			}
			return codeSpan(s)
		},
		// anchor gives a heading a stable id in index.html (literal
		// template text, never input).
		"anchor": func(id string) string {
			if plain {
				return ""
			}
			return " {#" + id + "}"
		},
		// strong emphasises literal template text (never input).
		"strong": func(s string) string {
			if plain {
				return s
			}
			return "**" + s + "**"
		},
	}
}

// markdownEscape makes s literal text in Markdown: every ASCII
// punctuation character is backslash-escaped (CommonMark allows that for
// all of them), control characters become spaces. No link, emphasis,
// HTML tag, entity or table cell border survives.
func markdownEscape(s string) string {
	var b strings.Builder
	for _, r := range plainText(s) {
		if r < 0x80 && unicode.IsPunct(r) || r < 0x80 && unicode.IsSymbol(r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plainText removes what would break the layout of a line: control
// characters (newlines included) become spaces.
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// ShellQuote quotes s for POSIX shells as the bundle's index does: single
// quotes when needed, and $'...' with escapes for control characters, so
// that a quoted name is always one line. Use it to print commands a person
// will paste.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	ctrl := false
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			ctrl, safe = true, false
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._-/+=:,@%", r):
		default:
			safe = false
		}
	}
	if safe {
		return s
	}
	if !ctrl {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// table is a table the template lays out as Markdown or plain text.
type textTable struct {
	Head []string
	Rows [][]string
	// MonoCols and MonoRows (by the first cell's text) mark the cells set
	// in monospace in index.html: fingerprints, keys and hashes.
	MonoCols []int
	MonoRows []string
}

func (t textTable) mono(row []string, col int) bool {
	return slices.Contains(t.MonoCols, col) || col > 0 && len(row) > 0 && slices.Contains(t.MonoRows, row[0])
}

// codeSpan makes s a Markdown code span that stays one table cell: a
// backtick fence longer than any run in s, pipes escaped (GFM tables
// unescape them before inline parsing).
func codeSpan(s string) string {
	s = plainText(s)
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

func (t textTable) markdown() string {
	var b strings.Builder
	row := func(cells []string, body bool) {
		b.WriteString("|")
		for i, c := range cells {
			if body && t.mono(cells, i) && c != "-" {
				b.WriteString(" " + codeSpan(c) + " |")
			} else {
				b.WriteString(" " + markdownEscape(c) + " |")
			}
		}
		b.WriteString("\n")
	}
	row(t.Head, false)
	b.WriteString("|")
	for range t.Head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r, true)
	}
	return b.String()
}

func (t textTable) plain() string {
	width := make([]int, len(t.Head))
	all := append([][]string{t.Head}, t.Rows...)
	for _, r := range all {
		for i, c := range r {
			if i < len(width) {
				width[i] = max(width[i], len([]rune(plainText(c))))
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i >= len(width) {
				break
			}
			c = plainText(c)
			l.WriteString("  " + c + strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(t.Head)
	sep := make([]string, len(width))
	for i, w := range width {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}

// indexView is everything the template shows, computed here so that the
// template only lays it out.
type indexView struct {
	Title       string
	ID          string // bundle identifier, "" when the manifest has none
	Created     string
	Tool        string
	Provider    string
	Customer    string
	Contact     string
	Description string
	Fingerprint string
	PublicKey   string
	Identity    string

	Encrypted      bool
	Passphrase     bool
	PassphraseOnly bool
	Recipients     []string
	Compressed     bool
	Terms          *manifest.Terms
	HasTerms       bool
	VMCount        int
	FileCount      int
	PayloadSize    string
	StoredSize     string

	Deadlines  []string
	ShowOrigin bool

	Facts    textTable
	Clauses  textTable
	About    textTable
	Summary  textTable
	VMs      []vmView
	Verify   []string
	SetOut   []string
	Identify []string // fingerprint check
}

// Anchor is the index.html id of VM i's section (1-based, in the
// manifest's order): names are sanitized but need not be valid ids.
func (v vmView) Anchor() string { return fmt.Sprintf("vm-%d", v.Index) }

type vmView struct {
	Index    int
	Name     string
	Origin   string
	Dir      string
	Restored string
	Systems  []systemView
	Files    textTable
	Restore  []string // decrypt/decompress/copy into restored/<vm>/
	Check    []string // sha256sum -c <vm>.mf
	CheckMac []string // the same with macOS's shasum
	Targets  []restartTarget
	Pitfalls []string
}

type systemView struct {
	Name  string
	Facts textTable
	Disks textTable
	NICs  textTable
}

type restartTarget struct {
	Name  string
	Steps []restartStep
	Lines []string // every command of all steps, in order
}

// restartStep is a note and the commands it explains.
type restartStep struct {
	Note  string
	Lines []string
}

func newIndexView(m *manifest.Manifest, opts Options) *indexView {
	v := &indexView{
		ID:             m.ID,
		ShowOrigin:     opts.ShowOrigin,
		Tool:           m.Tool,
		Provider:       dashIfEmpty(m.Provider),
		Customer:       dashIfEmpty(m.Customer),
		Contact:        m.Contact,
		Description:    m.Description,
		Fingerprint:    dashIfEmpty(m.Signer.Fingerprint),
		PublicKey:      strings.TrimSpace(m.Signer.PublicKey),
		Identity:       SignerIdentity,
		Encrypted:      m.Encryption.Mode == "age",
		Passphrase:     m.Encryption.Passphrase,
		PassphraseOnly: m.Encryption.Passphrase && len(m.Encryption.Recipients) == 0,
		Recipients:     m.Encryption.Recipients,
		Terms:          m.Terms,
		HasTerms:       m.Terms != nil,
		VMCount:        len(m.VMs),
	}
	if !m.Created.IsZero() {
		v.Created = m.Created.UTC().Format("2006-01-02 15:04 UTC")
	} else {
		v.Created = "unknown"
	}
	v.Title = "Exit bundle"
	if m.Customer != "" {
		v.Title += " for " + plainText(m.Customer)
	}
	if m.Provider != "" {
		v.Title += " from " + plainText(m.Provider)
	}

	var payload, stored int64
	// Controllers and NICs are in each VM's own section: with them the
	// summary would not fit a phone.
	v.Summary = textTable{Head: []string{"VM", "Guest OS", "vCPU", "Memory", "Firmware", "Disks"}}
	for _, vm := range m.VMs {
		for _, f := range vm.Files {
			payload += f.Size
			stored += f.StoredSize
			v.FileCount++
			if f.Compression != "" && f.Compression != "none" {
				v.Compressed = true
			}
		}
		for _, h := range vm.Hardware {
			name := vm.Name
			if h.Name != "" && h.Name != vm.Name {
				name += " / " + h.Name
			}
			var disks []string
			for _, d := range h.Disks {
				disks = append(disks, shortBytes(d.CapacityBytes))
			}
			v.Summary.Rows = append(v.Summary.Rows, []string{
				name, dashIfEmpty(guestOSText(h.GuestOS)), countOrDash(int64(h.VCPU)), memoryText(h.MemoryMiB), firmwareName(h.Firmware),
				dashIfEmpty(strings.Join(disks, ", ")),
			})
		}
		if len(vm.Hardware) == 0 {
			v.Summary.Rows = append(v.Summary.Rows, []string{vm.Name, "unknown", "unknown", "unknown", "-", "-"})
		}
		vv := newVMView(m, vm, opts)
		vv.Index = len(v.VMs) + 1
		v.VMs = append(v.VMs, vv)
	}
	enc := "none: the payload is readable by anyone holding the bundle"
	if v.Encrypted {
		var to []string
		if m.Encryption.Passphrase {
			to = append(to, "a passphrase")
		}
		to = append(to, m.Encryption.Recipients...)
		enc = "age, per file, to " + strings.Join(to, ", ")
	}
	v.Facts = textTable{Head: []string{"Item", "Details"}, Rows: [][]string{
		{"Bundle identifier", dashIfEmpty(m.ID)},
		{"Provider (made the bundle)", v.Provider},
		{"Customer (owns the data)", v.Customer},
		{"Contact", dashIfEmpty(m.Contact)},
		{"Created", v.Created},
		{"Signer fingerprint", v.Fingerprint},
		{"Encryption", enc},
	}, MonoRows: []string{"Bundle identifier", "Signer fingerprint"}}
	compression := dashIfEmpty(m.Compression)
	v.About = textTable{Head: []string{"Item", "Details"}, Rows: [][]string{
		{"Format", dashIfEmpty(m.Format)},
		{"Made with", dashIfEmpty(m.Tool)},
		{"Created", v.Created},
		{"Compression requested", compression},
		{"Signer public key", dashIfEmpty(v.PublicKey)},
	}, MonoRows: []string{"Signer public key", "Exit terms"}}
	if m.Terms != nil {
		v.Clauses = textTable{Head: []string{"Clause", "Version", "Language", "Fingerprint"}, MonoCols: []int{3}}
		for _, c := range m.Terms.Clauses {
			v.Clauses.Rows = append(v.Clauses.Rows, []string{c.ID, c.Version, c.Lang, c.Fingerprint})
		}
		v.About.Rows = append(v.About.Rows, []string{"Exit terms", m.Terms.File + " (" + m.Terms.Fingerprint + ")"})
		v.Deadlines = deadlines(m.Terms.Values)
	}
	v.PayloadSize = indexBytes(payload)
	v.StoredSize = indexBytes(stored)
	v.Identify = []string{
		"head -n 1 " + manifest.SignerFile + " > " + signerKeyPath,
		"ssh-keygen -l -f " + signerKeyPath,
	}
	v.Verify = []string{
		fmt.Sprintf(`echo "%s namespaces=\"%s\" $(cat %s)" > %s`, SignerIdentity, manifest.SignatureNamespace, signerKeyPath, allowedSignersPath),
		fmt.Sprintf("ssh-keygen -Y verify -f %s -I %s -n %s -s %s < %s", allowedSignersPath, SignerIdentity, manifest.SignatureNamespace, manifest.SignatureFile, manifest.TagManifestFile),
		fmt.Sprintf("ssh-keygen -Y check-novalidate -n %s -s %s < %s", manifest.SignatureNamespace, manifest.SignatureFile, manifest.TagManifestFile),
		"sha256sum -c " + manifest.TagManifestFile,
		"sha256sum -c " + manifest.ManifestFile,
	}
	v.SetOut = []string{"OUT=" + restoreDir, `mkdir -p "$OUT"`}
	return v
}

func newVMView(m *manifest.Manifest, vm manifest.VM, opts Options) vmView {
	dir := path.Dir(vm.OVF)
	if vm.OVF == "" {
		dir = manifest.PayloadDir + "/" + vm.Name
	}
	out := vm.Name // inside $OUT
	origin := originKind(vm.Origin)
	if opts.ShowOrigin {
		origin = vm.Origin
	}
	v := vmView{Name: vm.Name, Origin: origin, Dir: dir, Restored: "$OUT/" + plainText(vm.Name)}
	v.Files = textTable{Head: []string{"File", "Role", "Size", "Stored as", "Stored size"}}
	v.Restore = []string{"mkdir -p " + outPath(out)}
	sizeByName := map[string]int64{}
	hasNVRAM := false
	for _, f := range vm.Files {
		sizeByName[f.Name] = f.Size
		if f.Role == manifest.RoleNVRAM {
			hasNVRAM = true
		}
		storedAs := path.Base(f.Path)
		if f.Encrypted {
			storedAs += " (age)"
		}
		v.Files.Rows = append(v.Files.Rows, []string{f.Name, f.Role, indexBytes(f.Size), storedAs, indexBytes(f.StoredSize)})
		v.Restore = append(v.Restore, restoreCommand(f, out+"/"+f.Name, identityArg(m.Encryption)))
	}
	if vm.MF != "" {
		v.Check = []string{"(cd " + outPath(out) + " && sha256sum -c " + ShellQuote(path.Base(vm.MF)) + ")"}
		v.CheckMac = []string{"(cd " + outPath(out) + " && " + mfToCoreutils + " " + ShellQuote(path.Base(vm.MF)) + " | shasum -a 256 -c)"}
	}
	for _, h := range vm.Hardware {
		v.Systems = append(v.Systems, newSystemView(h, sizeByName))
	}
	v.Targets, v.Pitfalls = restartGuide(m, vm, out, hasNVRAM)
	return v
}

// identityArg is age's identity option in the index's commands: none for
// a passphrase-only bundle, where age asks for the passphrase.
func identityArg(e manifest.Encryption) string {
	if e.Passphrase && len(e.Recipients) == 0 {
		return ""
	}
	return "-i key.txt "
}

func restoreCommand(f manifest.File, dst, identity string) string {
	src := ShellQuote(f.Path)
	d := outPath(dst)
	zstd := f.Compression == "zstd"
	switch {
	case f.Encrypted && zstd:
		return fmt.Sprintf("age -d %s%s | zstd -d -o %s", identity, src, d)
	case f.Encrypted:
		return fmt.Sprintf("age -d %s-o %s %s", identity, d, src)
	case zstd:
		return fmt.Sprintf("zstd -d -o %s %s", d, src)
	default:
		return fmt.Sprintf("cp %s %s", src, d)
	}
}

func newSystemView(h manifest.VMHardware, sizeByName map[string]int64) systemView {
	s := systemView{Name: h.Name}
	s.Facts = textTable{Head: []string{"Property", "Value"}, Rows: [][]string{
		{"Guest OS", dashIfEmpty(guestOSText(h.GuestOS))},
		{"vCPU", countOrDash(int64(h.VCPU))},
		{"Memory", memoryText(h.MemoryMiB)},
		{"Firmware", firmwareName(h.Firmware)},
		{"Disk controllers", dashIfEmpty(strings.Join(h.DiskControllers, ", "))},
	}}
	if h.Firmware == "efi" {
		sb := "off"
		if h.SecureBoot {
			sb = "on"
		}
		s.Facts.Rows = append(s.Facts.Rows, []string{"Secure Boot (on the source)", sb})
	}
	// The data in use is shown only when the descriptor gives it
	// (ovf:populatedSize); most exports leave it out, and a column of
	// dashes explains nothing.
	populated := slices.ContainsFunc(h.Disks, func(d manifest.Disk) bool { return d.PopulatedBytes > 0 })
	s.Disks = textTable{Head: []string{"Disk file", "Capacity", "File size", "Controller"}}
	if populated {
		s.Disks.Head = []string{"Disk file", "Capacity", "File size", "Data in use (source's figure)", "Controller"}
	}
	for _, d := range h.Disks {
		size := "-"
		if n, ok := sizeByName[d.File]; ok {
			size = indexBytes(n)
		}
		row := []string{dashIfEmpty(d.File), indexBytes(d.CapacityBytes), size}
		if populated {
			pop := "not given"
			if d.PopulatedBytes > 0 {
				pop = indexBytes(d.PopulatedBytes)
			}
			row = append(row, pop)
		}
		s.Disks.Rows = append(s.Disks.Rows, append(row, dashIfEmpty(d.Controller)))
	}
	s.NICs = textTable{Head: []string{"Network", "Adapter"}}
	for _, n := range h.NICs {
		s.NICs.Rows = append(s.NICs.Rows, []string{dashIfEmpty(n.Network), dashIfEmpty(n.Adapter)})
	}
	return s
}

// originKind names the kind of source an origin is, without its address.
func originKind(origin string) string {
	switch {
	case origin == "":
		return ""
	case strings.HasPrefix(origin, "vsphere://"):
		return "a vSphere inventory"
	case strings.Contains(strings.ToLower(origin), ".ova"):
		return "an OVA file"
	case strings.HasPrefix(origin, "folder"):
		return "an OVF export folder"
	}
	return "the provider's systems"
}

func dashIfEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func countOrDash(n int64) string {
	if n <= 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}

func memoryText(mib int64) string {
	if mib <= 0 {
		return "unknown"
	}
	if mib%1024 == 0 {
		return fmt.Sprintf("%d GiB", mib/1024)
	}
	return fmt.Sprintf("%d MiB", mib)
}

func firmwareName(fw string) string {
	switch fw {
	case "efi":
		return "UEFI"
	case "bios", "":
		return "BIOS"
	}
	return fw
}

// shortBytes prints a byte count in binary units only, for tight tables.
func shortBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return manifest.HumanBytes(n)
}

// indexBytes prints a byte count exactly and, above 1 KiB, also in
// binary units: "7340032 bytes (7.0 MiB)".
func indexBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d bytes (%s)", n, manifest.HumanBytes(n))
}
