package main

import (
	"strings"
	"testing"
)

func TestCountsReadAsEnglish(t *testing.T) {
	for n, want := range map[int]string{0: "0 notes", 1: "1 note", 2: "2 notes"} {
		if got := plural(n, "note", "notes"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
	if got := printable("Bank\x1b[2J\r\nOK"); strings.ContainsAny(got, "\x1b\r\n") {
		t.Errorf("printable left control characters in %q", got)
	}
}

func TestCheckSaysOneProfileNotOneProfiles(t *testing.T) {
	code, _, stderr := runExitsite(t, "check", "--content", shippedContent, "--profile", shippedContent+"/profiles/bank.yaml")
	if code != 0 || !strings.Contains(stderr, " and 1 profile: ") {
		t.Errorf("check: exit %d, %q; want the summary to say \"1 profile\"", code, stderr)
	}
}
