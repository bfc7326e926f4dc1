package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/internal/cli"
)

// Without --signer or --identity, verify and inspect exit 0 when every
// check they can run passes, and say what they skipped.
func TestVerifyAndInspectWithoutKeysPassAndSayWhatTheySkipped(t *testing.T) {
	dir := inspBundle(t)
	code, stdout, stderr := runExitbundle(t, "verify", dir)
	if code != cli.ExitOK || !strings.Contains(stdout, "not checked: signer") {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runExitbundle(t, "verify", dir, "--json")
	var r bundle.Report
	if code != cli.ExitOK || json.Unmarshal([]byte(stdout), &r) != nil || r.SignerPinned || !r.OK || len(r.Skipped) == 0 {
		t.Errorf("verify --json: exit %d %+v", code, r)
	}
	code, stdout, _ = runExitbundle(t, "inspect", dir, "--json")
	var in bundle.Inspection
	if code != cli.ExitOK || json.Unmarshal([]byte(stdout), &in) != nil || len(in.Skipped) == 0 {
		t.Errorf("inspect --json: exit %d %+v", code, in)
	}
}

// The exit codes of every command come from one table: a folder that is
// no bundle exits 2 for verify, open and inspect alike; an interrupted
// create exits 1 for verify and inspect alike.
func TestEveryCommandMapsABundleThatIsNotOneAndAnUnfinishedOneAlike(t *testing.T) {
	dir := inspBundle(t)
	parent := dir[:strings.LastIndex(dir, "/")]
	for _, args := range [][]string{{"verify", parent}, {"inspect", parent}, {"open", parent, "--out", t.TempDir() + "/o"}} {
		if code, _, stderr := runExitbundle(t, args...); code != cli.ExitUsage || !strings.Contains(stderr, "not an exit bundle") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	unfinished := t.TempDir()
	writeFile(t, unfinished+"/"+bundle.IncompleteMarker, `{"kind":"exitbundle-create/1"}`+"\n")
	for _, args := range [][]string{{"verify", unfinished}, {"inspect", unfinished}} {
		if code, out, stderr := runExitbundle(t, args...); code != cli.ExitFailed {
			t.Errorf("%v: exit %d: %s%s", args, code, out, stderr)
		}
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
