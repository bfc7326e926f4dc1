package demo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle"
)

// topLevel lists the names in dir, sorted.
func topLevel(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// assertDemoLayout checks the files a user is told about and the three VMs.
func assertDemoLayout(t *testing.T, res *Result) {
	t.Helper()
	for _, p := range []string{
		filepath.Join(res.Dir, "keys", "signing-key"),
		filepath.Join(res.Dir, "keys", "signing-key.pub"),
		filepath.Join(res.Dir, "keys", "age-identity.txt"),
		filepath.Join(res.Dir, "bundle", bundle.IndexFile),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	var vms []string
	for _, vm := range res.Manifest.VMs {
		vms = append(vms, vm.Name)
	}
	slices.Sort(vms)
	if !slices.Equal(vms, []string{"db", "mail", "web"}) {
		t.Errorf("VMs %v, want db, mail, web", vms)
	}
	if !res.Report.OK {
		t.Errorf("bundle does not verify: %v", res.Report.Err())
	}
}

func TestRunTwiceIntoTheSameFolderReplacesTheEarlierDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	first, err := Run(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	assertDemoLayout(t, first)
	firstKey, _ := os.ReadFile(first.SigningKey + ".pub")
	marker, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := parseMarker(marker)
	if err != nil {
		t.Fatal(err)
	}
	wrote := topLevel(t, dir)
	for _, got := range wrote {
		if got != MarkerFile && !slices.Contains(listed, got) {
			t.Fatalf("the demo wrote %s, which its marker (%v) does not list", got, listed)
		}
	}
	// Follow the demo's printed advice: the stock-tool decryption and the
	// drill write into folders the marker claims, so a rerun still works.
	for _, f := range []string{filepath.Join(RestoredDir, "db.vmdk"), filepath.Join(DrillDir, "drill.json")} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("what the printed commands wrote"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var progress bytes.Buffer
	second, err := Run(context.Background(), Options{Dir: dir, Progress: &progress})
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, progress.String())
	}
	assertDemoLayout(t, second)
	if !strings.Contains(progress.String(), "replacing the earlier demo in") {
		t.Errorf("the rerun did not say it replaces the earlier demo:\n%s", progress.String())
	}
	if secondKey, _ := os.ReadFile(second.SigningKey + ".pub"); bytes.Equal(firstKey, secondKey) {
		t.Error("the rerun kept the earlier signing key instead of writing a new one")
	}
	if got := topLevel(t, dir); !sameSet(got, wrote) {
		t.Errorf("after the rerun the folder holds %v, want what the first run wrote, %v (the printed commands' output replaced)", got, wrote)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// earlierDemo lays out a folder as an earlier demo leaves it (its marker,
// keys and a bundle with a file each) for the refusals, which never get
// as far as writing.
func earlierDemo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"keys/signing-key", "bundle/bagit.txt"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("earlier"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, MarkerFile), markerData(demoEntries(false)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func assertUntouched(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"keys/signing-key", "bundle/bagit.txt"} {
		if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f))); err != nil || string(got) != "earlier" {
			t.Errorf("%s was touched by a refused run: %q, %v", f, got, err)
		}
	}
}

func TestRunRefusesAnEarlierDemosFolderHoldingAFileTheUserAdded(t *testing.T) {
	dir := earlierDemo(t)
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("mine"), 0o600)
	_, err := Run(context.Background(), Options{Dir: dir})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), `"notes.txt"`) {
		t.Fatalf("got %v, want ErrNotEmpty naming notes.txt", err)
	}
	if got, _ := os.ReadFile(notes); string(got) != "mine" {
		t.Errorf("the user's file is now %q", got)
	}
	assertUntouched(t, dir)
}

func TestRunRefusesALinkPlantedInPlaceOfTheBundle(t *testing.T) {
	dir := earlierDemo(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	os.MkdirAll(target, 0o755)
	os.WriteFile(filepath.Join(target, "precious"), []byte("keep"), 0o600)
	os.RemoveAll(filepath.Join(dir, "bundle"))
	if err := os.Symlink(target, filepath.Join(dir, "bundle")); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Dir: dir})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "bundle is a symbolic link") {
		t.Fatalf("got %v, want a refusal of the link", err)
	}
	if got, err := os.ReadFile(filepath.Join(target, "precious")); err != nil || string(got) != "keep" {
		t.Errorf("the link's target was touched: %q, %v", got, err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "bundle")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was removed: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "keys", "signing-key")); err != nil || string(got) != "earlier" {
		t.Errorf("keys/ was removed before the link was found: %q, %v", got, err)
	}
}

func TestRunRefusesAFolderWhoseMarkerIsNotTheDemos(t *testing.T) {
	for _, tc := range []struct{ name, marker string }{
		{"a marker listing a file the demo never writes", markerFormat + "\nkeys\nthesis.doc\n"},
		{"a marker of another format", "exitbundle demo folder, format 99\nkeys\n"},
		{"an empty marker", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := earlierDemo(t)
			os.WriteFile(filepath.Join(dir, MarkerFile), []byte(tc.marker), 0o644)
			_, err := Run(context.Background(), Options{Dir: dir})
			if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "marker is not one the demo writes") {
				t.Fatalf("got %v", err)
			}
			assertUntouched(t, dir)
		})
	}
}

func TestParseMarkerReadsBackWhatTheDemoWrites(t *testing.T) {
	for _, terms := range []bool{false, true} {
		want := demoEntries(terms)
		got, err := parseMarker(markerData(want))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseMarker(markerData(%v)) = %v, %v", want, got, err)
		}
	}
	for _, bad := range []string{
		markerFormat + "\nkeys\nkeys\n",
		markerFormat + "\n../etc\n",
		markerFormat + "\n.exitbundle-demo\n",
		markerFormat + "\nkeys",
		markerFormat + "\n" + strings.Repeat("keys\n", maxMarker),
	} {
		if got, err := parseMarker([]byte(bad)); err == nil {
			t.Errorf("parseMarker(%.40q) = %v, want an error", bad, got)
		}
	}
}

func FuzzParseMarker(f *testing.F) {
	f.Add(markerData(demoEntries(true)))
	f.Add([]byte(markerFormat + "\n"))
	f.Add([]byte("keys\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseMarker(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !slices.Contains(demoEntries(true), e) {
				t.Fatalf("accepted entry %q the demo never writes", e)
			}
		}
		if again, err := parseMarker(markerData(entries)); err != nil || !slices.Equal(again, entries) {
			t.Fatalf("round trip of %v: %v, %v", entries, again, err)
		}
	})
}
