package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/cli"
)

func newKeygenCmd() *cobra.Command {
	var typ, out string
	cmd := &cobra.Command{
		Use:   "keygen --type sign|age --out PATH",
		Short: "Make a signing key (OpenSSH ed25519) or an age identity",
		Long: `keygen makes the two kinds of key exit bundles use; existing keys made by
ssh-keygen or age-keygen work everywhere just as well.

--type sign writes an OpenSSH ed25519 private key to PATH (mode 0600) and its
public key to PATH.pub, and prints the fingerprint as "ssh-keygen -l" does.
The provider signs every bundle with it: publish the fingerprint where
customers and trustees can check it independently (your legal website).

--type age writes an age X25519 identity to PATH (mode 0600) and prints its
recipient (age1...). Give the recipient to "create --recipient"; whoever
holds PATH decrypts with "age -d -i PATH". X25519 is chosen because every
installed age, including Debian's, reads it.

keygen never overwrites an existing file.`,
		Example: `  exitbundle keygen --type sign --out provider-signing
  exitbundle keygen --type age --out acme.agekey`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return cli.Usage(errors.New("--out is required: the path of the new private key"))
			}
			w := cmd.OutOrStdout()
			switch typ {
			case "sign":
				pub, err := keys.GenerateSigningKey(out)
				if err != nil {
					return cli.Usage(err)
				}
				// As ssh-keygen -l: bits, fingerprint, comment, type.
				fmt.Fprintf(w, "256 %s exitbundle signing key (%s)\n", keys.Fingerprint(pub), keyTypeName(pub))
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s and %s.pub\n", out, out)
				return nil
			case "age":
				id, err := keys.GenerateAgeIdentity(out)
				if err != nil {
					return cli.Usage(err)
				}
				fmt.Fprintln(w, id.Recipient().String())
				return nil
			default:
				return cli.Usage(fmt.Errorf("--type %q: use sign (an OpenSSH ed25519 signing key) or age (an age X25519 identity)", typ))
			}
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "sign: an OpenSSH ed25519 signing key (PATH and PATH.pub); age: an age X25519 identity")
	cmd.Flags().StringVar(&out, "out", "", "path of the private key to write (mode 0600); never overwritten")
	return cmd
}

func keyTypeName(pub ssh.PublicKey) string {
	return strings.ToUpper(strings.TrimPrefix(pub.Type(), "ssh-"))
}
