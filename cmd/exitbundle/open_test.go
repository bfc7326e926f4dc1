package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
)

func TestOpenIntoAFolderWithOneVMSuggestsOpeningTheOthersWithVM(t *testing.T) {
	work := t.TempDir()
	writeOVFSource(t, filepath.Join(work, "src", "web"))
	writeOVFSource(t, filepath.Join(work, "src", "db"))
	sign, b := filepath.Join(work, "sign"), filepath.Join(work, "bundle")
	t.Setenv(signPassphraseEnv, "")
	if code, _, stderr := runExitbundle(t, "keygen", "--type", "sign", "--out", sign); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runExitbundle(t, "create", "--source", filepath.Join(work, "src"), "--out", b, "--sign-key", sign); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(work, "restored")
	tests := []struct {
		name     string
		vms      []string
		wantCode int
		want     string
	}{
		{"the first VM opens", []string{"web"}, cli.ExitOK, ""},
		{"all of them then names the VM there and suggests --vm for the other", nil, cli.ExitUsage, "(VM web is already there); restore never overwrites, so choose another output folder or move it away; or open only the VMs not there yet: --vm db"},
		{"the suggestion works", []string{"db"}, cli.ExitOK, ""},
		{"with every VM there, nothing is suggested", nil, cli.ExitUsage, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"open", b, "--out", out, "--signer", sign + ".pub"}
			for _, vm := range tt.vms {
				args = append(args, "--vm", vm)
			}
			code, _, stderr := runExitbundle(t, args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want %d and %q\n%s", code, tt.wantCode, tt.want, stderr)
			}
			if tt.wantCode != cli.ExitOK && tt.vms == nil && strings.Count(stderr, "--vm") > 0 && !strings.Contains(tt.want, "--vm") {
				t.Errorf("suggested --vm with nothing left to open:\n%s", stderr)
			}
		})
	}
	for _, vm := range []string{"web", "db"} {
		if _, err := os.Stat(filepath.Join(out, vm, vm+".ovf")); err != nil {
			t.Error(err)
		}
	}
}
