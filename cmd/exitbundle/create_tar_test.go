package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
)

// create --tar - writes the tar to standard output and its messages to
// standard error; verify accepts the tar.
func TestCreateTarDashStreamsTheBundleToStandardOutput(t *testing.T) {
	work := t.TempDir()
	writeOVFSource(t, filepath.Join(work, "src", "vm1"))
	sign := filepath.Join(work, "sign")
	if code, _, stderr := runExitbundle(t, "keygen", "--type", "sign", "--out", sign); code != 0 {
		t.Fatalf("keygen: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runExitbundle(t, "create", "--source", filepath.Join(work, "src"), "--tar", "-", "--sign-key", sign)
	if code != cli.ExitOK {
		t.Fatalf("create --tar -: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "wrote the tar stream") {
		t.Errorf("stderr lacks the summary:\n%s", stderr)
	}
	names := map[string]bool{}
	tr := tar.NewReader(strings.NewReader(stdout))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stdout is not a tar: %v", err)
		}
		names[h.Name] = true
	}
	if !names["exit-bundle/bagit.txt"] || !names["exit-bundle/tagmanifest-sha256.txt.sig"] {
		t.Errorf("the stream lacks the bag's tag files: %v", names)
	}
	p := filepath.Join(work, "b.tar")
	os.WriteFile(p, []byte(stdout), 0o644)
	if code, out, stderr := runExitbundle(t, "verify", p, "--signer", sign+".pub"); code != cli.ExitOK {
		t.Errorf("verify: exit %d\n%s%s", code, out, stderr)
	}
}

// A stream states each file's size before its data: --tar - with
// compression is refused before anything is read or written.
func TestCreateTarDashRefusesCompression(t *testing.T) {
	for _, c := range []string{"zstd", "auto"} {
		code, stdout, stderr := runExitbundle(t, "create", "--source", "x", "--tar", "-", "--sign-key", "k", "--compress", c)
		if code != cli.ExitUsage || !strings.Contains(stderr, "use --compress none, or --tar FILE") || stdout != "" {
			t.Errorf("--compress %s: exit %d, stdout %d bytes\n%s", c, code, len(stdout), stderr)
		}
	}
}
