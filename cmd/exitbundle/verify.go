package main

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/cli"
)

// keyFlags are the signer and decryption flags verify and open share.
type keyFlags struct {
	signer         string
	allowedSigners string
	principal      string
	identities     []string
	passphraseFile string
	maxWorkFactor  int
}

func (k *keyFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&k.signer, "signer", "", "the `KEY` that must have signed: a public key file (signer.pub as the provider published it), an \"ssh-ed25519 AAAA...\" line, or a fingerprint \"SHA256:...\". Without it or --allowed-signers the bundle's own signer.pub is used, which proves the bundle intact but not who made it")
	f.StringVar(&k.allowedSigners, "allowed-signers", "", "an ssh-keygen allowed_signers `FILE` (\"principal [namespaces=\\\"exitbundle\\\"] ssh-ed25519 AAAA...\"); needs --principal")
	f.StringVar(&k.principal, "principal", "", "the `NAME` to look up in --allowed-signers, e.g. legal@provider.example")
	f.StringArrayVar(&k.identities, "identity", nil, "a `KEY` that decrypts the payload: an age identity file (AGE-SECRET-KEY-1...) or an OpenSSH private key (ed25519 or RSA; asks for its passphrase on a terminal). Repeatable")
	f.IntVar(&k.maxWorkFactor, "max-work-factor", keys.DefaultMaxWorkFactor, "the highest scrypt work factor `N` (log2 N) a passphrase-encrypted file may ask for; create writes "+fmt.Sprint(keys.DefaultMaxWorkFactor)+" and a file asking for more fails its check; raise it only for a bundle you trust (22: 4 GiB per file)")
	f.StringVar(&k.passphraseFile, "passphrase-file", "", "a `FILE` whose first line is the passphrase the bundle was encrypted with; or set "+agePassphraseEnv+" (passphrases never go on the command line)")
}

// keyOptions are keyFlags resolved: what verify and open pass on to bundle.
type keyOptions struct {
	signer      ssh.PublicKey
	fingerprint string
	identities  []age.Identity
}

// resolve checks the signer flags and loads the decryption keys, asking on
// stderr for an SSH key's passphrase.
func (k *keyFlags) resolve(stderr io.Writer) (keyOptions, error) {
	pub, fp, err := k.pinned()
	if err != nil {
		return keyOptions{}, err
	}
	if k.maxWorkFactor < 1 || k.maxWorkFactor > 30 {
		return keyOptions{}, cli.Usage(fmt.Errorf("--max-work-factor %d: give 1 to 30 (log2 of scrypt's N; create writes %d)", k.maxWorkFactor, keys.DefaultMaxWorkFactor))
	}
	if (k.allowedSigners == "") != (k.principal == "") {
		return keyOptions{}, cli.Usage(errors.New("--allowed-signers and --principal go together"))
	}
	ids, err := k.decryptIdentities(stderr)
	if err != nil {
		return keyOptions{}, err
	}
	return keyOptions{signer: pub, fingerprint: fp, identities: ids}, nil
}

// pinned returns the signer key or fingerprint given on the command line.
func (k *keyFlags) pinned() (ssh.PublicKey, string, error) {
	pub, fp, err := keys.ParseSigner(k.signer)
	if err != nil {
		return nil, "", cli.Usage(fmt.Errorf("--signer: %w", err))
	}
	return pub, fp, nil
}

// decryptIdentities loads every --identity and the passphrase, if any.
func (k *keyFlags) decryptIdentities(stderr io.Writer) ([]age.Identity, error) {
	var ids []age.Identity
	for _, p := range k.identities {
		loaded, err := keys.LoadIdentitiesWithPassphrase(p, cli.PromptPassphrase("Enter passphrase for "+p+": ", stderr))
		if err != nil {
			return nil, cli.Usage(err)
		}
		ids = append(ids, loaded...)
	}
	pass, err := agePassphrase(k.passphraseFile)
	if err != nil {
		return nil, cli.Usage(err)
	}
	if pass != nil {
		id, err := keys.PassphraseIdentityMax(pass, k.maxWorkFactor)
		clear(pass)
		if err != nil {
			return nil, cli.Usage(err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func newVerifyCmd() *cobra.Command {
	var k keyFlags
	var jobs int
	var asJSON, progress, force bool
	cmd := &cobra.Command{
		Use:   "verify DIR|FILE.tar|-",
		Short: "Check a bundle's signature, completeness and every byte",
		Long: `verify checks an exit bundle, a folder or a .tar ("-": a tar on standard input,
e.g. streamed from a server), reading every byte once:

  complete       the signature exists and no .exitbundle-incomplete marker is left
  signature      the SSHSIG signature over tagmanifest-sha256.txt (namespace exitbundle),
                 by the key given with --signer or --allowed-signers; without them, by
                 the bundle's own signer.pub, whose fingerprint you must then compare
                 with the one the provider published
  tag-manifest   the hashes of bagit.txt, bag-info.txt, the manifests, index and signer.pub
  bagit          the bag as RFC 8493 says: bagit.txt exactly, bag-info.txt, every payload
                 and tag manifest (md5, sha1, sha256, sha512), nothing listed missing,
                 nothing unlisted in data/, no fetch.txt (--json: "bagit_valid")
  profile        exitkit's own rules: SHA-256 manifests, every tag file in the signed
                 tag manifest, Payload-Oxum matches
  payload        the SHA-256 of every stored payload file (files in parallel)
  exit-manifest  exit-manifest.json agrees with the bag
  ovf            each OVF descriptor and .mf agrees with its files
  plaintext      with --identity or a passphrase, every encrypted file is decrypted and
                 decompressed in memory, never written, and its plaintext hash checked;
                 only files the signed exit-manifest.json lists are decoded, each up to
                 the size it declares, and nothing when the signature fails (--force)

Without --signer or --identity, verify exits 0 when every check it can run
passes, and says what it did not check (--json: "skipped", "signer_pinned").

Exit status: 0 every check that ran passed, 1 a check failed (or the bundle is
unfinished), 2 usage error, unreadable input, or a path that holds no exit
bundle. The same checks with stock tools are printed in the bundle's own
index.html and README.txt.`,
		Example: `  exitbundle verify /media/drive/exit-2026 --signer provider-signing.pub
  exitbundle verify exit.tar --allowed-signers allowed_signers --principal legal@provider.example
  exitbundle verify /media/drive/exit-2026 --signer SHA256:Xk3... --identity customer.agekey --json`,
		Args: cli.OneArg("give the bundle to verify: a folder, a .tar file, or - for a tar on standard input"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ko, err := k.resolve(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			opts := bundle.VerifyOptions{
				Signer: ko.signer, SignerFingerprint: ko.fingerprint,
				AllowedSigners: k.allowedSigners, Principal: k.principal,
				Identities: ko.identities, Jobs: jobs, Stdin: cmd.InOrStdin(),
				Force: force,
			}
			if progress {
				opts.Progress = cmd.ErrOrStderr()
			}
			report, err := bundle.Verify(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				err = report.WriteJSON(out)
			} else {
				err = report.WriteText(out)
			}
			if err != nil {
				return err
			}
			if !report.OK {
				if asJSON {
					return cli.Failed(nil)
				}
				return cli.Failed(report.Err())
			}
			return nil
		},
	}
	k.register(cmd)
	cli.JobsVar(cmd.Flags(), &jobs, "files read at once (default: the number of CPUs)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (same checks and files as the text report)")
	cmd.Flags().BoolVar(&progress, "progress", false, "print a line on stderr as each file is read")
	cmd.Flags().BoolVar(&force, "force", false, "decrypt and decompress even when the signature does not verify (still bounded by the sizes exit-manifest.json declares, which nothing then vouches for)")
	return cmd
}
