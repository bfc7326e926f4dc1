package demo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/exitkit/exitkit/internal/fsx"
)

// MarkerFile, in a demo folder, says that the demo wrote the folder and
// lists the top-level entries it wrote. A rerun into the folder replaces
// exactly those and refuses a folder holding anything else, so running
// the quick start twice works and a folder of the user's is never
// emptied by mistake.
const MarkerFile = ".exitbundle-demo"

// markerFormat is the marker's first line; a later format gets a new one.
const markerFormat = "exitbundle demo folder, format 1"

// maxMarker bounds the marker read: the demo's own is under 100 bytes.
const maxMarker = 4 << 10

// demoEntries are the top-level names the demo owns in its folder (besides
// the marker): the keys, the bundle, with a profile the rendered and signed
// terms, and the two folders its printed commands write into (restored/
// for the stock-tool decryption, drill/ for the exit test), so that
// following the demo's own advice never blocks a rerun. A marker may list
// only these, so a forged or stale one can never make the demo remove
// anything else.
func demoEntries(withTerms bool) []string {
	e := []string{"keys", "bundle"}
	if withTerms {
		e = append(e, "terms.html", "terms.html.sig")
	}
	return append(e, RestoredDir, DrillDir)
}

// The folders of the demo's folder that its printed commands write into.
const (
	RestoredDir = "restored"
	DrillDir    = "drill"
)

func markerData(entries []string) []byte {
	var b strings.Builder
	b.WriteString(markerFormat + "\n")
	for _, e := range entries {
		b.WriteString(e + "\n")
	}
	return []byte(b.String())
}

// parseMarker returns the entries a marker lists.
func parseMarker(data []byte) ([]string, error) {
	if len(data) > maxMarker {
		return nil, fmt.Errorf("longer than %d bytes", maxMarker)
	}
	text, ok := strings.CutSuffix(string(data), "\n")
	if !ok {
		return nil, errors.New("does not end with a newline")
	}
	lines := strings.Split(text, "\n")
	if lines[0] != markerFormat {
		return nil, fmt.Errorf("first line is %q, want %q", lines[0], markerFormat)
	}
	var entries []string
	for i, l := range lines[1:] {
		if !slices.Contains(demoEntries(true), l) {
			return nil, fmt.Errorf("line %d: %q is not an entry the demo writes", i+2, l)
		}
		if slices.Contains(entries, l) {
			return nil, fmt.Errorf("line %d: %q listed twice", i+2, l)
		}
		entries = append(entries, l)
	}
	return entries, nil
}

// claimDir makes dir the demo's folder before anything is written: a new
// or empty folder, or one an earlier demo wrote, whose entries are
// removed after checking that the folder holds nothing else and that none
// of them is a symbolic link. It then writes the marker listing entries,
// first, so that even an interrupted run leaves a folder a rerun
// recognises. Every refusal wraps ErrNotEmpty and names what to fix.
func claimDir(dir string, entries []string, step func(string, ...any)) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := fsx.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	d, err := fsx.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer d.Close()
	present, err := d.ReadDir(".")
	if err != nil {
		return fmt.Errorf("demo: read %s: %w", dir, err)
	}
	if len(present) > 0 {
		earlier, err := checkEarlier(d, dir, present)
		if err != nil {
			return err
		}
		step("replacing the earlier demo in %s (%s)", dir, strings.Join(earlier, ", "))
		for _, name := range earlier {
			if err := fsx.RemoveTree(d, name); err != nil {
				return fmt.Errorf("demo %s: %w", dir, err)
			}
		}
	}
	if err := fsx.WriteFile(d, MarkerFile, markerData(entries), 0o644); err != nil {
		return fmt.Errorf("demo %s: %w", dir, err)
	}
	return nil
}

// checkEarlier returns the entries an earlier demo's marker lists, after
// checking that the folder holds nothing else and none of them is a link.
func checkEarlier(d *fsx.Dir, dir string, present []fs.DirEntry) ([]string, error) {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("demo %s: %w: %s", dir, ErrNotEmpty, fmt.Sprintf(format, args...))
	}
	fi, err := d.Lstat(MarkerFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("demo %s: %w; give an empty or new folder with --out (a folder an earlier demo wrote is recognised by its %s marker and replaced; this one has none)", dir, ErrNotEmpty, MarkerFile)
	}
	if err != nil {
		return nil, refuse("%s: %v", MarkerFile, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, refuse("%s is not a regular file, so it is no marker the demo wrote; give an empty or new folder with --out", MarkerFile)
	}
	f, err := d.Open(MarkerFile)
	if err != nil {
		return nil, refuse("read %s: %v", MarkerFile, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxMarker+1))
	f.Close()
	if err != nil {
		return nil, refuse("read %s: %v", MarkerFile, err)
	}
	earlier, err := parseMarker(data)
	if err != nil {
		return nil, refuse("its %s marker is not one the demo writes (%v); give an empty or new folder with --out", MarkerFile, err)
	}
	for _, e := range present {
		name := e.Name()
		if name == MarkerFile || name == MarkerFile+fsx.PartialSuffix || slices.Contains(earlier, name) {
			continue
		}
		return nil, refuse("it holds %q, which the earlier demo did not write (its %s marker lists %s); move it away and run again, or give another folder with --out",
			name, MarkerFile, strings.Join(earlier, ", "))
	}
	for _, name := range earlier {
		if fi, err := d.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, refuse("%s is a symbolic link, which the demo never writes; not following it: remove the link yourself and run again, or give another folder with --out", name)
		}
	}
	return earlier, nil
}
