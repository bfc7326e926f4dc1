package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/internal/cli"
)

func newOpenCmd() *cobra.Command {
	var k keyFlags
	var out string
	var vms []string
	var jobs int
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "open DIR|FILE.tar --out DIR [--identity KEY | --passphrase-file F] [--vm NAME]...",
		Short: "Decrypt a bundle's VMs into plain OVF folders ready to import",
		Long: `open restores the VMs of an exit bundle into plain OVF folders, one per VM:
<out>/<vm>/<vm>.ovf, <vm>.mf and the decrypted, decompressed disks and NVRAM,
ready for "Deploy OVF Template", ovftool, VBoxManage import or virt-v2v.

It first checks the signature over the tag manifest (see verify for --signer and
--allowed-signers) and refuses an unsigned, unfinished or wrongly signed bundle
unless --force is given. Every file is written under a temporary name and kept
only once its stored and plaintext SHA-256 match the bundle's manifests; a file
that fails is removed and named, and that VM's .ovf is not written, so a folder
with a descriptor is always complete. open never overwrites an existing file,
writes only the names the signed exit-manifest.json lists (a descriptor whose
href names any other file is refused), never reads through a link in the bag,
writes disks 0600, and removes the unverified partial files a killed earlier
run left.

"restore" is another name for open. --json prints what was restored: the
signer, whether it was pinned, whether checks were overridden by --force, and
each VM.

Exit status: 0 all chosen VMs opened, 1 a check failed, 2 usage, unreadable
input, or a path that holds no exit bundle.`,
		Example: `  exitbundle open /media/drive/exit-2026 --identity customer.agekey --out ~/restored --signer provider-signing.pub
  EXITBUNDLE_PASSPHRASE=... exitbundle open exit.tar --out ~/restored --vm web`,
		Args: cli.OneArg("give the bundle to open: a folder or a .tar file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cli.Usage(errors.New("--out is required: the folder that receives one OVF folder per VM"))
			}
			ko, err := k.resolve(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			rep, err := bundle.Restore(cmd.Context(), args[0], bundle.RestoreOptions{
				Out: out, VMs: vms, Identities: ko.identities,
				Signer: ko.signer, SignerFingerprint: ko.fingerprint,
				AllowedSigners: k.allowedSigners, Principal: k.principal,
				Force: force, Jobs: jobs, Progress: cmd.ErrOrStderr(),
			})
			var exists *bundle.OutputExistsError
			if errors.As(err, &exists) && len(exists.Others) > 0 {
				var vmFlags []string
				for _, vm := range exists.Others {
					vmFlags = append(vmFlags, "--vm "+shellQuote(vm))
				}
				err = fmt.Errorf("%w; or open only the VMs not there yet: %s", err, strings.Join(vmFlags, " "))
			}
			if asJSON {
				if jerr := writeJSON(cmd.OutOrStdout(), rep); jerr != nil {
					return jerr
				}
			} else if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "opened into %s\n", out)
			}
			return err
		},
	}
	k.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "folder `DIR` to write <vm>/<vm>.ovf and its files into; existing files are never overwritten")
	cmd.Flags().StringArrayVar(&vms, "vm", nil, "open only this VM, by the `NAME` of its folder under data/vms; repeatable; default: all")
	cli.JobsVar(cmd.Flags(), &jobs, "files decrypted at once (default: the number of CPUs)")
	cmd.Flags().BoolVar(&force, "force", false, "open even an unsigned, unfinished or wrongly signed bundle; every file is still checked against the bundle's own hashes, but nothing vouches for them")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was restored (signer, whether it was pinned, forced, each VM) as JSON")
	cmd.Aliases = []string{"restore"}
	return cmd
}
