package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

// maxLines is the most non-test Go a package may hold: past it, a package
// holds more than one concern a newcomer can name.
const maxLines = 2000

// source is one non-test Go file of the module.
type source struct {
	pkg  string // folder relative to the module root, "/"-separated
	path string
	file *ast.File
	fset *token.FileSet
	src  []byte
}

func moduleFiles(t *testing.T) []source {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	var out []source
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		out = append(out, source{pkg: filepath.ToSlash(rel), path: p, file: f, fset: fset, src: src})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("found only %d Go files under %s", len(out), root)
	}
	return out
}

func TestOnlyBagitImportsArchiveTar(t *testing.T) {
	for _, s := range moduleFiles(t) {
		for _, imp := range s.file.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "archive/tar" && s.pkg != "bundle/bagit" {
				t.Errorf("%s imports archive/tar; read and write tar through bundle/bagit", s.path)
			}
		}
	}
}

// writers are the os functions that create, rename or remove files.
var writers = map[string]bool{
	"Create": true, "CreateTemp": true, "OpenFile": true, "WriteFile": true,
	"Rename": true, "Remove": true, "RemoveAll": true, "Link": true, "Symlink": true, "Truncate": true,
}

// testHelpers are packages that only tests import: the files they make
// are test fixtures in a test's temporary folder, never output. The rule
// below holds that no non-test file imports them.
var testHelpers = map[string]string{
	"internal/boottest":   "builds bootable Linux disks in a test's temporary folder",
	"internal/exporttest": "writes OVF export folders in a test's temporary folder",
}

// deviceOpen reports whether call is os.OpenFile (os imported as osName)
// of a literal /dev/ path without O_CREATE, O_TRUNC or O_APPEND: a
// terminal or /dev/kvm opened to talk to, which neither creates, renames
// nor removes a file.
func deviceOpen(call *ast.CallExpr, osName string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "OpenFile" || len(call.Args) != 3 {
		return false
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != osName {
		return false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	if p, err := strconv.Unquote(lit.Value); err != nil || !strings.HasPrefix(p, "/dev/") {
		return false
	}
	writes := false
	ast.Inspect(call.Args[1], func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && (id.Name == "O_CREATE" || id.Name == "O_TRUNC" || id.Name == "O_APPEND") {
			writes = true
		}
		return true
	})
	return !writes
}

func TestTestHelperPackagesAreImportedOnlyByTests(t *testing.T) {
	const module = "github.com/exitkit/exitkit/"
	for _, s := range moduleFiles(t) {
		for _, imp := range s.file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if pkg, ok := strings.CutPrefix(path, module); ok && testHelpers[pkg] != "" && s.pkg != pkg {
				t.Errorf("%s imports %s, a package for tests only (it %s); import it from _test.go files only", s.path, pkg, testHelpers[pkg])
			}
		}
	}
}

func TestOnlyFsxCreatesRenamesOrRemovesFiles(t *testing.T) {
	for _, s := range moduleFiles(t) {
		if s.pkg == "internal/fsx" || testHelpers[s.pkg] != "" {
			continue
		}
		osName := ""
		for _, imp := range s.file.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "os" {
				osName = "os"
				if imp.Name != nil {
					osName = imp.Name.Name
				}
			}
		}
		if osName == "" {
			continue
		}
		ast.Inspect(s.file, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && deviceOpen(call, osName) {
				return false // its selector is not an output file
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == osName && writers[sel.Sel.Name] {
				t.Errorf("%s: os.%s; create, rename and remove output files through internal/fsx", s.fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

func TestNoPackageHoldsMoreThan2000LinesOfGo(t *testing.T) {
	lines := map[string]int{}
	for _, s := range moduleFiles(t) {
		lines[s.pkg] += strings.Count(string(s.src), "\n")
	}
	pkgs := make([]string, 0, len(lines))
	for p := range lines {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		if lines[p] > maxLines {
			t.Errorf("package %s holds %d lines of non-test Go, more than %d: split it by concern", p, lines[p], maxLines)
		}
	}
}

func TestOnlyADeviceOpenedWithoutCreatingIsExempt(t *testing.T) {
	for _, c := range []struct {
		call   string
		exempt bool
	}{
		{`os.OpenFile("/dev/tty", os.O_WRONLY, 0)`, true},
		{`os.OpenFile("/dev/kvm", os.O_RDWR, 0)`, true},
		{`os.OpenFile("/dev/shm/x", os.O_WRONLY|os.O_CREATE, 0o600)`, false},
		{`os.OpenFile("/dev/sda", os.O_WRONLY|os.O_TRUNC, 0)`, false},
		{`os.OpenFile("/tmp/tty", os.O_WRONLY, 0)`, false},
		{`os.OpenFile(path, os.O_WRONLY, 0)`, false},
		{`os.WriteFile("/dev/null", data, 0)`, false},
		{`other.OpenFile("/dev/tty", os.O_WRONLY, 0)`, false},
	} {
		e, err := parser.ParseExpr(c.call)
		if err != nil {
			t.Fatal(err)
		}
		if got := deviceOpen(e.(*ast.CallExpr), "os"); got != c.exempt {
			t.Errorf("%s: exempt = %v, want %v", c.call, got, c.exempt)
		}
	}
}
