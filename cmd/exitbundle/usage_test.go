package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/exitkit/exitkit/internal/cli"
)

func TestCommandLineMistakesSayWhatToDo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"verify with no path", []string{"verify"}, []string{"give the bundle to verify: a folder, a .tar file, or - for a tar on standard input"}},
		{"open with no path", []string{"open", "--out", "x"}, []string{"give the bundle to open: a folder or a .tar file"}},
		{"restore with no path", []string{"restore"}, []string{"give the bundle to open"}},
		{"inspect with no path", []string{"inspect"}, []string{"give the bundle to inspect: a folder or a .tar file"}},
		{"drill with no path", []string{"drill"}, []string{"give the bundle to drill: a folder or a .tar file"}},
		{"keygen with nothing", []string{"keygen"}, []string{"--type sign|age", "--out PATH"}},
		{"create --jobs 0", []string{"create", "--jobs", "0"}, []string{`"0"`, "1 or more (leave --jobs out for one per CPU"}},
		{"verify --jobs -1", []string{"verify", "b", "--jobs", "-1"}, []string{"1 or more"}},
		{"open --jobs 0", []string{"open", "b", "--jobs", "0"}, []string{"1 or more"}},
		{"create --vsphere-host-downloads 0", []string{"create", "--vsphere-host-downloads", "0"}, []string{`"0"`, "downloads to run at once per host, 1 or more"}},
		{"a mistyped flag of create", []string{"create", "--sorce", "x"}, []string{"unknown flag --sorce; did you mean --source?", "Run 'exitbundle create --help'"}},
		{"a mistyped flag of verify", []string{"verify", "b", "--singer", "k"}, []string{"did you mean --signer?"}},
		{"a mistyped flag of keygen", []string{"keygen", "--tpye", "sign"}, []string{"did you mean --type?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runExitbundle(t, tt.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want 2\n%s", code, stderr)
			}
			if strings.Contains(stderr, "accepts 1 arg") {
				t.Errorf("cobra's wording leaked: %s", stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q, want it to say %q", stderr, w)
				}
			}
		})
	}
}

// Cobra shows only the first line of a flag's description in some places
// (completion menus), so a description must be one line to be read whole.
func TestEveryFlagDescriptionIsOneLineWithAPlaceholder(t *testing.T) {
	for _, c := range newRoot().Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "\n") {
				t.Errorf("%s --%s: the description spans lines: %q", c.Name(), f.Name, f.Usage)
			}
			if name, _ := pflag.UnquoteUsage(f); name == "string" || name == "stringArray" || name == "sha256" {
				t.Errorf("%s --%s: shows the Go type %q instead of a placeholder (backquote one word of its description)", c.Name(), f.Name, name)
			}
		})
	}
}

func TestARefusedVSphereSourceNeverEchoesItsPassword(t *testing.T) {
	key := t.TempDir() + "/sign"
	t.Setenv(signPassphraseEnv, "")
	if code, _, stderr := runExitbundle(t, "keygen", "--type", "sign", "--out", key); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	code, _, stderr := runExitbundle(t, "create", "--source", "vsphere://svc:s3cr3t@127.0.0.1:1/sdk?vm=web", "--out", t.TempDir()+"/b", "--sign-key", key)
	if code != cli.ExitUsage || strings.Contains(stderr, "s3cr3t") || !strings.Contains(stderr, "--source vsphere://svc:xxxxx@127.0.0.1:1/sdk?vm=web") {
		t.Errorf("exit %d, want 2 and the URL with its password masked\n%s", code, stderr)
	}
}
