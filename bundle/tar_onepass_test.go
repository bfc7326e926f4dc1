package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/bagit/tarsink"
	"github.com/exitkit/exitkit/internal/fsx"
	"github.com/exitkit/exitkit/internal/interop"
)

// The child process of the tests below: it runs create --tar on the
// fixture its parent made, paced when it is to be killed, and reports
// the bytes it wrote as the kernel counts them (wchar of /proc/self/io).
const tarChildEnv = "EXITBUNDLE_TEST_TAR_CHILD"

type tarChild struct {
	fixture  string
	capacity int64
	compress string
	encrypt  bool
	jobs     int
	slow     bool
}

func (c tarChild) env() []string {
	return append(os.Environ(), tarChildEnv+"="+strings.Join([]string{c.fixture, fmt.Sprint(c.capacity), c.compress, fmt.Sprint(c.encrypt), fmt.Sprint(c.jobs), fmt.Sprint(c.slow)}, "|"))
}

func parseTarChild(s string) tarChild {
	f := strings.Split(s, "|")
	capacity, _ := strconv.ParseInt(f[1], 10, 64)
	jobs, _ := strconv.Atoi(f[4])
	return tarChild{fixture: f[0], capacity: capacity, compress: f[2], encrypt: f[3] == "true", jobs: jobs, slow: f[5] == "true"}
}

// tarFixture makes a kill test's fixture, which its child reads back: the
// source files, a signing key (sign.key) and an age identity (age.key),
// in dir.
func tarFixture(t *testing.T, dir string, capacity int64) (*crFixture, ssh.Signer, *age.X25519Identity) {
	fx := newFixture(t, dir, capacity)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sign.key"), pem.EncodeToMemory(block), 0o600)
	id, _ := age.GenerateX25519Identity()
	os.WriteFile(filepath.Join(dir, "age.key"), []byte(id.String()), 0o600)
	return fx, signer, id
}

func (c tarChild) options(t *testing.T, fx *crFixture) CreateOptions {
	opts := childOptions(t, fx, c.fixture)
	if !c.encrypt {
		opts.Recipients, opts.RecipientNames = nil, nil
	}
	opts.Out, opts.Tar = "", filepath.Join(c.fixture, "out.tar")
	opts.Compress, opts.Jobs = c.compress, c.jobs
	return opts
}

func TestTarChild(t *testing.T) {
	spec := os.Getenv(tarChildEnv)
	if spec == "" {
		t.Skip("run by the one-pass tar tests")
	}
	c := parseTarChild(spec)
	fx := newFixture(t, c.fixture, c.capacity)
	if c.slow {
		for _, vm := range fx.source.vms {
			for _, f := range vm.files {
				f.wrap = func(_ int, r io.Reader) io.Reader { return slowReader{r} }
			}
		}
	}
	if _, err := testCreate(context.Background(), c.options(t, fx)); err != nil {
		t.Fatal(err)
	}
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	fmt.Printf("\n%s", io)
}

// create --tar writes each byte of the bundle once: the bytes the
// process writes in all (payload, journal, tag files in FILE.parts and
// again in the tar, headers, progress) are at most 1.02 times the
// bundle's bytes (its files' sizes), for
// files whose stored size is known first (written side by side) and for
// zstd files (written at the tail one at a time).
func TestCreateTarWritesAtMost102PercentOfTheBundlesBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("needs Linux's /proc/PID/io")
	}
	fixture := t.TempDir()
	capacity := int64(16 << 20)
	tarFixture(t, fixture, capacity)
	for _, c := range []tarChild{
		{compress: "none", jobs: 2},
		{compress: "none", encrypt: true, jobs: 2},
		{compress: "zstd", encrypt: true, jobs: 2},
	} {
		name := fmt.Sprintf("compress %s, encrypted %v", c.compress, c.encrypt)
		c.fixture, c.capacity = fixture, capacity
		os.RemoveAll(filepath.Join(fixture, "out.tar"))
		cmd := exec.Command(os.Args[0], "-test.run=^TestTarChild$", "-test.count=1", "-test.v")
		cmd.Env = c.env()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: child: %v\n%s", name, err, out)
		}
		var wchar int64 = -1
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "wchar: "); ok {
				wchar, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		fi, err := os.Stat(filepath.Join(fixture, "out.tar"))
		if err != nil || wchar < 0 {
			t.Fatalf("%s: no tar (%v) or no wchar in:\n%s", name, err, out)
		}
		// The bundle's bytes: every file in the tar (the tar also holds
		// headers, and a hole where the room for the tag files is left).
		bundle := tarFileBytes(t, filepath.Join(fixture, "out.tar"))
		ratio := float64(wchar) / float64(bundle)
		t.Logf("%s: wrote %d bytes for a bundle of %d (a tar of %d): %.4fx", name, wchar, bundle, fi.Size(), ratio)
		if ratio > 1.02 {
			t.Errorf("%s: wrote %d bytes for a bundle of %d (%.3fx), more than 1.02x", name, wchar, bundle, ratio)
		}
	}
}

func tarFileBytes(t *testing.T, p string) int64 {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			n += h.Size
		}
	}
}

// A create --tar killed with SIGKILL, mid-file or between files, with
// files written side by side or at the tail one at a time, is finished
// by the same command: a tar that verify accepts, and GNU tar and
// sha256sum too.
func TestCreateTarResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	tools := interop.Require(t, "tar", "sha256sum")
	for _, c := range []tarChild{
		{compress: "none", encrypt: true, jobs: 2},
		{compress: "zstd", encrypt: true, jobs: 2},
	} {
		t.Run("compress "+c.compress, func(t *testing.T) {
			fixture := t.TempDir()
			fx, signer, id := tarFixture(t, fixture, crCapacity)
			c.fixture, c.capacity, c.slow = fixture, crCapacity, true
			tarPath := filepath.Join(fixture, "out.tar")
			parts := tarPath + tarsink.PartsSuffix
			for _, killAt := range []string{"mid-file", "after-files"} {
				cmd := exec.Command(os.Args[0], "-test.run=^TestTarChild$", "-test.count=1")
				cmd.Env = c.env()
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				before, _ := os.ReadFile(filepath.Join(parts, IncompleteMarker))
				deadline := time.Now().Add(60 * time.Second)
				for {
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						t.Fatalf("child made no progress:\n%s", stderr.String())
					}
					marker, _ := os.ReadFile(filepath.Join(parts, IncompleteMarker))
					lines := bytes.Count(marker, []byte("\n")) - bytes.Count(before, []byte("\n"))
					fi, err := os.Stat(tarPath + fsx.PartialSuffix)
					// FILE.partial begins with 1 MiB of room for the tag files.
					if killAt == "mid-file" && err == nil && len(marker) > 0 && fi.Size() > 1<<20+300_000 {
						break
					}
					if killAt == "after-files" && lines >= 2 {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				isIncomplete(t, parts)
				if _, err := os.Lstat(tarPath); err == nil {
					t.Fatalf("%s: a tar under its final name after a kill", killAt)
				}
			}
			opts := c.options(t, fx)
			var log bytes.Buffer
			opts.Progress = &log
			if _, err := testCreate(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "kept ") {
				t.Errorf("resume kept no file:\n%s", log.String())
			}
			r, err := Verify(context.Background(), tarPath, VerifyOptions{Signer: signer.PublicKey(), Identities: []age.Identity{id}})
			if err != nil || !r.OK {
				t.Fatalf("verify: %v %v", err, vtFailed(r))
			}
			x := t.TempDir()
			if out, err := exec.Command(tools[0], "-xf", tarPath, "-C", x).CombinedOutput(); err != nil {
				t.Fatalf("tar -xf: %v\n%s", err, out)
			}
			sum := exec.Command(tools[1], "-c", "--strict", ManifestFile)
			sum.Dir = filepath.Join(x, "out")
			if out, err := sum.CombinedOutput(); err != nil {
				t.Fatalf("sha256sum -c: %v\n%s", err, out)
			}
			checkBundle(t, filepath.Join(x, "out"), signer.PublicKey(), []age.Identity{id}, fx.want)
		})
	}
}
