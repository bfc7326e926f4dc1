package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/pflag"
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
