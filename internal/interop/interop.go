// Package interop lets tests run the stock tools a customer or trustee
// would use (ssh-keygen, sha256sum, age, zstd, qemu-img, chromium). A test
// calls Require first: where the tool is absent it skips with a message
// saying what to install, unless EXITKIT_REQUIRE_INTEROP=1 (as .ci/run
// sets), where an absent tool fails the test instead.
package interop

import (
	"os"
	"os/exec"
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
