//go:build !trustee

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/demo"
)

// addDemo adds the demo, which the trustee build leaves out.
func addDemo(root *cobra.Command) { root.AddCommand(newDemoCmd()) }

func newDemoCmd() *cobra.Command {
	var out, content, profile string
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Export three sample VMs from a built-in vCenter simulator into a bundle, and verify it",
		Long: `demo shows the whole job on this machine, with nothing else installed: it
starts govmomi's vCenter simulator inside the process with three sample VMs
whose disks are small real VMDKs (one EFI VM with its NVRAM, running, so it
is exported through a temporary snapshot; one with two disks; one on a
distributed port group; each boot disk carries a tiny guest that prints
"exitkit demo guest NAME running"), writes a throwaway signing key and age identity
into DIR/keys, exports all three through the vSphere source into an
encrypted, signed bundle in DIR/bundle, verifies it, and prints where the
index is, the stock-tool commands (sha256sum, ssh-keygen, age, qemu-img)
that check it by hand, and the exitbundle drill command that boots every VM
in QEMU and signs a report.

With the clause library at hand (run from a checkout of exitkit, or pass
--content and --profile), the customer's exit-management module is rendered
from it and embedded as TERMS.html, so the bundle cites the exact clause
versions that govern the hand-over.

It takes a few seconds and leaves nothing running. DIR must be new or empty,
or one an earlier demo wrote: a rerun replaces what that demo wrote there,
recognised by the .exitbundle-demo marker it left, and refuses a folder
holding anything else.`,
		Example: `  exitbundle demo
  exitbundle demo --out /tmp/exit-demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("profile") && !cmd.Flags().Changed("content") {
				if _, err := os.Stat(profile); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "demo: no clause library at %s; the bundle gets no TERMS.html (give --content and --profile)\n", content)
					profile = ""
				}
			}
			res, err := demo.Run(cmd.Context(), demo.Options{Dir: out, Progress: cmd.ErrOrStderr(), Content: content, Profile: profile})
			if errors.Is(err, demo.ErrNotEmpty) {
				return cli.Usage(err)
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "\nbundle:  %s (verified: %d files, signature, every hash, decrypted contents)\n", res.Bundle, res.Report.Files)
			fmt.Fprintf(w, "index:   %s\n", res.Index)
			if res.Terms != "" {
				fmt.Fprintf(w, "terms:   %s (embedded as %s)\n", res.Terms, bundle.TermsFile)
			}
			fmt.Fprintf(w, "keys:    %s (signing), %s (age identity)\n", res.SigningKey, res.AgeIdentity)
			fmt.Fprintf(w, "\nCheck it by hand with stock tools:\n")
			for _, c := range res.Commands() {
				fmt.Fprintf(w, "  %s\n", c)
			}
			// The signer pinned, as a trustee should; the installed form,
			// since "go run" reports every failure as exit 1.
			fmt.Fprintf(w, "\nOr with exitbundle (go install ./cmd/exitbundle first, or use go run ./cmd/exitbundle):\n  exitbundle verify %s --signer %s --identity %s\n",
				shellQuote(res.Bundle), shellQuote(res.SigningKey+".pub"), shellQuote(res.AgeIdentity))
			fmt.Fprintf(w, "\nProve each VM restarts (boots it in QEMU, writes a signed exit-test report):\n  %s\n", res.DrillCommand(filepath.Join(res.Dir, demo.DrillDir)))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", demo.DefaultDir, "folder `DIR` to write the keys and the bundle into: new, empty, or an earlier demo's (replaced)")
	cmd.Flags().StringVar(&content, "content", "content", "the clause library `DIR` to render the customer's exit terms from")
	cmd.Flags().StringVar(&profile, "profile", filepath.Join("content", "profiles", "bank.yaml"), "the customer profile `FILE` whose module is embedded as TERMS.html")
	return cmd
}
