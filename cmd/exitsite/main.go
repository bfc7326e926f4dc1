// Command exitsite turns the legal team's exit-management clause templates
// into checked, versioned, citable terms: a public website and
// per-customer contract modules.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
)

func main() {
	os.Exit(cli.Run(newRoot(), os.Args[1:], os.Stderr))
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "exitsite",
		Short: "Check, preview and publish exit-management terms",
		Long: `exitsite keeps a cloud provider's exit-management clauses as Markdown
templates with typed parameters, checks them against the EU Data Act, DORA
and GDPR, and publishes them as a legal website and per-customer modules,
each clause version citable by its sha256 fingerprint.`,
	}
	root.AddCommand(
		newCheckCmd(), newDiffCmd(), newBuildCmd(), newServeCmd(), newModuleCmd(), newVerifyModuleCmd(),
	// Subcommands, one file each.
	)
	return root
}
