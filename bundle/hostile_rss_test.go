package bundle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Peak memory of verify on hostile inputs, measured in a fresh process
// (this test binary run again) so that nothing else the tests allocated
// counts: the child verifies one input and prints its VmHWM, the kernel's
// high-water mark of resident memory.

const htRSSEnv = "EXITKIT_TEST_RSS_INPUT"

// TestHelperVerifyRSS is the child: it does nothing unless started by
// TestVerifyPeakMemoryOnHostileInputs.
func TestHelperVerifyRSS(t *testing.T) {
	in := os.Getenv(htRSSEnv)
	if in == "" {
		t.Skip("run by TestVerifyPeakMemoryOnHostileInputs")
	}
	opts := VerifyOptions{Jobs: 2}
	if idFile := os.Getenv(htRSSEnv + "_ID"); idFile != "" {
		data, _ := os.ReadFile(idFile)
		ids, err := age.ParseIdentities(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		opts.Identities = ids
	}
	p := in
	if os.Getenv(htRSSEnv+"_STDIN") != "" {
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, opts.Stdin = "-", f
	}
	r, err := Verify(context.Background(), p, opts)
	if err == nil && r.OK {
		t.Fatal("the hostile input verified")
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Printf("RSS-HWM %s\n", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
		}
	}
}

func htPeakRSS(t *testing.T, input, idFile string, stdin bool) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperVerifyRSS$", "-test.count=1")
	cmd.Env = append(os.Environ(), htRSSEnv+"="+input, htRSSEnv+"_ID="+idFile)
	if stdin {
		cmd.Env = append(cmd.Env, htRSSEnv+"_STDIN=1")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(l, "RSS-HWM "); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(rest, " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("child printed no VmHWM:\n%s", out)
	return 0
}

func TestVerifyPeakMemoryOnHostileInputs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is read from /proc/self/status")
	}
	dir := t.TempDir()
	id := vtIdentity(t)
	idFile := filepath.Join(dir, "id.txt")
	vtWrite(t, idFile, []byte(id.String()+"\n"))

	// An encrypted zstd bomb, signed.
	spec := tbSpec{Compress: true, Recipients: []age.Recipient{id.Recipient()}}
	bomb := vtBuildBag(t, filepath.Join(dir, "bomb"), spec)
	htReplaceStored(t, bomb, "web", "web-disk-1.vmdk", htBomb(t, htBombSize, id.Recipient()), spec)
	bombTar := filepath.Join(dir, "bomb.tar")
	htTagsFirstTar(t, bomb.Dir, bombTar)

	// A zstd frame whose window is 64 MiB: the decoder would allocate it.
	wspec := tbSpec{Compress: true}
	window := vtBuildBag(t, filepath.Join(dir, "window"), wspec)
	var wbuf bytes.Buffer
	zw, err := zstd.NewWriter(&wbuf, zstd.WithWindowSize(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(bytes.Repeat(window.Plain["web/web-disk-1.vmdk"], 64))
	zw.Close()
	htReplaceStored(t, window, "web", "web-disk-1.vmdk", wbuf.Bytes(), wspec)

	// A sparse member of 64 GiB in a tar of a few KiB.
	plain := vtBuildBag(t, filepath.Join(dir, "plain"), tbSpec{})
	sparse := htSparseTar(t, plain, vtStoredPath(t, plain.Manifest, "web", "web-disk-1.vmdk"), 64<<30)

	// Metadata files of 30 MiB each, listed and signed.
	big := vtBuildBag(t, filepath.Join(dir, "big"), tbSpec{})
	junk := bytes.Repeat([]byte("x"), 30<<20)
	for _, name := range []string{"manifest-sha512.txt", IndexFile, BagInfoFile} {
		vtWrite(t, filepath.Join(big.Dir, name), junk)
	}
	vtWrite(t, filepath.Join(big.Dir, "data/vms/web/web.ovf"), junk)
	htResign(t, big)
	bigTar := filepath.Join(dir, "big.tar")
	htTagsFirstTar(t, big.Dir, bigTar)

	for _, tc := range []struct {
		name  string
		input string
		stdin bool
	}{
		{"an encrypted zstd bomb (folder)", bomb.Dir, false},
		{"an encrypted zstd bomb (tar on stdin)", bombTar, true},
		{"a zstd frame with a 64 MiB window (folder)", window.Dir, false},
		{"a 64 GiB sparse member (tar file)", sparse, false},
		{"a 64 GiB sparse member (tar on stdin)", sparse, true},
		{"30 MiB metadata files (folder)", big.Dir, false},
		{"30 MiB metadata files (tar on stdin)", bigTar, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rss := htPeakRSS(t, tc.input, idFile, tc.stdin)
			t.Logf("peak RSS of verify on %s: %.1f MiB", tc.name, float64(rss)/(1<<20))
			if rss > 64<<20 {
				t.Errorf("peak RSS %.1f MiB, over 64 MiB", float64(rss)/(1<<20))
			}
		})
	}
}
