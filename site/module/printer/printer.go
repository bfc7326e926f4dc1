// Package printer turns a rendered exit module (package site/module) into
// the documents legal teams sign and negotiate: PDF prints the module
// with headless Chromium, DOCX converts its negotiation copy with pandoc.
//
// Both are pure functions of the module: the same module gives the same
// bytes, so a signed PDF can be re-issued and compared. Both run an outside
// program, found on PATH unless given: Chromium (Debian package chromium)
// and pandoc (Debian package pandoc). The PDF pins its fonts to DejaVu
// (Debian package fonts-dejavu-core) and refuses to print with any other.
//
// This package is apart from site/module so that code which only renders
// modules, such as exitbundle's demo, does not link the browser driver.
package printer

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrNoTool reports an outside program that is not installed.
var ErrNoTool = errors.New("not installed")

// find returns the path of the first of names on PATH, or of given when
// it is set.
func find(given, what, pkg, flag string, names ...string) (string, error) {
	if given != "" {
		p, err := exec.LookPath(given)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w: %v; pass the path of an installed one with %s", what, given, ErrNoTool, err, flag)
		}
		return p, nil
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s %w: none of %s is on PATH; install the Debian package %s (apt-get install %s) or pass the program with %s",
		what, ErrNoTool, strings.Join(names, ", "), pkg, pkg, flag)
}
