package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/fsx"
)

// gateReader blocks its first read until open is closed, after saying so
// on started.
type gateReader struct {
	r       io.Reader
	started chan<- struct{}
	open    <-chan struct{}
	once    bool
}

func (g *gateReader) Read(p []byte) (int, error) {
	if !g.once {
		g.once = true
		close(g.started)
		<-g.open
	}
	return g.r.Read(p)
}

func TestASecondCreateIntoTheSameOutputFailsAtOnceNamingTheFirst(t *testing.T) {
	for _, tar := range []bool{false, true} {
		t.Run(fmt.Sprintf("tar %v", tar), func(t *testing.T) {
			fx := newFixture(t, t.TempDir(), 1<<20)
			started, open := make(chan struct{}), make(chan struct{})
			fx.source.vms[1].files[0].wrap = func(n int, r io.Reader) io.Reader {
				if n == 1 {
					return &gateReader{r: r, started: started, open: open}
				}
				return r
			}
			out := filepath.Join(t.TempDir(), "b")
			opts := crOptions(t, fx, out)
			if tar {
				opts.Out, opts.Tar = "", out+".tar"
			}
			first := make(chan error, 1)
			go func() {
				_, err := testCreate(context.Background(), opts)
				first <- err
			}()
			select {
			case <-started:
			case err := <-first:
				t.Fatalf("the first create ended early: %v", err)
			}

			_, err := testCreate(context.Background(), opts)
			close(open)
			if err == nil {
				t.Fatal("a second create ran into the same output")
			}
			if !errors.Is(err, fsx.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d on ", os.Getpid())) || !strings.Contains(err.Error(), ", started ") {
				t.Errorf("the error does not name the holder: %v", err)
			}
			if code := cli.Code(err); code != cli.ExitUsage {
				t.Errorf("exit %d, want %d", code, cli.ExitUsage)
			}
			select {
			case err := <-first:
				if err != nil {
					t.Fatalf("the first create: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the first create did not finish")
			}
			if tar {
				if _, err := Verify(context.Background(), opts.Tar, VerifyOptions{Signer: opts.Signer.PublicKey()}); err != nil {
					t.Fatalf("the first create's bundle: %v", err)
				}
				return
			}
			checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
			if _, err := os.Lstat(filepath.Join(out, manifest.LockFile)); err == nil {
				t.Errorf("the finished bundle still holds %s", manifest.LockFile)
			}
		})
	}
}

func TestALockLeftByADeadCreateIsNoObstacle(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	out := filepath.Join(t.TempDir(), "b")
	opts := crOptions(t, fx, out)
	if _, err := testCreate(context.Background(), opts, seams{wrapOutput: failOn("web-disk2")}); err == nil {
		t.Fatal("the first run did not fail")
	}
	// What a create killed with -9 leaves: its holder file (the flock
	// itself died with it).
	os.WriteFile(filepath.Join(out, manifest.LockFile), []byte("pid 999999 on elsewhere, started 2026-01-01T00:00:00Z\n"), 0o644)
	if _, err := testCreate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
	if _, err := os.Lstat(filepath.Join(out, manifest.LockFile)); err == nil {
		t.Errorf("the finished bundle still holds %s", manifest.LockFile)
	}
}
