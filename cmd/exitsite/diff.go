package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/redline"
)

func newDiffCmd() *cobra.Command {
	var content, lang, color string
	cmd := &cobra.Command{
		Use:                   "diff ID FROM TO [--content DIR] [--lang en|nl] [--color auto|always|never]",
		DisableFlagsInUseLine: true,
		Short:                 "Print the redline between two versions of a clause",
		Long: `diff renders versions FROM and TO of clause ID in the library view (each
parameter shown as a placeholder with its default) and prints what changed:
by paragraph and sentence, word by word only inside an edited sentence (a
rewritten one is shown deleted and inserted whole); deletions in red and
struck through, insertions in green and underlined, or [-deleted-] and
{+inserted+} without colour.

The first line of each rendering names the clause and its version, so the
version change itself shows there.`,
		Example: `  exitsite diff EM-13 1.0.0 2.0.0
  exitsite diff EM-10 1.0.0 1.1.0 --lang nl --color never | less`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 3 {
				return cli.Usage(fmt.Errorf("diff takes ID FROM TO, e.g. exitsite diff EM-13 1.0.0 2.0.0; got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var useColor bool
			switch color {
			case "always":
				useColor = true
			case "never":
			case "auto":
				useColor = cli.IsTerminal(cmd.OutOrStdout()) && os.Getenv("NO_COLOR") == ""
			default:
				return cli.Usage(fmt.Errorf("--color %q: use auto, always or never", color))
			}
			lib, err := loadLibrary(content)
			if err != nil {
				return err
			}
			id := args[0]
			var r [2]*clause.Rendered
			for i, v := range args[1:] {
				c, err := lib.FindVersion(id, v, lang)
				if err != nil {
					return cli.Usage(err)
				}
				if r[i], err = c.Render(lib, nil); err != nil {
					return cli.Usage(err)
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), redline.Compare(r[0].Text, r[1].Text).Terminal(useColor))
			return nil
		},
	}
	cmd.Flags().StringVar(&content, "content", "content", "content `DIR` holding clauses/<lang>/")
	cmd.Flags().StringVar(&lang, "lang", "en", "language of the versions to compare, `en|nl`")
	cmd.Flags().StringVar(&color, "color", "auto", "when to colour the redline, `auto|always|never`: auto on a terminal unless NO_COLOR is set")
	cli.CompleteValues(cmd, "lang", "en\tEnglish", "nl\tDutch")
	cli.CompleteValues(cmd, "color", "auto", "always", "never")
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeClauseArgs(content, lang, args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

// completeClauseArgs offers diff's arguments from the file names of
// DIR/clauses/<lang>/ (ID-vVERSION.md, as clause.Load requires): the
// clause ids first, then the versions of the clause given. Reading names
// only keeps a Tab press instant, whatever the library holds.
func completeClauseArgs(content, lang string, args []string, toComplete string) []string {
	if lang == "" {
		lang = "en"
	}
	entries, err := os.ReadDir(filepath.Join(content, "clauses", lang))
	if err != nil || len(args) > 2 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".md")
		i := strings.LastIndex(name, "-v")
		if !ok || e.IsDir() || i <= 0 {
			continue
		}
		id, version := name[:i], name[i+2:]
		v := id
		if len(args) > 0 {
			if id != args[0] {
				continue
			}
			v = version
		}
		if !seen[v] && strings.HasPrefix(v, toComplete) {
			seen[v] = true
			out = append(out, v)
		}
	}
	slices.SortFunc(out, compareNatural)
	return out
}

// compareNatural orders EM-2 before EM-10 and 1.2.0 before 1.10.0.
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			na, _ := strconv.Atoi(da)
			nb, _ := strconv.Atoi(db)
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
