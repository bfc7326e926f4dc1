package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/templates"
)

// Environment variables for secrets, which never go in argv.
const (
	signPassphraseEnv = "EXITBUNDLE_SIGN_PASSPHRASE" // passphrase of an encrypted --sign-key
	agePassphraseEnv  = "EXITBUNDLE_PASSPHRASE"      // age passphrase, instead of --passphrase-file
)

func newCreateCmd() *cobra.Command {
	var (
		sources        []string
		out, tarPath   string
		signKey        string
		keyPassFile    string
		recipients     []string
		recipientsFile string
		passFile       string
		compress       string
		jobs           int
		info           bundle.Info
		terms          string
		templatesDir   string
		showOrigin     bool
		sf             *sourceFlags // the vSphere flags, registered below
	)
	cmd := &cobra.Command{
		Use:   "create --source SRC... (--out DIR | --tar FILE) --sign-key KEY [flags]",
		Short: "Export VMs into a signed, optionally encrypted exit bundle",
		Long: `create writes the VMs of every --source into one exit bundle: a BagIt bag
with the payload under data/vms/<vm>/ (each VM's OVF descriptor, a VMware-
compatible .mf and its disks and NVRAM), manifests of every file's SHA-256,
an SSHSIG signature over the tag manifest, exit-manifest.json for machines
and index.html / README.txt for people, with the exact commands to verify,
decrypt and restart each VM using stock tools.

Sources (--source, repeatable): a folder holding OVF exports, in the folder
itself or in subfolders (one VM per folder, as any hypervisor writes them);
a single .ovf with its files beside it; an .ova file; an archive of OVF
exports (.tar, .tar.gz, .tar.zst, .zip), read as a stream and never
extracted to disk; or a vsphere:// URL (below). Every descriptor and every
file it references is checked before anything is written.

Every input byte is read once: hashing, compression, encryption and writing
run as one streaming pipeline, several files at once, in constant memory.

Encryption: disks and NVRAM are encrypted with age to every --recipient and
every line of --recipients-file (age1... recipients or OpenSSH ssh-ed25519 /
ssh-rsa public keys), or to a passphrase (--passphrase-file or the
EXITBUNDLE_PASSPHRASE environment variable; not combinable with recipients).
With none of these the payload is stored unencrypted, still signed, and the
index says so. Descriptors and .mf files always stay readable.

Exit terms: --terms is checked before anything is exported: it must be an
exitsite module whose fingerprints recompute, for --customer and --provider
(taken from it when not given), naming --sign-key as the key that signs
exit bundles, and its signature FILE.sig, when there, must verify with that
key. Anything else exits 2 with what differs.

Tar: --tar FILE writes each file once, straight into FILE.partial (several
at once when their stored sizes are known beforehand: --compress none, and
files auto stores as they are; a compressed file, or one of unknown size
such as a vSphere disk, is written alone), with the
journal and tag files in FILE.parts beside it; after the signature the tag
files go into room kept for them before the payload, and FILE.partial is
renamed to FILE. It resumes like a folder: entries kept from the
interrupted run are proven by re-hashing and their headers rewritten.
--tar - streams the tar to standard output for a pipe (tar -x, a tape, an
object-storage client): each header holds its file's size, so it needs
--compress none (the default with --tar -) and sources that know their
files' sizes (folders, .ova files; not vSphere). It exports one file at a
time, its tag files come last, and it is not resumable: a failure once
bytes went out fails the create. Progress and messages go to standard
error.

Resuming: if create is interrupted (Ctrl-C, a crash, kill -9, a full disk),
run exactly the same command again: files already stored are checked by
re-hashing and kept, and the rest is exported. Only files the resume journal
vouches for are kept: it is authenticated with a key derived from --sign-key
(an ed25519 or RSA key; an ECDSA key cannot resume) and bound to the source
files, so a journal planted in the output is refused. One create at a time
may write an output; a second one fails at once, naming the first. create
never writes, renames or removes through a symbolic link in its output. Until the signature is
written last, the bundle holds the marker .exitbundle-incomplete. create
refuses an output that holds anything else and never overwrites a finished
bundle.

Secrets never go on the command line: an encrypted --sign-key's passphrase
comes from --key-passphrase-file, EXITBUNDLE_SIGN_PASSPHRASE or a terminal
prompt.

Exit status: 0 the bundle is finished and signed; 2 anything else, with the
reason (the bundle is then unfinished and resumable).`,
		Example: `  exitbundle keygen --type sign --out provider-signing
  exitbundle create --source /exports/acme --out /media/drive/acme-exit \
      --sign-key provider-signing --recipients-file acme-recipients.txt \
      --provider "Example Cloud GmbH" --customer "ACME AG" --contact "exit@example.com" \
      --terms acme-exit-terms.html
  exitbundle create --source web.ova --source db.ova --tar acme-exit.tar \
      --sign-key provider-signing --recipient age1...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stderr := cmd.ErrOrStderr()
			sf.stderr = stderr
			switch {
			case len(sources) == 0:
				return cli.Usage(errors.New("--source is required: a folder of OVF exports, an .ovf, an .ova or another archive (.tar, .tar.gz, .tar.zst, .zip), or a vSphere URL"))
			case (out == "") == (tarPath == ""):
				return cli.Usage(errors.New("give exactly one of --out DIR (a bundle folder) or --tar FILE (the bundle as one tar file)"))
			case signKey == "":
				return cli.Usage(errors.New("--sign-key is required: an OpenSSH private key (make one with: exitbundle keygen --type sign --out KEY)"))
			}
			var tarOut io.Writer
			if tarPath == "-" {
				// A stream's headers precede their data: the size of each
				// file must be known first, which compression does not know.
				switch {
				case !cmd.Flags().Changed("compress"):
					compress = "none"
				case compress != "none":
					return cli.Usage(fmt.Errorf("--tar - streams each file after a header holding its size, which --compress %s knows only at the end: use --compress none, or --tar FILE", compress))
				}
				tarOut = cmd.OutOrStdout()
				if cli.IsTerminal(tarOut) {
					return cli.Usage(errors.New("--tar - writes the tar to standard output, which is a terminal: pipe it to a program (tar, a tape, an object-storage client) or redirect it to a file"))
				}
			}
			if err := source.CheckDistinct(sources, vsphereKey); err != nil {
				return cli.Usage(err)
			}
			signer, err := keys.LoadSignerFrom(signKey, signKeySource(signKey, keyPassFile, stderr))
			if err != nil {
				return cli.Usage(err)
			}
			var recs []age.Recipient
			var names []string
			for _, r := range recipients {
				rec, err := keys.ParseRecipient(r)
				if err != nil {
					return cli.Usage(fmt.Errorf("--recipient: %w", err))
				}
				recs, names = append(recs, rec), append(names, r)
			}
			if recipientsFile != "" {
				fr, fn, err := keys.ReadRecipientsFile(recipientsFile)
				if err != nil {
					return cli.Usage(fmt.Errorf("--recipients-file: %w", err))
				}
				recs, names = append(recs, fr...), append(names, fn...)
			}
			pass, err := agePassphrase(passFile)
			if err != nil {
				return cli.Usage(err)
			}
			defer clear(pass)
			if pass != nil && len(recs) > 0 {
				return cli.Usage(errors.New("a passphrase cannot be combined with recipients: age allows an scrypt passphrase only as the sole recipient"))
			}
			tmpl, err := templates.Open(templatesDir)
			if err != nil {
				return cli.Usage(fmt.Errorf("--templates: %w", err))
			}
			var srcs []bundle.Source
			for _, s := range sources {
				src, err := parseSource(cmd.Context(), s, sf)
				if err != nil {
					return cli.Usage(fmt.Errorf("--source %s: %w", cliSafe(vsphere.Redact(s)), err))
				}
				srcs = append(srcs, src)
			}
			m, err := bundle.Create(cmd.Context(), bundle.CreateOptions{
				Sources: srcs, Out: out, Tar: tarPath, TarOut: tarOut, Signer: signer,
				Recipients: recs, RecipientNames: names, Passphrase: pass,
				Compress: compress, Jobs: jobs, Info: info, Terms: terms, Templates: tmpl, ShowOrigin: showOrigin,
				Progress: stderr, Terminal: cli.IsTerminal(stderr),
			})
			if err != nil {
				return err
			}
			dest := out
			if tarPath != "" {
				dest = tarPath
			}
			files := 0
			for _, vm := range m.VMs {
				files += len(vm.Files)
			}
			w := cmd.OutOrStdout()
			if tarOut != nil {
				w, dest = stderr, "the tar stream"
			}
			fmt.Fprintf(w, "wrote %s: %d VMs, %d files, encryption %s, signed by %s\n", dest, len(m.VMs), files, m.Encryption.Mode, m.Signer.Fingerprint)
			fmt.Fprintf(w, "publish the signer fingerprint where the customer can check it independently; open %s in the bundle for what to do next\n", bundle.IndexFile)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&sources, "source", nil, "where the VMs come from, `SRC`: a folder holding OVF exports (any hypervisor's), an .ova file, an archive of OVF folders (.tar, .tar.gz, .tar.zst, .zip), a single .ovf, or a vSphere URL (vsphere://...); repeatable")
	f.StringVar(&out, "out", "", "bundle folder `DIR` to write: new, empty, or an unfinished bundle of this same command to resume")
	f.StringVar(&tarPath, "tar", "", "write the bundle as one tar `FILE` instead of a folder, in one pass (FILE.partial, resumable, beside FILE.parts for the journal and tag files; renamed into place only when complete); \"-\" streams it to standard output, not resumable, with --compress none (its default there)")
	f.StringVar(&signKey, "sign-key", "", "OpenSSH private `KEY` that signs the bundle (exitbundle keygen --type sign); if encrypted, its passphrase comes from --key-passphrase-file, "+signPassphraseEnv+" or a prompt")
	f.StringVar(&keyPassFile, "key-passphrase-file", "", keyPassphraseUsage)
	f.StringArrayVar(&recipients, "recipient", nil, "encrypt to this `RECIPIENT`: an age recipient (age1...) or OpenSSH public key (\"ssh-ed25519 AAAA...\"); repeatable")
	f.StringVar(&recipientsFile, "recipients-file", "", "encrypt to every recipient in this `FILE`, one per line, # comments (as age -R)")
	f.StringVar(&passFile, "passphrase-file", "", "encrypt with the passphrase in this `FILE` (first line) instead of recipients; or set "+agePassphraseEnv)
	f.StringVar(&compress, "compress", "auto", "zstd compression before encryption, `none|zstd|auto`: auto stores files already compressed (streamOptimized VMDKs) as they are and compresses the others only where they compress")
	cli.JobsVar(f, &jobs, "files exported at once (default: the number of CPUs)")
	f.StringVar(&info.Provider, "provider", "", "your organisation's `NAME`, as the customer knows it (bag-info Source-Organization)")
	f.StringVar(&info.Customer, "customer", "", "the `NAME` of the customer whose VMs these are")
	f.StringVar(&info.Contact, "contact", "", "the `EMAIL` address to contact about this bundle (bag-info Contact-Email)")
	f.StringVar(&info.ContactName, "contact-name", "", "the person or desk `NAME` to contact about this bundle (bag-info Contact-Name)")
	f.StringVar(&info.Description, "description", "", "`TEXT` saying why and for what the bundle was made, e.g. \"end of contract 2026-11-30\"")
	f.StringVar(&templatesDir, "templates", "", "a folder `DIR` whose bundle/index.md.tmpl, bundle/index.html, bundle/index.css and bundle/restart.tmpl replace the embedded ones, to brand the bundle's index (as exitsite --templates does the site)")
	f.BoolVar(&showOrigin, "show-origin", false, "print in the index where each VM was exported from (the vCenter URL or source folder); by default it names only the kind of source, since the index goes to third parties")
	f.StringVar(&terms, "terms", "", "the customer's exit terms `FILE` (the contract module HTML from exitsite) to embed as TERMS.html")
	// vSphere connection flags (--vsphere-thumbprint, --insecure, --include-iso), read by parseSource.
	sf = addSourceFlags(f)
	cli.CompleteValues(cmd, "compress", "auto\tzstd unless already compressed", "zstd\tcompress every file", "none\tstore as read")
	cmd.Long += "\n\n" + vsphereHelp
	return cmd
}

// signKeySource is where an encrypted signing key's passphrase comes
// from, the same for create, drill and keygen: --key-passphrase-file, the
// environment, else a prompt on the terminal.
func signKeySource(keyPath, passFile string, stderr io.Writer) keys.PassphraseSource {
	return keys.PassphraseSource{
		File: passFile, FileFlag: "--key-passphrase-file", Env: []string{signPassphraseEnv},
		Prompt: cli.PromptPassphrase("Enter passphrase for signing key "+keyPath+": ", stderr),
	}
}

// keyPassphraseUsage is the help of --key-passphrase-file wherever a
// signing key is read.
const keyPassphraseUsage = "a `FILE` whose first line is the passphrase of an encrypted --sign-key (or set " + signPassphraseEnv + "; never on the command line)"

// agePassphrase reads the age passphrase from --passphrase-file (its first
// line) or the environment, the same way for create, verify and open so
// that what encrypted also decrypts; nil when neither is given.
func agePassphrase(path string) ([]byte, error) {
	if path != "" {
		pass, err := keys.ReadPassphraseFile(path)
		if err != nil {
			return nil, fmt.Errorf("--passphrase-file: %w", err)
		}
		return pass, nil
	}
	if v := os.Getenv(agePassphraseEnv); v != "" {
		return []byte(v), nil
	}
	return nil, nil
}
