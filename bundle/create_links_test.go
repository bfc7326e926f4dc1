package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/fsx"
)

func TestCreateRefusesEverySymlinkPlantedInItsOutput(t *testing.T) {
	fx := newFixture(t, t.TempDir(), 1<<20)
	tests := []struct {
		name    string
		tar     bool
		journal bool   // plant into a genuine unfinished bundle
		link    string // relative to the output folder (or the tar's folder)
		dir     bool   // the link points at a folder
	}{
		{"a stored file's .partial", false, true, "data/vms/web_server/web-disk2.vmdk.partial", false},
		{"data/ itself", false, true, "data", true},
		{"a VM folder", false, true, "data/vms/db", true},
		{"the signature's partial (the journal's .partial)", false, true, IncompleteMarker + ".partial", false},
		{"the tag manifest's partial", false, true, TagManifestFile + ".partial", false},
		{"a partial in a fresh bundle folder", false, false, "bag-info.txt.partial", false},
		{"--tar FILE.partial, without a journal", true, false, "b.tar.partial", false},
		{"--tar FILE.parts", true, false, "b.tar.parts", true},
		{"--tar a .partial inside FILE.parts", true, true, "b.tar.parts/data/vms/web_server/web-disk2.vmdk.partial", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			target := filepath.Join(tmp, "outside")
			if tt.dir {
				os.MkdirAll(target, 0o755)
				os.WriteFile(filepath.Join(target, "keep.txt"), []byte("keep"), 0o644)
			} else {
				os.WriteFile(target, []byte("keep"), 0o644)
			}
			base := filepath.Join(tmp, "b")
			opts := crOptions(t, fx, base)
			opts.Compress = "none"
			if tt.tar {
				base = tmp
				opts.Out, opts.Tar = "", filepath.Join(tmp, "b.tar")
			}
			if tt.journal {
				if _, err := testCreate(context.Background(), opts, seams{wrapOutput: failOn("web-disk2")}); err == nil {
					t.Fatal("the first run did not fail")
				}
			} else if !tt.tar {
				os.MkdirAll(base, 0o755)
			}
			link := filepath.Join(base, filepath.FromSlash(tt.link))
			if tt.dir {
				// Keep what was there inside the link's target, as a planter would.
				if entries, _ := os.ReadDir(link); entries != nil {
					os.RemoveAll(target)
					if err := os.Rename(link, target); err != nil {
						t.Fatal(err)
					}
					os.WriteFile(filepath.Join(target, "keep.txt"), []byte("keep"), 0o644)
				}
			}
			os.RemoveAll(link)
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, target)

			_, err := testCreate(context.Background(), opts)
			if err == nil {
				t.Fatal("create wrote an output holding a symbolic link")
			}
			if !errors.Is(err, fsx.ErrLink) || !strings.Contains(err.Error(), link+" is a symbolic link") {
				t.Errorf("the error does not name the link %s: %v", link, err)
			}
			if code := cli.Code(err); code != cli.ExitUsage {
				t.Errorf("exit %d, want %d", code, cli.ExitUsage)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link itself was changed: %v", err)
			}
			if after := snapshot(t, target); after != before {
				t.Errorf("the link's target changed:\nbefore %s\nafter  %s", before, after)
			}
			if _, err := os.Stat(filepath.Join(tmp, "b", SignatureFile)); err == nil {
				t.Error("the bundle was signed")
			}
			if _, err := os.Stat(filepath.Join(tmp, "b.tar")); err == nil {
				t.Error("the tar was written")
			}
		})
	}
}

// snapshot lists a file or folder tree with every file's content.
func snapshot(t *testing.T, p string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(q)
		if !d.IsDir() {
			data, _ := os.ReadFile(q)
			b.WriteString("=" + sha256Hex(data))
		}
		b.WriteString(";")
		return nil
	})
	return b.String()
}
