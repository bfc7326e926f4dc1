package cli

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// OneArg accepts exactly one argument; with none it fails with missing, a
// sentence saying what to give ("give the bundle to verify: a folder, a
// .tar file, or -"), instead of cobra's "accepts 1 arg(s), received 0".
func OneArg(missing string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch len(args) {
		case 1:
			return nil
		case 0:
			return Usage(errors.New(missing))
		default:
			return Usage(fmt.Errorf("%d arguments given (%s), but this command takes one; %s", len(args), strings.Join(args, " "), missing))
		}
	}
}

// Jobs is a --jobs N flag: how many files are worked on at once. It refuses
// 0 and negative numbers, which would mean nothing; a --jobs left out is 0,
// which the library takes as one per CPU.
type Jobs int

// JobsVar registers --jobs on fs, landing in p.
func JobsVar(fs *pflag.FlagSet, p *int, usage string) {
	fs.Var((*Jobs)(p), "jobs", usage)
}

func (j *Jobs) String() string { return strconv.Itoa(int(*j)) }
func (j *Jobs) Type() string   { return "N" }

func (j *Jobs) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return fmt.Errorf("give how many files to work on at once, 1 or more (leave --jobs out for one per CPU: %d here)", runtime.NumCPU())
	}
	*j = Jobs(n)
	return nil
}

// flagError is the FlagErrorFunc of both commands: pflag's error, with
// the closest known flag when an unknown one looks like a typo (cobra
// suggests subcommands, not flags), and a pointer to --help.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		msg = "unknown flag --" + name
		if s := suggestFlag(c.Flags(), name); s != "" {
			msg += "; did you mean --" + s + "?"
		}
	}
	return Usage(fmt.Errorf("%s\nRun '%s --help' for usage.", msg, c.CommandPath()))
}

// suggestFlag returns the visible flag of fs nearest to name: one edit
// away (two for long names; a swap of two letters is one edit), or the
// only flag name starts with. "" when none is close enough to help.
func suggestFlag(fs *pflag.FlagSet, name string) string {
	name, _, _ = strings.Cut(name, "=")
	lower := strings.ToLower(name)
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	limit := max(1, min(2, len(lower)/3))
	best, bestD := "", limit+1
	var prefixed []string
	for _, n := range names {
		if d := editDistance(lower, strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
		if len(lower) >= 3 && strings.HasPrefix(n, lower) {
			prefixed = append(prefixed, n)
		}
	}
	if best == "" && len(prefixed) == 1 {
		best = prefixed[0]
	}
	return best
}

// editDistance is the optimal-string-alignment distance of a and b:
// insertions, deletions, substitutions and swaps of neighbours each cost
// one, which is how flags get mistyped.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// CompleteValues makes shell completion offer values for the flag name of
// cmd, each "value" or "value\tdescription", instead of file names. The
// flag must be registered already; a wrong name is a mistake in the
// command's own code, caught by its tests.
func CompleteValues(cmd *cobra.Command, name string, values ...string) {
	if err := cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)); err != nil {
		panic(fmt.Sprintf("complete --%s of %s: %v", name, cmd.Name(), err))
	}
}

// onceValue refuses a single-valued flag given a second time: with
// "--out a --out b" pflag keeps b without a word, and an exit bundle
// written somewhere the operator did not mean is worse than a refusal.
// Repeatable flags (slices) and switches (bool) are left alone.
type onceValue struct {
	pflag.Value
	first string
	set   bool
}

func (o *onceValue) Set(s string) error {
	if o.set {
		return fmt.Errorf("given twice (%q, then %q): give it once", o.first, s)
	}
	if err := o.Value.Set(s); err != nil {
		return err
	}
	o.first, o.set = s, true
	return nil
}

// refuseRepeats wraps every single-valued flag of c and its subcommands
// in onceValue.
func refuseRepeats(c *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		if _, done := f.Value.(*onceValue); done {
			return
		}
		if _, slice := f.Value.(pflag.SliceValue); slice || f.Value.Type() == "bool" || f.Value.Type() == "count" {
			return
		}
		f.Value = &onceValue{Value: f.Value}
	}
	c.Flags().VisitAll(wrap)
	c.PersistentFlags().VisitAll(wrap)
	for _, sub := range c.Commands() {
		refuseRepeats(sub)
	}
}
