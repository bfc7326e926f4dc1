package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/lint"
)

func newCheckCmd() *cobra.Command {
	var (
		content  string
		profiles []string
		format   string
		lock     bool
		asOf     asOfFlag
	)
	cmd := &cobra.Command{
		Use:   "check [--content DIR] [--profile FILE]... [--format text|json] [--write-lock] [--as-of DATE]",
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
            DA-TRANSITION-ALT-MAX, DA-RETRIEVAL-MIN, DA-SWITCH-CHARGES,
            DA-PARALLEL-EGRESS, COVERAGE, DA-EXIT-WITHOUT-REQUEST,
            DA-FUNC-EQUIV, DA-EXEMPTION-SCOPE, TRUSTEE-ACCESS, LEGAL-CUTOFF,
            GDPR-RETURN-DELETE, TIMING-CONSISTENCY, SURVIVAL-COMPLETE,
            EFFECTIVE-IN-FORCE, CHANGE-NOTICE-30, TERMS-MATCH,
            DORA-FLAG-MATCH; on regulated profiles also DORA-EXIT-PLAN,
            DORA-TERMINATION-RIGHTS, DORA-RESOLUTION,
            DORA-TRANSITION-ADEQUATE, DORA-PROVIDER-NOTICE;
  info      rules a profile marks not_applicable, with its reason.
  versions  a published version whose text differs from DIR/versions.lock
            (error: publish a new version instead), a published version
            not yet locked (warning), a profile that pins no versions
            (warning: its module changes with the library), a pinned
            clause with a newer version (note), a selected version that
            takes effect after the profile's effective date (error).

--write-lock adds every published version not yet in DIR/versions.lock to
it (creating it), then checks; it never rewrites a locked line. Commit the
file with the new version. To lock a whole library afresh, delete the file
and run 'exitsite check --write-lock'.

--as-of DATE lints every profile with the versions in force on DATE instead
of on its effective date (pinned versions stay as pinned).

Each finding prints as file:line:col: severity: message (rule), followed by
a hint on what to do. Without --profile, every DIR/profiles/*.yaml is
checked; with --profile, only the profiles named.

Exit status: 0 when there are no errors (warnings allowed), 1 when there
are validation or lint errors, 2 for usage errors or unreadable input.`,
		Example: `  exitsite check
  exitsite check --content content --profile content/profiles/bank.yaml
  exitsite check --format json > findings.json
  exitsite check --write-lock`,
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
			if lock {
				if lib, err = writeLock(cmd.ErrOrStderr(), lib); err != nil {
					return err
				}
			}
			loaded, parseErrs, err := clause.LoadProfiles(content, profiles)
			if err != nil {
				return cli.Usage(err)
			}
			for _, p := range loaded {
				p.AsOf = asOf.t
			}
			findings := append(parseErrs, lint.Check(lib, loaded)...)
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
	cli.CompleteValues(cmd, "format", "text\tfile:line:col lines with hints", "json\tan array of findings for CI")
	cmd.Flags().BoolVar(&lock, "write-lock", false, "add every published version not yet locked to DIR/versions.lock, then check")
	cmd.Flags().Var(&asOf, "as-of", "lint profiles with the versions in force on `DATE` (YYYY-MM-DD) instead of their effective dates")
	return cmd
}
