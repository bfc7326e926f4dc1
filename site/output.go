package site

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MarkerFile is written at the root of every build output. It lists, in
// sha256sum's format, every file the build wrote with its SHA-256, so that
// the next build replaces exactly those and never deletes or overwrites a
// file somebody else put there, and so that 'sha256sum -c .exitsite-build'
// checks a copy of the site. It holds only the public files' names and
// hashes; leave it out when publishing if you like (rsync --exclude
// .exitsite-build): the next build into the same folder needs it.
const MarkerFile = ".exitsite-build"

const markerHeader = "# exitsite build output: the files below are replaced by the next 'exitsite build'.\n"

// maxMarker bounds the marker read back: a site of a few thousand pages
// lists a few hundred kilobytes.
const maxMarker = 16 << 20

// ErrNotBuildOutput reports an output folder that holds files but was not
// written by a build: Write refuses to touch it.
var ErrNotBuildOutput = errors.New("not an exitsite build output")

// ErrLink reports a symbolic link inside the output, which Write never
// follows, writes through or replaces.
var ErrLink = errors.New("symbolic link in the output")

// Write puts the built site into dir, creating it if needed. dir must be
// missing, empty, or a previous build's output (it has MarkerFile).
//
// Write trusts the marker only as far as the files agree with it: a file
// the marker lists is replaced or removed only if it is a regular file
// whose SHA-256 is the one the marker gives, so a planted or stale marker
// cannot make a build destroy a file it did not write. Nothing is followed
// through a symbolic link: dir itself, any folder inside it, or a file to
// be replaced being a link stops the build before it writes anything.
// Files of the previous build that this one does not produce are removed,
// other files are left alone.
func (r *Result) Write(dir string) error {
	if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: the output folder %s is a symbolic link; give the folder it points to as --out", ErrLink, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open output folder: %w", err)
	}
	defer root.Close()
	old, err := previousBuild(root, dir)
	if err != nil {
		return err
	}
	paths := r.Paths()

	// Check everything before writing anything.
	for _, p := range paths {
		if !filepath.IsLocal(filepath.FromSlash(p)) || p == MarkerFile {
			return fmt.Errorf("write %s: refusing output path %q", dir, p)
		}
		if err := checkTarget(root, dir, p, old, r.Files[p]); err != nil {
			return err
		}
	}
	var stale []string
	for p := range old {
		if _, ok := r.Files[p]; !ok {
			if err := checkTarget(root, dir, p, old, nil); err != nil {
				return err
			}
			stale = append(stale, p)
		}
	}
	slices.Sort(stale)

	// The marker lists old and new files, with both hashes, while files
	// are replaced, so an interrupted build leaves a folder the next build
	// can still clean up.
	interim := map[string][]string{}
	for p, sums := range old {
		interim[p] = slices.Clone(sums)
	}
	for _, p := range paths {
		if s := sum(r.Files[p]); !slices.Contains(interim[p], s) {
			interim[p] = append(interim[p], s)
		}
	}
	if err := writeMarker(root, interim); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	for _, p := range paths {
		if err := writeFile(root, p, r.Files[p]); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
	}
	for _, p := range stale {
		if err := root.Remove(filepath.FromSlash(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", filepath.Join(dir, p), err)
		}
		removeEmptyParents(root, path.Dir(p))
	}
	final := map[string][]string{}
	for _, p := range paths {
		final[p] = []string{sum(r.Files[p])}
	}
	return writeMarker(root, final)
}

// checkTarget makes sure p can be written (or, with data nil, removed):
// no folder on the way to it is a link or a file, and a file already there
// is one the previous build wrote, unchanged since (or already holds data).
func checkTarget(root *os.Root, dir, p string, old map[string][]string, data []byte) error {
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ {
		sub := filepath.FromSlash(strings.Join(parts[:i], "/"))
		fi, err := root.Lstat(sub)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing below it exists either
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: write %s: %s is a symbolic link; the build never follows one: remove it, or choose a new --out", ErrLink, dir, filepath.ToSlash(sub))
		}
		if !fi.IsDir() {
			return fmt.Errorf("%w: write %s: %s is a file where the site needs a folder; move it away or choose another --out", ErrNotBuildOutput, dir, filepath.ToSlash(sub))
		}
	}
	fi, err := root.Lstat(filepath.FromSlash(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: write %s: %s is a symbolic link; the build never writes through or replaces one: remove it, or choose a new --out", ErrLink, dir, p)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: write %s: %s is not a regular file; move it away or choose another --out", ErrNotBuildOutput, dir, p)
	}
	sums, listed := old[p]
	if !listed {
		return fmt.Errorf("%w: write %s: %s exists and was not written by the previous build; move it away or choose another --out", ErrNotBuildOutput, dir, p)
	}
	cur, err := fileSum(root, p)
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if !slices.Contains(sums, cur) && (data == nil || cur != sum(data)) {
		return fmt.Errorf("%w: write %s: %s is not the file the previous build wrote (it was changed since, or %s was not written by 'exitsite build'); move it away or choose another --out",
			ErrNotBuildOutput, dir, p, MarkerFile)
	}
	return nil
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func fileSum(root *os.Root, p string) (string, error) {
	f, err := root.OpenFile(filepath.FromSlash(p), os.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// previousBuild returns the files listed in the output's marker, each with
// the hashes it may have; an empty folder gives an empty set, a non-empty
// folder without a marker an error.
func previousBuild(root *os.Root, dir string) (map[string][]string, error) {
	fi, err := root.Lstat(MarkerFile)
	if errors.Is(err, fs.ErrNotExist) {
		entries, rerr := os.ReadDir(dir)
		if rerr != nil {
			return nil, fmt.Errorf("read output folder: %w", rerr)
		}
		if len(entries) > 0 {
			return nil, fmt.Errorf("%w: %s is not empty and has no %s; choose a new or empty folder with --out",
				ErrNotBuildOutput, dir, MarkerFile)
		}
		return map[string][]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MarkerFile, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s in %s is not a regular file; choose a new or empty folder with --out", ErrLink, MarkerFile, dir)
	}
	f, err := root.Open(MarkerFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MarkerFile, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMarker+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MarkerFile, err)
	}
	if len(data) > maxMarker || !bytes.HasPrefix(data, []byte(markerHeader)) {
		return nil, fmt.Errorf("%w: %s in %s was not written by 'exitsite build'; choose a new or empty folder with --out", ErrNotBuildOutput, MarkerFile, dir)
	}
	files := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// "<sha256>  <path>", as sha256sum prints; "-" for a hash not known.
		s, p, ok := strings.Cut(line, "  ")
		if !ok || !filepath.IsLocal(filepath.FromSlash(p)) || p == MarkerFile || (s != "-" && !isHex64(s)) {
			return nil, fmt.Errorf("%s in %s: malformed line %q; delete the output folder and build again", MarkerFile, dir, line)
		}
		if s != "-" && !slices.Contains(files[p], s) {
			files[p] = append(files[p], s)
		} else if _, ok := files[p]; !ok {
			files[p] = nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s in %s: %w; delete the output folder and build again", MarkerFile, dir, err)
	}
	return files, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// writeMarker lists each path with its hashes, one line per hash, in
// sha256sum's format.
func writeMarker(root *os.Root, files map[string][]string) error {
	var b strings.Builder
	b.WriteString(markerHeader)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		for _, s := range files[p] {
			fmt.Fprintf(&b, "%s  %s\n", s, p)
		}
	}
	if fi, err := root.Lstat(MarkerFile); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrLink, MarkerFile)
	}
	return writeFile(root, MarkerFile, []byte(b.String()))
}

// writeFile replaces p inside root atomically (a new file, then a rename,
// which replaces a name rather than following it), leaving an unchanged
// file (and its modification time) alone. Folders are made inside root,
// which no link can lead out of.
func writeFile(root *os.Root, p string, data []byte) error {
	name := filepath.FromSlash(p)
	if fi, err := root.Lstat(name); err == nil && fi.Mode().IsRegular() {
		if cur, err := fileSum(root, p); err == nil && cur == sum(data) {
			return nil
		}
	}
	if d := filepath.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var f *os.File
	var tmp string
	var err error
	for range 5 {
		tmp = filepath.Join(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-"+rand.Text()[:10])
		f, err = root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
	}
	return err
}

// removeEmptyParents removes the folders of a removed file that are now
// empty, up to the output's root; never through a link.
func removeEmptyParents(root *os.Root, dir string) {
	for ; dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		fi, err := root.Lstat(filepath.FromSlash(dir))
		if err != nil || !fi.IsDir() {
			return
		}
		if root.Remove(filepath.FromSlash(dir)) != nil { // fails unless empty
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
		if _, err := os.Lstat(filepath.Join(dir, MarkerFile)); err == nil {
			return dir, true
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}
