package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/internal/terms"
	"github.com/exitkit/exitkit/site"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/pin"
	"github.com/exitkit/exitkit/site/module"
	"github.com/exitkit/exitkit/site/module/printer"
)

func newModuleCmd() *cobra.Command {
	var (
		profile, content, lang, out, tpl string
		force                            bool
		pin                              bool
		asOf                             asOfFlag
		formats                          []string
		signKey, keyPassFile, agreement  string
		browser, pandoc                  string
	)
	cmd := &cobra.Command{
		Use:   "module --profile FILE [--content DIR] [--lang en|nl] [--format html|pdf|docx]... [--out FILE] [--sign-key KEY]",
		Short: "Issue one customer's exit-management module as HTML, PDF or DOCX, optionally signed",
		Long: `module renders the exit-management module for the customer described by a
profile: one self-contained HTML document, styles inline and no links outside
itself, that prints cleanly and can be stored, mailed or attached to a
contract. It holds:

  a cover page   provider, customer, the main agreement it is a schedule
                 to (--agreement), effective date, module fingerprint,
                 signing keys; then the contents and every agreed value
  negotiated     each value that differs from the library's default, with
                 both values, and each standard clause left out
  the clauses    the profile's selection (default: every clause), at the
                 versions it pins, else at the version in force on its
                 effective date (or --as-of DATE), with the customer's
                 values filled in, each with its sha256 fingerprint
  coverage       each Data Act, DORA, EBA and GDPR obligation against the
                 clauses of this module; rules the profile marks not
                 applicable, with their reasons
  signatures     a signature block for each party
  fingerprints   the module's fingerprint and the exact text it is the
                 sha256 of, so anyone can recompute it with sha256sum

Formats (--format, repeatable or comma-separated; default html):

  html   the signed original: one self-contained file
  pdf    printed by headless Chromium (Debian package chromium, or
         --browser PATH) from the module's print stylesheet: A4, cover
         page, contents with page numbers, a running header with the
         customer and module fingerprint, page numbers, links between
         clauses, DejaVu fonts embedded (Debian package fonts-dejavu-core).
         The same input gives the same bytes.
  docx   a Word copy for negotiation through pandoc (Debian package
         pandoc, or --pandoc PATH), marked "negotiation copy: the signed
         HTML/PDF prevails"; clause headings are Word headings.

With one --format, --out is the file written; with several, --out is a
base name and each format's extension is added (bank -> bank.html,
bank.pdf). PDF and DOCX need --out.

--sign-key KEY signs every file with an OpenSSH key (such as the bundle
signing key from 'exitbundle keygen --type sign'): FILE.sig beside each
FILE, an SSHSIG signature in namespace exitkit-module, and the module
names the key's fingerprint on its cover. When the profile names no
signing_key, the cover gives this key as the bundle signing key too. If
the key is encrypted, its passphrase comes from --key-passphrase-file,
EXITSITE_SIGN_PASSPHRASE (or EXITBUNDLE_SIGN_PASSPHRASE) or a prompt. Check a signature with 'exitsite verify-module FILE', or with
OpenSSH alone:

  echo "provider $(cat signer.pub)" > allowed_signers
  ssh-keygen -Y verify -f allowed_signers -I provider -n exitkit-module -s FILE.sig < FILE

The document carries machine-readable markers (a meta element with the module
fingerprint; per clause a section with data-clause-id, data-clause-version,
data-clause-lang and data-fingerprint), which 'exitbundle create --terms'
reads when it embeds the module in an exit bundle.

The profile and the clauses it selects are checked first, as 'exitsite check
--profile FILE' does: with errors no module is written. Modules are never
written into the public site: an --out inside a folder written by 'exitsite
build' is refused. An existing output file is kept unless --force; then
nothing is written.

--pin records the versions the module rendered in the profile (clauses:
with each id and version), rewriting --profile in place and keeping its
comments, so that the module issued again later has the same text; 'exitsite
check' then notes where a newer version exists. --as-of changes the date for
unpinned clauses only, never a pin.

To brand the module, pass --templates DIR with DIR/module/module.html,
DIR/module/module.css, or DIR/module/brand.css (extra CSS added after the
default).

Exit status: 0 on success, 1 when the profile or its clauses have errors,
2 for usage errors or unreadable input.`,
		Example: `  exitsite module --profile content/profiles/bank.yaml --out zuiderzee-exit-module.html
  exitsite module --profile content/profiles/bank.yaml --lang nl --out zuiderzee-exitmodule.html
  exitsite module --profile content/profiles/bank.yaml --format html --format pdf --format docx \
      --agreement "the Cloud Services Agreement no. 2027-014 of 15 January 2027" \
      --sign-key exit-signing-key --out zuiderzee-exit-module`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if profile == "" {
				return cli.Usage(errors.New("--profile is required: the customer's profile, e.g. content/profiles/bank.yaml"))
			}
			if lang != "" && lang != "en" && lang != "nl" {
				return cli.Usage(fmt.Errorf("--lang %q: use en or nl", lang))
			}
			fmts, err := printer.NormalizeFormats(formats)
			if err != nil {
				return cli.Usage(err)
			}
			if out == "" && (len(fmts) > 1 || fmts[0] != "html" || signKey != "") {
				return cli.Usage(errors.New("--out is required for PDF, DOCX, several formats or --sign-key: give the file (or, with several formats, the base name) to write"))
			}
			names := printer.OutputNames(out, fmts)
			for _, name := range names {
				if dir, ok := site.InsideBuildOutput(name); out != "" && ok {
					return cli.Usage(fmt.Errorf("%s is inside the public site built in %s; modules are per customer: write them elsewhere", name, dir))
				}
			}
			var signer ssh.Signer
			if signKey != "" {
				if signer, err = keys.LoadSignerFrom(signKey, signKeySource(signKey, keyPassFile, stderr)); err != nil {
					return cli.Usage(err)
				}
			}
			fsys, err := openTemplates(tpl)
			if err != nil {
				return err
			}
			lib, err := loadLibrary(content)
			if err != nil {
				return err
			}
			p, err := clause.LoadProfile(profile)
			if err != nil {
				return cli.Usage(err)
			}
			p.AsOf = asOf.t
			opts := module.Options{Lang: lang, Templates: fsys, Agreement: agreement}
			if signer != nil {
				opts.Signer = keys.Fingerprint(signer.PublicKey())
			}
			m, err := module.Render(lib, p, opts)
			if err := exitStatus(stderr, err); err != nil {
				return err
			}
			printFindings(stderr, m.Warnings)
			if signer != nil && m.BundleKey != opts.Signer {
				fmt.Fprintf(stderr, "note: the module is signed with %s but names %q (the profile's signing_key) as the bundle signing key; exitbundle create --terms accepts it only for bundles signed with that key\n",
					opts.Signer, m.BundleKey)
			}
			if out == "" {
				if _, err := cmd.OutOrStdout().Write(m.HTML); err != nil {
					return err
				}
			} else {
				docs, err := printer.Issue(cmd.Context(), m, printer.IssueOptions{
					Formats: fmts, Out: out, Signer: signer, Force: force,
					PDF: printer.PDFOptions{Browser: browser}, DOCX: printer.DOCXOptions{Pandoc: pandoc},
				})
				if err != nil {
					return cli.Usage(err)
				}
				for _, d := range docs {
					signed := ""
					if d.Signature != nil {
						signed = ", signed: " + d.Name + terms.SignatureSuffix
					}
					fmt.Fprintf(stderr, "wrote %s: %s, module fingerprint %s%s\n", d.Name, plural(len(m.Clauses), "clause", "clauses"), m.Fingerprint, signed)
				}
			}
			if pin {
				return pinProfile(stderr, profile, m)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "", "the customer's profile `FILE` (YAML): parties, effective date, values, clause selection")
	f.StringVar(&content, "content", "content", "the content folder `DIR`: clauses/<lang>/*.md, obligations.yaml")
	f.StringVar(&lang, "lang", "", "the module's language, `en|nl` (default: the profile's lang)")
	f.StringArrayVar(&formats, "format", nil, "the document to write, `html|pdf|docx`; repeat (or separate with commas) for several (default html)")
	cli.CompleteValues(cmd, "lang", "en\tEnglish", "nl\tDutch")
	cli.CompleteValues(cmd, "format", "html\tone self-contained HTML file", "pdf\tprinted by Chromium", "docx\twritten by pandoc")
	f.StringVar(&out, "out", "", "write the module to `FILE` (with several formats: the base name; default: standard output for HTML)")
	f.StringVar(&signKey, "sign-key", "", "sign every file with this OpenSSH private `KEY` (FILE.sig beside each FILE, namespace exitkit-module)")
	f.StringVar(&keyPassFile, "key-passphrase-file", "", "a `FILE` whose first line is the passphrase of an encrypted --sign-key (or set "+signPassphraseEnv+")")
	f.StringVar(&agreement, "agreement", "", "`TEXT` naming the main agreement this module is a schedule to, as the cover prints it")
	f.StringVar(&tpl, "templates", "", "a folder `DIR` whose module/ files replace or add to the module template and CSS")
	f.StringVar(&browser, "browser", "", "the Chromium `PATH` that prints PDFs (default: chromium on PATH)")
	f.StringVar(&pandoc, "pandoc", "", "the pandoc `PATH` that writes DOCX (default: pandoc on PATH)")
	f.BoolVar(&force, "force", false, "replace output files that exist")
	f.BoolVar(&pin, "pin", false, "record each clause's rendered version in the --profile file (rewritten in place, comments kept)")
	f.Var(&asOf, "as-of", "take unpinned clauses at the versions in force on `DATE` (YYYY-MM-DD) instead of the profile's effective date")
	return cmd
}

// signPassphraseEnv holds the passphrase of an encrypted --sign-key;
// exitbundle's variable is read too, since the same key signs bundles.
const signPassphraseEnv = "EXITSITE_SIGN_PASSPHRASE"

// signKeySource is where an encrypted signing key's passphrase comes from:
// --key-passphrase-file, the environment, else a prompt on the terminal.
func signKeySource(keyPath, passFile string, stderr io.Writer) keys.PassphraseSource {
	return keys.PassphraseSource{
		File: passFile, FileFlag: "--key-passphrase-file",
		Env:    []string{signPassphraseEnv, "EXITBUNDLE_SIGN_PASSPHRASE"},
		Prompt: cli.PromptPassphrase("Enter passphrase for signing key "+keyPath+": ", stderr),
	}
}

// pinProfile writes the versions of m into the profile file.
func pinProfile(w io.Writer, profile string, m *module.Module) error {
	pins := make([]pin.Version, len(m.Clauses))
	for i, c := range m.Clauses {
		pins[i] = pin.Version{ID: c.ID, Version: c.Version}
	}
	changed, err := pin.Write(profile, pins)
	if err != nil {
		return cli.Usage(err)
	}
	if changed {
		fmt.Fprintf(w, "pinned %d clause versions in %s\n", len(pins), profile)
	} else {
		fmt.Fprintf(w, "%s already pins these %d clause versions\n", profile, len(pins))
	}
	return nil
}
