//go:build trustee

package main

import "github.com/spf13/cobra"

// A trustee's build (go build -tags trustee) has no demo: it leaves out
// govmomi's simulator, the clause engine and YAML.
func addDemo(*cobra.Command) {}
