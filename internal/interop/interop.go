// Package interop lets tests run the stock tools a customer or trustee
// would use (ssh-keygen, sha256sum, age, zstd, qemu-img, chromium, pandoc,
// poppler's pdfinfo). A test
// calls Require first: where the tool is absent it skips with a message
// saying what to install, unless EXITKIT_REQUIRE_INTEROP=1 (as .ci/run
// sets), where an absent tool fails the test instead.
package interop

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireEnv is the variable that makes interop tests mandatory.
const RequireEnv = "EXITKIT_REQUIRE_INTEROP"

// packages names the Debian package that ships each tool, for the message.
var packages = map[string]string{
	"ssh-keygen": "openssh-client",
	"age":        "age",
	"age-keygen": "age",
	"zstd":       "zstd",
	"qemu-img":   "qemu-utils",
	"sha256sum":  "coreutils",
	"tar":        "tar",
	"sh":         "dash",
	"minisign":   "minisign",
	"chromium":   "chromium",
	"openssl":    "openssl",

	"qemu-system-x86_64": "qemu-system-x86",
	"objdump":            "binutils",
	"sfdisk":             "fdisk",
	"mdir":               "mtools",
	"mcopy":              "mtools",
	"mmd":                "mtools",
	"mkfs.vfat":          "dosfstools",
	"fsck.fat":           "dosfstools",
	"syslinux":           "syslinux",
	"dpkg-deb":           "dpkg",
	"cpio":               "cpio",
	"pdfinfo":            "poppler-utils",
	"pdftotext":          "poppler-utils",
	"pdftoppm":           "poppler-utils",
	"pdffonts":           "poppler-utils",
	"pandoc":             "pandoc",
	"virt-install":       "virtinst",
	"shasum":             "perl",
}

// Require returns the path of each named tool, or skips (fails when
// interop is required) if one is missing.
func Require(t testing.TB, tools ...string) []string {
	t.Helper()
	paths := make([]string, len(tools))
	for i, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			pkg := packages[tool]
			if pkg == "" {
				pkg = tool
			}
			msg := "interop: " + tool + " not found on PATH; install Debian package " + pkg + " to run this test"
			if os.Getenv(RequireEnv) == "1" {
				t.Fatal(msg + " (" + RequireEnv + "=1 makes it mandatory)")
			}
			t.Skip(msg)
		}
		paths[i] = p
	}
	return paths
}

// Path returns the first of the named tools found on PATH, or "" when none
// is; for optional fast paths, such as making test disks with qemu-img.
func Path(tools ...string) string {
	for _, tool := range tools {
		if p, err := exec.LookPath(tool); err == nil {
			return p
		}
	}
	return ""
}

// RequireFile returns the first of paths that exists, or skips (fails when
// interop is required) naming the Debian package that ships it; for data
// files such as OVMF's firmware images, which are not on PATH.
func RequireFile(t testing.TB, pkg string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "interop: none of " + strings.Join(paths, ", ") + " exists; install Debian package " + pkg + " to run this test"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg + " (" + RequireEnv + "=1 makes it mandatory)")
	}
	t.Skip(msg)
	return ""
}

// Skip skips the test with msg, or fails it when interop is required: for
// test inputs other than tools, such as the packages of a boot test.
func Skip(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal("interop: " + msg + " (" + RequireEnv + "=1 makes it mandatory)")
	}
	t.Skip("interop: " + msg)
}

// Main runs a package's tests after saying which of the named tools are
// missing, so the skips they cause show without -v:
//
//	func TestMain(m *testing.M) { interop.Main(m, "chromium") }
//
// 'go test ./...' keeps a passing package's output to itself, so the line
// goes to the terminal (/dev/tty) when there is one, else to standard
// error, which 'go test -v' and a failing run show.
func Main(m *testing.M, tools ...string) {
	var w io.Writer = os.Stderr
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		w = tty
	}
	for _, line := range missing(tools) {
		fmt.Fprintln(w, line)
	}
	code := m.Run()
	if c, ok := w.(io.Closer); ok && w != os.Stderr {
		c.Close()
	}
	os.Exit(code)
}

// missing says, for each tool not on PATH, what happens to its tests and
// what to install.
func missing(tools []string) []string {
	var lines []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err == nil {
			continue
		}
		pkg := packages[tool]
		if pkg == "" {
			pkg = tool
		}
		verdict := "skip"
		if os.Getenv(RequireEnv) == "1" {
			verdict = "fail (" + RequireEnv + "=1)"
		}
		lines = append(lines, fmt.Sprintf("interop: %s not found on PATH: the tests that run it %s; install Debian package %s", tool, verdict, pkg))
	}
	return lines
}
