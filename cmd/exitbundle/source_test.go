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
