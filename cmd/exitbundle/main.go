// Command exitbundle exports a customer's virtual machines into a signed,
// optionally encrypted BagIt bundle that anyone can verify, decrypt and
// restart with stock tools, and verifies and opens such bundles.
package main

import (
	"encoding/json"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
)

func main() {
	os.Exit(cli.Run(newRoot(), os.Args[1:], os.Stderr))
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "exitbundle",
		Short: "Export VMs into a signed, self-describing exit bundle; verify and open one",
		Long: `exitbundle writes a customer's virtual machines (OVF + VMDK, from vSphere,
OVF folders or OVA files) into a signed, optionally encrypted BagIt bundle
with a human-readable index, and verifies and opens such bundles. Everything
it writes can also be checked with ssh-keygen, sha256sum, age and qemu-img.`,
	}
	root.AddCommand(
		// Subcommands, one file each.
		newKeygenCmd(),
		newCreateCmd(),
		newVerifyCmd(),
		newOpenCmd(),
		newInspectCmd(),
		newDrillCmd(),
	)
	addDemo(root)
	return root
}

// writeJSON prints v as indented JSON, as every --json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
