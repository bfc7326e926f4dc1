package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/vcsimx"
	"github.com/exitkit/exitkit/internal/vmdk"
)

func TestAddSourceFlagsTwiceSharesOneHolder(t *testing.T) {
	fs := pflag.NewFlagSet("create", pflag.ContinueOnError)
	a := addSourceFlags(fs)
	b := addSourceFlags(fs)
	if a != b {
		t.Fatal("second call registered a second holder")
	}
	if err := fs.Parse([]string{"--vsphere-thumbprint", "ab:cd", "--insecure", "--include-iso"}); err != nil {
		t.Fatal(err)
	}
	if a.thumbprint != "ab:cd" || !a.insecure || !a.includeImages {
		t.Errorf("flags not set: %+v", a)
	}
}

func TestParseSourceRefusesBadVSphereInputBeforeConnecting(t *testing.T) {
	for _, tc := range []struct {
		src  string
		sf   *sourceFlags
		want string
	}{
		{"vsphere://admin:hunter2@vc.example.com/sdk?vm=web", nil, "must not be in the URL"},
		{"vsphere://admin@vc.example.com/sdk?vm=web", &sourceFlags{thumbprint: "12:34"}, "--vsphere-thumbprint"},
		{"vsphere://admin@vc.example.com/sdk", nil, "say which VMs"},
	} {
		_, err := parseSource(context.Background(), tc.src, tc.sf)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.src, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error shows the password: %v", tc.src, err)
		}
	}
}

func TestCreateExportsFromAVSphereURL(t *testing.T) {
	lab, err := vcsimx.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	dir := t.TempDir()
	raw := bytes.Repeat([]byte("disk bytes "), 100_000)
	f, err := os.Create(filepath.Join(dir, "web.vmdk"))
	if err != nil {
		t.Fatal(err)
	}
	if err := vmdk.WriteStreamOptimized(f, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := lab.AddVM(context.Background(), vcsimx.VMSpec{Name: "web", Folder: "ACME", PowerOn: true,
		Disks: []vcsimx.Disk{{VMDK: f.Name(), Capacity: int64(len(raw))}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.GenerateSigningKey(filepath.Join(dir, "sign")); err != nil {
		t.Fatal(err)
	}
	id, err := keys.GenerateAgeIdentity(filepath.Join(dir, "age.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(vsphere.PasswordEnv, lab.Password)
	out := filepath.Join(dir, "bundle")
	var stderr bytes.Buffer
	code := cli.Run(newRoot(), []string{"create",
		"--source", lab.URL("folder=ACME"), "--vsphere-thumbprint", lab.Thumbprint,
		"--out", out, "--sign-key", filepath.Join(dir, "sign"), "--recipient", id.Recipient().String()}, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "data", "vms", "web", "web.vmdk.age")); err != nil {
		t.Error(err)
	}

	t.Setenv(vsphere.PasswordEnv, "wrong")
	stderr.Reset()
	code = cli.Run(newRoot(), []string{"create",
		"--source", lab.URL("folder=ACME"), "--vsphere-thumbprint", lab.Thumbprint,
		"--out", filepath.Join(dir, "b2"), "--sign-key", filepath.Join(dir, "sign"), "--recipient", id.Recipient().String()}, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "login refused") {
		t.Errorf("wrong password: exit %d\n%s", code, stderr.String())
	}
}

func TestCreateNeverEchoesAVSpherePassword(t *testing.T) {
	dir := t.TempDir()
	if _, err := keys.GenerateSigningKey(filepath.Join(dir, "sign")); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"vsphere://admin:S3cr3tPw@vc.example.com/sdk?vm=web",
		"vsphere://admin:S3/cr3tPw@vc.example.com/sdk?vm=web",
		"vsphere://admin@vc.example.com/sdk?vm=web&password=S3cr3tPw",
		"vsphere://admin@vc.example.com/sdk?color=red&pwd=S3cr3tPw",
	} {
		code, stdout, stderr := runExitbundle(t, "create", "--source", u, "--out", filepath.Join(dir, "b"), "--sign-key", filepath.Join(dir, "sign"))
		if code != cli.ExitUsage || !strings.Contains(stderr, "must not be in the URL") {
			t.Errorf("%s: exit %d, stderr %s", u, code, stderr)
		}
		if strings.Contains(stdout+stderr, "cr3tPw") {
			t.Errorf("%s: the password is repeated:\n%s%s", u, stdout, stderr)
		}
	}
}

func TestCreateRefusesTheSameSourceTwice(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "exports", "web"), 0o755)
	os.WriteFile(filepath.Join(dir, "exports", "db.ova"), nil, 0o644)
	exp := filepath.Join(dir, "exports")
	for _, tt := range []struct {
		a, b, want string
	}{
		{exp, exp, "are the same folder"},
		{exp, exp + "/./", "are the same folder"},
		{filepath.Join(exp, "db.ova"), filepath.Join(exp, "web", "..", "db.ova"), "are the same file"},
		{exp, filepath.Join(exp, "db.ova"), "lies inside"},
		{"vsphere://admin@vc.example.com/sdk?vm=web", "vsphere://admin@VC.example.com/sdk?vm=web", "name the same VMs"},
	} {
		out := filepath.Join(dir, "b")
		code, _, stderr := runExitbundle(t, "create", "--source", tt.a, "--source", tt.b, "--out", out, "--sign-key", filepath.Join(dir, "none"))
		if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, tt.b) {
			t.Errorf("--source %s --source %s: exit %d, stderr %s", tt.a, tt.b, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--source %s --source %s: the output was created", tt.a, tt.b)
		}
	}
}
