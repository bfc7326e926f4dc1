package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site/clause"
)

func newCheckCmd() *cobra.Command {
	var (
		content  string
		profiles []string
		format   string
	)
	cmd := &cobra.Command{
		Use:   "check [--content DIR] [--profile FILE]... [--format text|json]",
		Short: "Validate the clause library and lint it against the Data Act, DORA and GDPR",
		Long: `check loads every clause version under DIR/clauses/<lang>/, the obligations
catalogue DIR/obligations.yaml and the profiles, and reports:

  errors    malformed front matter, unknown fields, undeclared variables,
            wrong types, values out of bounds, missing required values,
            broken clause references, duplicate id+version+lang, and
            translations whose params differ from the original;
  warnings  parameters never used, published clauses without a translation;
  lint      regulatory rules, run on the library's defaults (per language)
            and on every profile: DA-NOTICE-MAX, DA-TRANSITION-MAX,
            DA-RETRIEVAL-MIN, DA-SWITCH-CHARGES, COVERAGE, TRUSTEE-ACCESS,
            DORA-EXIT-PLAN (regulated profiles), GDPR-RETURN-DELETE;
  info      rules a profile marks not_applicable, with its reason.

Each finding prints as file:line:col: severity: message (rule), followed by
a hint on what to do. Without --profile, every DIR/profiles/*.yaml is
checked; with --profile, only the profiles named.

Exit status: 0 when there are no errors (warnings allowed), 1 when there
are validation or lint errors, 2 for usage errors or unreadable input.`,
		Example: `  exitsite check
  exitsite check --content content --profile content/profiles/bank.yaml
  exitsite check --format json > findings.json`,
		Args:                  cobra.NoArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return cli.Usage(fmt.Errorf("--format %q: use text or json", format))
			}
			lib, err := loadLibrary(content)
			if err != nil {
				return err
			}
			loaded, parseErrs, err := clause.LoadProfiles(content, profiles)
			if err != nil {
				return cli.Usage(err)
			}
			findings := append(parseErrs, clause.Check(lib, loaded)...)
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if findings == nil {
					findings = []clause.Finding{}
				}
				if err := enc.Encode(findings); err != nil {
					return err
				}
			} else {
				printFindings(out, findings)
			}
			counts := map[string]int{}
			for _, f := range findings {
				counts[f.Severity]++
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "checked %s and %s: %s, %s, %s\n",
				plural(len(lib.Clauses), "clause file", "clause files"), plural(len(loaded)+len(parseErrs), "profile", "profiles"),
				plural(counts[clause.SeverityError], "error", "errors"), plural(counts[clause.SeverityWarning], "warning", "warnings"),
				plural(counts[clause.SeverityInfo], "note", "notes"))
			if counts[clause.SeverityError] > 0 {
				return cli.Failed(nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&content, "content", "content", "content `DIR` holding clauses/<lang>/, profiles/ and obligations.yaml")
	cmd.Flags().StringArrayVar(&profiles, "profile", nil, "customer profile `FILE` to validate and lint (repeatable; default: every DIR/profiles/*.yaml)")
	cmd.Flags().StringVar(&format, "format", "text", "output format, `text|json`: text (file:line:col lines with hints) or json (an array of findings for CI)")
	return cmd
}
