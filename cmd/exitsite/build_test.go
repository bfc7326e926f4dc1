package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/exitkit/exitkit/internal/golden"
)

const shippedContent = "../../content"

func TestBuildWritesTheSiteAndRebuildsIntoItsOwnOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	for i := range 2 {
		code, stdout, stderr := runExitsite(t, "build", "--content", shippedContent, "--out", out)
		if code != 0 {
			t.Fatalf("build #%d: exit %d\n%s", i+1, code, stderr)
		}
		if !strings.Contains(stdout, "built ") {
			t.Errorf("build #%d printed %q", i+1, stdout)
		}
	}
	for _, f := range []string{"index.html", "nl/index.html", "clauses.json", ".exitsite-build"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBuildRefusesAFolderItDidNotWrite(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "thesis.docx"), []byte("precious"), 0o644)
	code, _, stderr := runExitsite(t, "build", "--content", shippedContent, "--out", out)
	if code != 2 || !strings.Contains(stderr, "--out") {
		t.Errorf("exit %d, stderr %q; want 2 and advice about --out", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "thesis.docx")); string(data) != "precious" {
		t.Error("the user's file was touched")
	}
}

func TestBuildRejectsABadBaseURL(t *testing.T) {
	code, _, stderr := runExitsite(t, "build", "--content", shippedContent, "--out", t.TempDir(), "--base-url", "example.com")
	if code != 2 || !strings.Contains(stderr, "--base-url") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestModuleWritesOnceAndNeedsForceToReplace(t *testing.T) {
	out := filepath.Join(t.TempDir(), "module.html")
	args := []string{"module", "--content", shippedContent, "--profile", shippedContent + "/profiles/bank.yaml", "--lang", "nl", "--out", out}
	if code, _, stderr := runExitsite(t, args...); code != 0 {
		t.Fatalf("module: exit %d\n%s", code, stderr)
	}
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), `<html lang="nl">`) || !strings.Contains(string(data), "exitkit:module-fingerprint") {
		t.Error("the module is not a Dutch module with its markers")
	}
	if code, _, stderr := runExitsite(t, args...); code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("second module without --force: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runExitsite(t, append(args, "--force")...); code != 0 {
		t.Errorf("module --force: exit %d, %q", code, stderr)
	}
}

func TestModuleNeedsAProfileAndAKnownLanguage(t *testing.T) {
	for _, args := range [][]string{
		{"module", "--content", shippedContent},
		{"module", "--content", shippedContent, "--profile", shippedContent + "/profiles/bank.yaml", "--lang", "fr"},
		{"module", "--content", shippedContent, "--profile", "nope.yaml"},
	} {
		if code, _, _ := runExitsite(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestModuleStopsOnAProfileWithErrors(t *testing.T) {
	data, err := os.ReadFile(shippedContent + "/profiles/bank.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "retrieval_period_days: 90", "retrieval_period_days: 3", 1)
	if bad == string(data) {
		t.Skip("bank.yaml no longer sets retrieval_period_days: 90")
	}
	profile := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(profile, []byte(bad), 0o644)
	out := filepath.Join(t.TempDir(), "m.html")
	code, _, stderr := runExitsite(t, "module", "--content", shippedContent, "--profile", profile, "--out", out)
	if code != 1 || !strings.Contains(stderr, "retrieval") {
		t.Errorf("exit %d, stderr %q; want 1 naming the retrieval period", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a module was written despite the errors")
	}
}

func TestModuleIsNeverWrittenIntoThePublicSite(t *testing.T) {
	public := filepath.Join(t.TempDir(), "public")
	if code, _, stderr := runExitsite(t, "build", "--content", shippedContent, "--out", public); code != 0 {
		t.Fatalf("build: %d %s", code, stderr)
	}
	out := filepath.Join(public, "clauses", "bank-module.html")
	code, _, stderr := runExitsite(t, "module", "--content", shippedContent, "--profile", shippedContent+"/profiles/bank.yaml", "--out", out)
	if code != 2 || !strings.Contains(stderr, "public site") {
		t.Errorf("exit %d, %q; want a refusal", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the module was written into the site")
	}
}
