package index

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// toolOption is one row of testdata/printed-tools.txt.
type toolOption struct {
	value *regexp.Regexp // nil: a flag
	multi bool
}

type toolTable map[string]map[string]toolOption // command -> option (or "ARG") -> format

func readToolTable(t *testing.T) toolTable {
	t.Helper()
	f, err := os.Open("testdata/printed-tools.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab := toolTable{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.SplitN(line, " | ", 4)
		if len(cols) != 4 || cols[3] == "" {
			t.Fatalf("printed-tools.txt:%d: want command | option | value | source, got %q", n, line)
		}
		cmd, opt, val := cols[0], cols[1], cols[2]
		o := toolOption{}
		if val != "-" {
			if v, ok := strings.CutSuffix(val, " ..."); ok {
				val, o.multi = v, true
			}
			o.value = regexp.MustCompile("^(?:" + val + ")$")
		}
		if tab[cmd] == nil {
			tab[cmd] = map[string]toolOption{}
		}
		tab[cmd][opt] = o
	}
	return tab
}

// shellWords splits a printed command line into words as a POSIX shell
// (or PowerShell, for the Hyper-V lines) would group them: quotes and
// parentheses, $(...) included, keep a word together; quotes are kept.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	depth := 0
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ' ' && depth == 0:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// check reports what in line the table does not document.
func (tab toolTable) check(line string) []string {
	if inner, ok := strings.CutPrefix(line, "SAS=$("); ok {
		line = strings.TrimSuffix(inner, ")")
	}
	words := shellWords(line)
	cmd := ""
	for c := range tab {
		if strings.HasPrefix(line+" ", c+" ") && len(c) > len(cmd) {
			cmd = c
		}
	}
	if cmd == "" {
		return []string{"no command of the table starts " + line}
	}
	opts := tab[cmd]
	var bad []string
	rest := words[len(strings.Fields(cmd)):]
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		if !strings.HasPrefix(w, "-") {
			arg, ok := opts["ARG"]
			if !ok || !arg.value.MatchString(w) {
				bad = append(bad, "argument "+w+" is not documented for "+cmd)
			}
			continue
		}
		name, inline, hasInline := strings.Cut(w, "=")
		o, ok := opts[name]
		if !ok {
			bad = append(bad, "option "+name+" is not documented for "+cmd)
			continue
		}
		if o.value == nil {
			if hasInline {
				bad = append(bad, name+" takes no value")
			}
			continue
		}
		var values []string
		if hasInline {
			values = []string{inline}
		} else {
			for i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") {
				i++
				values = append(values, rest[i])
				if !o.multi {
					break
				}
			}
		}
		if len(values) == 0 {
			bad = append(bad, name+" needs a value")
		}
		for _, v := range values {
			if !o.value.MatchString(v) {
				bad = append(bad, name+" "+v+": not a documented value ("+o.value.String()+")")
			}
		}
	}
	return bad
}

// runHere are the commands the printed-commands test of cmd/exitbundle
// runs as printed.
var runHere = []string{"head ", "ssh-keygen ", "echo ", "sha256sum ", "OUT=", "mkdir ", "cp ", "age ", "zstd ", "(cd ", "qemu-img ", "tar ", "virt-install ", "export GOVC_URL=", "govc "}

// TestEveryPrintedCommandOfAnAbsentToolUsesOnlyDocumentedOptions checks
// every line the index prints for a tool that cannot run here (ovftool,
// VBoxManage, virt-v2v, qm, Hyper-V's PowerShell, aws, az, azcopy)
// against the options and value formats their documentation gives,
// recorded with their sources in testdata/printed-tools.txt; the rest
// are run as printed by cmd/exitbundle's
// TestEveryCommandTheBundlesREADMEPrintsRunsHereAsPrinted.
func TestEveryPrintedCommandOfAnAbsentToolUsesOnlyDocumentedOptions(t *testing.T) {
	tab := readToolTable(t)
	secure := sampleManifest()
	secure.VMs[0].Hardware[0].SecureBoot = true
	secure.VMs[1].Hardware[0].Firmware = "efi"
	secure.VMs[1].Hardware[0].SecureBoot = true
	passphrase := sampleManifest()
	passphrase.Encryption = manifest.Encryption{Mode: "age", Passphrase: true}
	checked := 0
	for name, m := range map[string]*manifest.Manifest{"sample": sampleManifest(), "secure boot": secure, "passphrase": passphrase} {
		_, readme, err := Render(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(readme), "\n") {
			line, ok := strings.CutPrefix(l, "    ")
			if !ok || line == "" || line[0] == ' ' {
				continue
			}
			if hasPrefix(line, runHere) {
				continue
			}
			checked++
			for _, problem := range tab.check(line) {
				t.Errorf("%s: %s\n  in: %s", name, problem, line)
			}
		}
	}
	t.Logf("%d printed lines of absent tools checked against testdata/printed-tools.txt", checked)
	if checked < 30 {
		t.Errorf("only %d lines checked against the table", checked)
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestTheToolTableCheckerRejectsWhatTheDocumentationDoesNotSay(t *testing.T) {
	tab := readToolTable(t)
	for _, line := range []string{
		"az vm create -g GROUP -n web --attach-os-disk web-os --os-type linux --security-type Sometimes",
		"Set-VMFirmware -VMName 'web' -SecureBootTemplate MicrosoftUEFICertificateAuthority -Bogus 1",
		"qm set 9001 --bios uefi",
		"azcopy copy web.vhd https://x --blob-type PageBlob",
		"VBoxManage import --dry-run=yes 'x.ovf'",
		"az disk grant-access -g GROUP -n web-os --access-level Write --duration-in-seconds 86400 --query accessSAS -o tsv",
	} {
		if len(tab.check(line)) == 0 {
			t.Errorf("accepted: %s", line)
		}
	}
}
