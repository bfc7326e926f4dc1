package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// toolWithFlags is a command with the flags exitbundle create has, where
// typos are likely.
func toolWithFlags() *cobra.Command {
	root := &cobra.Command{Use: "tool"}
	create := &cobra.Command{Use: "create", RunE: func(*cobra.Command, []string) error { return nil }}
	var s string
	var jobs int
	for _, name := range []string{"source", "out", "tar", "sign-key", "recipient", "recipients-file", "passphrase-file", "compress", "vm"} {
		create.Flags().StringVar(&s, name, "", "")
	}
	JobsVar(create.Flags(), &jobs, "files at once")
	root.AddCommand(create)
	return root
}

func TestUnknownFlagsGetTheClosestKnownFlag(t *testing.T) {
	tests := []struct {
		name string
		flag string
		want string // "" for no suggestion
	}{
		{"a missing letter", "--sorce", "did you mean --source?"},
		{"a swapped pair of letters", "--soruce", "did you mean --source?"},
		{"a wrong letter in a long name", "--recipiant", "did you mean --recipient?"},
		{"two slips in a long name", "--recipients-fiel", "did you mean --recipients-file?"},
		{"capitals", "--Source", "did you mean --source?"},
		{"with a value", "--sorce=exports", "did you mean --source?"},
		{"the start of exactly one flag", "--sign", "did you mean --sign-key?"},
		{"a short name one edit away", "--ot", "did you mean --out?"},
		{"nothing close", "--frobnicate", ""},
		{"a short word two edits from a flag", "--xy", ""},
		{"the start of several flags", "--rec", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := Run(toolWithFlags(), []string{"create", tt.flag}, &stderr); code != ExitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			got := stderr.String()
			bare, _, _ := strings.Cut(tt.flag, "=")
			if !strings.Contains(got, "unknown flag "+bare) || !strings.Contains(got, "Run 'tool create --help' for usage.") {
				t.Errorf("printed %q, want the flag and a pointer to help", got)
			}
			if tt.want == "" && strings.Contains(got, "did you mean") {
				t.Errorf("printed %q, want no suggestion", got)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEditDistanceCountsTyposAsOneEdit(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"source", "source", 0},
		{"sorce", "source", 1},
		{"soruce", "source", 1},
		{"sourcex", "source", 1},
		{"sauce", "source", 2},
		{"", "out", 3},
		{"jbos", "jobs", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestJobsRefusesZeroAndNegativeAndSaysWhatToUse(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    int
		wantErr bool
	}{
		{"a positive number is taken", "3", 3, false},
		{"zero is refused", "0", 0, true},
		{"a negative number is refused", "-2", 0, true},
		{"a word is refused", "many", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			root := toolWithFlags()
			var got int
			create, _, _ := root.Find([]string{"create"})
			create.Flags().Lookup("jobs").Value = (*Jobs)(&got)
			code := Run(root, []string{"create", "--jobs", tt.value}, &stderr)
			if tt.wantErr {
				if code != ExitUsage || !strings.Contains(stderr.String(), "1 or more (leave --jobs out for one per CPU") {
					t.Errorf("exit %d, printed %q; want 2 and what to use", code, stderr.String())
				}
				return
			}
			if code != ExitOK || got != tt.want {
				t.Errorf("exit %d, jobs %d; want 0 and %d\n%s", code, got, tt.want, stderr.String())
			}
		})
	}
}

func TestOneArgSaysWhatToGive(t *testing.T) {
	const missing = "give the bundle to verify: a folder, a .tar file, or - for a tar on standard input"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"one argument is taken", []string{"b"}, ExitOK, ""},
		{"none says what to give", nil, ExitUsage, "tool: " + missing + "\n"},
		{"two say that only one is taken", []string{"a", "b"}, ExitUsage, "2 arguments given (a b), but this command takes one; " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &cobra.Command{Use: "tool", Args: OneArg(missing), RunE: func(*cobra.Command, []string) error { return nil }}
			var stderr bytes.Buffer
			if code := Run(root, tt.args, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.Contains(stderr.String(), tt.want) || strings.Contains(stderr.String(), "accepts 1 arg") {
				t.Errorf("printed %q, want %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestASingleValuedFlagGivenTwiceIsRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a string flag twice", []string{"--out", "a", "--out", "b"}, ExitUsage, `--out" flag: given twice ("a", then "b"): give it once`},
		{"--jobs twice", []string{"--jobs", "2", "--jobs", "3"}, ExitUsage, "given twice"},
		{"a repeatable flag twice is fine", []string{"--source", "a", "--source", "b"}, ExitOK, ""},
		{"a switch twice is fine", []string{"--force", "--force"}, ExitOK, ""},
		{"each flag once is fine", []string{"--out", "a", "--jobs", "2"}, ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out string
			var sources []string
			var jobs int
			var force bool
			c := &cobra.Command{Use: "tool", RunE: func(*cobra.Command, []string) error { return nil }}
			c.Flags().StringVar(&out, "out", "", "")
			c.Flags().StringArrayVar(&sources, "source", nil, "")
			c.Flags().BoolVar(&force, "force", false, "")
			JobsVar(c.Flags(), &jobs, "")
			var stderr bytes.Buffer
			if code := Run(c, tt.args, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("printed %q, want %q", stderr.String(), tt.want)
			}
			if tt.code == ExitOK && len(tt.args) > 0 && tt.args[0] == "--out" && out != "a" {
				t.Errorf("--out = %q, want a", out)
			}
		})
	}
}
