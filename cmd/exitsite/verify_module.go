package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/terms"
)

func newVerifyModuleCmd() *cobra.Command {
	var signer string
	cmd := &cobra.Command{
		Use:   "verify-module FILE [--signer KEY]",
		Short: "Check the signature of a module that 'exitsite module --sign-key' issued",
		Long: `verify-module checks FILE.sig, the SSHSIG signature (namespace
exitkit-module) beside a module document, HTML, PDF or DOCX. For an HTML
module it also recomputes the module fingerprint and every clause
fingerprint from the texts it carries, and checks that the module names
the key that signed it.

--signer is the provider's key as published: a public key file (such as
signer.pub), an "ssh-ed25519 AAAA..." line or a SHA256: fingerprint as
'ssh-keygen -l' prints it. Without it, an HTML module is checked against
the signer it names itself, which proves only that the file is unchanged:
compare the fingerprint printed with the one the provider publishes.

The same check with OpenSSH alone:

  echo "provider $(cat signer.pub)" > allowed_signers
  ssh-keygen -Y verify -f allowed_signers -I provider -n exitkit-module -s FILE.sig < FILE

Exit status: 0 when the signature verifies (and the fingerprints
recompute), 1 when it does not, 2 for usage errors or unreadable input.`,
		Example: `  exitsite verify-module zuiderzee-exit-module.pdf --signer signer.pub
  exitsite verify-module zuiderzee-exit-module.html --signer SHA256:hifGXIhyH52iSshdxouCpaP+ejywwgV8Tkf99QmL73Y`,
		Args: cli.OneArg("give the module to check: the HTML, PDF or DOCX file beside its .sig"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, fp, err := keys.ParseSigner(signer)
			if err != nil {
				return cli.Usage(fmt.Errorf("--signer: %w", err))
			}
			v, err := terms.VerifyFile(args[0], pub, fp)
			var ce *terms.CheckError
			if errors.Is(err, terms.ErrBadSignature) || errors.As(err, &ce) {
				return cli.Failed(err)
			}
			if err != nil {
				return cli.Usage(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "OK: %s is signed by %s\n", printable(args[0]), v.Signer)
			if m := v.Module; m != nil {
				fmt.Fprintf(out, "module fingerprint %s, %s for %s, recomputed\n", m.Fingerprint, plural(len(m.Clauses), "clause", "clauses"), printable(m.Customer))
			}
			if v.SignerFrom == "module" {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: no --signer given; the module names %s itself: compare it with the fingerprint the provider publishes\n", v.Signer)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&signer, "signer", "", "the provider's public `KEY`: a .pub file, an ssh-ed25519 line or a SHA256: fingerprint")
	return cmd
}
