package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/cli"
)

func newKeygenCmd() *cobra.Command {
	var typ, out, passFile string
	var ask bool
	cmd := &cobra.Command{
		Use:   "keygen --type sign|age --out PATH [--passphrase | --key-passphrase-file F]",
		Short: "Make a signing key (OpenSSH ed25519) or an age identity",
		Long: `keygen makes the two kinds of key exit bundles use; existing keys made by
ssh-keygen or age-keygen work everywhere just as well.

--type sign writes an OpenSSH ed25519 private key to PATH (mode 0600) and its
public key to PATH.pub, and prints the fingerprint as "ssh-keygen -l" does.
The provider signs every bundle with it: publish the fingerprint where
customers and trustees can check it independently (your legal website).

The signing key is the root of trust, so encrypt it: --passphrase asks for a
passphrase twice on the terminal; --key-passphrase-file F reads it from the
first line of F; or set EXITBUNDLE_SIGN_PASSPHRASE. The key is then written
as ssh-keygen writes an encrypted key (bcrypt KDF), and create, drill and
exitsite module read the passphrase the same ways. Without any of these the
key is written unencrypted, as before, and keygen says so; encrypt it later
with "ssh-keygen -p -f PATH".

--type age writes an age X25519 identity to PATH (mode 0600) and prints its
recipient (age1...). Give the recipient to "create --recipient"; whoever
holds PATH decrypts with "age -d -i PATH". X25519 is chosen because every
installed age, including Debian's, reads it.

keygen never overwrites an existing file.`,
		Example: `  exitbundle keygen --type sign --out provider-signing --passphrase
  exitbundle keygen --type sign --out provider-signing --key-passphrase-file /run/secrets/sign-pass
  exitbundle keygen --type age --out acme.agekey`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var missing []string
			if typ == "" {
				missing = append(missing, "--type sign|age (a signing key or an age identity)")
			}
			if out == "" {
				missing = append(missing, "--out PATH (the path of the new private key)")
			}
			if len(missing) > 0 {
				return cli.Usage(fmt.Errorf("%s required: give %s", plural(len(missing), "is", "are"), strings.Join(missing, " and ")))
			}
			w, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			switch typ {
			case "sign":
				pass, from, err := newSignPassphrase(ask, passFile, out, stderr)
				if err != nil {
					return cli.Usage(err)
				}
				var pub ssh.PublicKey
				if pass != nil {
					pub, err = keys.GenerateEncryptedSigningKey(out, pass)
					clear(pass)
				} else {
					pub, err = keys.GenerateSigningKey(out)
				}
				if err != nil {
					return cli.Usage(err)
				}
				// As ssh-keygen -l: bits, fingerprint, comment, type.
				fmt.Fprintf(w, "256 %s exitbundle signing key (%s)\n", keys.Fingerprint(pub), keyTypeName(pub))
				if from != "" {
					fmt.Fprintf(stderr, "wrote %s (encrypted with the passphrase from %s) and %s.pub\n", cliSafe(out), from, cliSafe(out))
					return nil
				}
				fmt.Fprintf(stderr, "wrote %s and %s.pub\n", cliSafe(out), cliSafe(out))
				fmt.Fprintf(stderr, "note: %s is not encrypted: whoever can read it can sign bundles in your name. Encrypt it with: ssh-keygen -p -f %s\n", cliSafe(out), shellQuote(out))
				return nil
			case "age":
				if ask || passFile != "" {
					return cli.Usage(errors.New("--passphrase and --key-passphrase-file apply to --type sign; an age identity is protected by where you keep it (or encrypt it with age -p)"))
				}
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
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "what to make, `sign|age`: sign, an OpenSSH ed25519 signing key (PATH and PATH.pub); age, an age X25519 identity")
	f.StringVar(&out, "out", "", "`PATH` of the private key to write (mode 0600); never overwritten")
	f.BoolVar(&ask, "passphrase", false, "encrypt the signing key with a passphrase asked twice on the terminal")
	f.StringVar(&passFile, "key-passphrase-file", "", "encrypt the signing key with the passphrase on the first line of this `FILE` (or set "+signPassphraseEnv+")")
	cli.CompleteValues(cmd, "type", "sign\tan OpenSSH ed25519 signing key", "age\tan age X25519 identity")
	return cmd
}

// newSignPassphrase returns the passphrase a new signing key is encrypted
// with and where it came from, or nil for an unencrypted key: the prompt
// (--passphrase), the file, else the environment.
func newSignPassphrase(ask bool, passFile, out string, stderr io.Writer) ([]byte, string, error) {
	switch {
	case ask && passFile != "":
		return nil, "", errors.New("give either --passphrase (asked on the terminal) or --key-passphrase-file, not both")
	case ask:
		pass, err := cli.NewPassphrase("the signing key "+cliSafe(out), stderr)
		if errors.Is(err, cli.ErrNoTerminal) {
			return nil, "", fmt.Errorf("--passphrase asks on the terminal, but %w: use --key-passphrase-file FILE or set %s", err, signPassphraseEnv)
		}
		if err != nil {
			return nil, "", err
		}
		return pass, "the prompt", nil
	case passFile != "":
		pass, err := keys.ReadPassphraseFile(passFile)
		if err != nil {
			return nil, "", fmt.Errorf("--key-passphrase-file: %w", err)
		}
		return pass, cliSafe(passFile), nil
	}
	if v := os.Getenv(signPassphraseEnv); v != "" {
		return []byte(v), signPassphraseEnv, nil
	}
	return nil, "", nil
}

func keyTypeName(pub ssh.PublicKey) string {
	return strings.ToUpper(strings.TrimPrefix(pub.Type(), "ssh-"))
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shellQuote quotes s for a POSIX shell when it needs it, so a printed
// command can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(cliSafe(s), "'", `'\''`) + "'"
}
