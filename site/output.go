package site

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MarkerFile is written at the root of every build output. It lists the
// files the build wrote, so the next build replaces exactly those and
// never deletes or overwrites a file somebody else put there.
const MarkerFile = ".exitsite-build"

const markerHeader = "# exitsite build output: the files below are replaced by the next 'exitsite build'.\n"

// ErrNotBuildOutput reports an output folder that holds files but was not
// written by a build: Write refuses to touch it.
var ErrNotBuildOutput = errors.New("not an exitsite build output")

// Write puts the built site into dir, creating it if needed. dir must be
// missing, empty, or a previous build's output (it has MarkerFile); files
// of the previous build that this one does not produce are removed, other
// files are left alone, and a file the previous build did not write is
// never overwritten.
func (r *Result) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	old, err := previousBuild(dir)
	if err != nil {
		return err
	}
	paths := r.Paths()
	for _, p := range paths {
		if !filepath.IsLocal(filepath.FromSlash(p)) || p == MarkerFile {
			return fmt.Errorf("write %s: refusing output path %q", dir, p)
		}
		if old[p] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			return fmt.Errorf("%w: write %s: %s exists and was not written by the previous build; move it away or choose another --out",
				ErrNotBuildOutput, dir, p)
		}
	}

	// The marker lists old and new files while files are being replaced,
	// so an interrupted build leaves a folder the next build can still
	// clean up.
	union := slices.Clone(paths)
	for p := range old {
		if _, ok := r.Files[p]; !ok {
			union = append(union, p)
		}
	}
	slices.Sort(union)
	if err := writeMarker(dir, union, nil); err != nil {
		return err
	}
	for _, p := range paths {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(p)), r.Files[p]); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
	}
	for p := range old {
		if _, ok := r.Files[p]; ok {
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", full, err)
		}
		removeEmptyParents(dir, filepath.Dir(full))
	}
	return writeMarker(dir, paths, r.Files)
}

// previousBuild returns the files listed in dir's marker; an empty folder
// gives an empty set, a non-empty folder without a marker an error.
func previousBuild(dir string) (map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		entries, rerr := os.ReadDir(dir)
		if rerr != nil {
			return nil, fmt.Errorf("read output folder: %w", rerr)
		}
		if len(entries) > 0 {
			return nil, fmt.Errorf("%w: %s is not empty and has no %s; choose a new or empty folder with --out",
				ErrNotBuildOutput, dir, MarkerFile)
		}
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MarkerFile, err)
	}
	if !bytes.HasPrefix(data, []byte(markerHeader)) {
		return nil, fmt.Errorf("%w: %s in %s was not written by 'exitsite build'; choose a new or empty folder with --out", ErrNotBuildOutput, MarkerFile, dir)
	}
	files := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// "<sha256 or ->  <path>", as sha256sum prints.
		_, p, ok := strings.Cut(line, "  ")
		if !ok || !filepath.IsLocal(filepath.FromSlash(p)) || p == MarkerFile {
			return nil, fmt.Errorf("%s in %s: malformed line %q; delete the output folder and build again", MarkerFile, dir, line)
		}
		files[p] = true
	}
	return files, sc.Err()
}

// writeMarker lists paths with their sha256 when contents are known, in
// sha256sum's format, so 'sha256sum -c' can check a copied site.
func writeMarker(dir string, paths []string, contents map[string][]byte) error {
	var b strings.Builder
	b.WriteString(markerHeader)
	for _, p := range paths {
		sum := "-"
		if data, ok := contents[p]; ok {
			h := sha256.Sum256(data)
			sum = hex.EncodeToString(h[:])
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, p)
	}
	return writeFile(filepath.Join(dir, MarkerFile), []byte(b.String()))
}

// writeFile replaces name atomically, leaving an unchanged file (and its
// modification time) alone.
func writeFile(name string, data []byte) error {
	if cur, err := os.ReadFile(name); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func removeEmptyParents(root, dir string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // fails unless empty
			return
		}
	}
}

// InsideBuildOutput reports the build output folder that holds name, if
// any: per-customer modules must never be published with the site.
func InsideBuildOutput(name string) (string, bool) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", false
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, MarkerFile)); err == nil {
			return dir, true
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}
