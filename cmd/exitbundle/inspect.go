package main

import (
	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/internal/cli"
)

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect DIR|FILE.tar",
		Short: "Show what a bundle holds, without reading its payload",
		Long: `inspect prints what a bundle holds: provider and customer, when it was made,
the signer's fingerprint, how the payload is encrypted, each VM's hardware
(guest OS, vCPU, memory, firmware, disk controllers, NICs, disks) and sizes,
and whether the bundle was finished (signature present, no incomplete marker).

It reads only exit-manifest.json, signer.pub and the names of the tag files,
so it is instant on a bundle of any size and needs no key. It checks nothing:
run 'exitbundle verify' to check the signature and every byte.

Exit status: 0 for a finished bundle, 1 for an unfinished one (no signature,
or the incomplete marker present), 2 when the path is not a bundle.`,
		Example: `  exitbundle inspect /media/drive/acme-exit
  exitbundle inspect acme-exit.tar --json`,
		Args: cli.OneArg("give the bundle to inspect: a folder or a .tar file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := bundle.Inspect(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, in); err != nil {
					return err
				}
			} else if err := in.WriteText(out); err != nil {
				return err
			}
			if !in.Complete {
				return cli.Failed(nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the inspection (status and the whole exit manifest) as JSON")
	return cmd
}
