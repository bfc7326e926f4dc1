package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/internal/cli"
	"github.com/exitkit/exitkit/site"
	"github.com/exitkit/exitkit/site/clause"
	"github.com/exitkit/exitkit/site/clause/pin"
	"github.com/exitkit/exitkit/site/module"
)

func newModuleCmd() *cobra.Command {
	var (
		profile, content, lang, out, tpl string
		force                            bool
		pin                              bool
		asOf                             asOfFlag
	)
	cmd := &cobra.Command{
		Use:   "module --profile FILE [--content DIR] [--lang en|nl] [--out FILE]",
		Short: "Issue one customer's exit-management module as a printable HTML document",
		Long: `module renders the exit-management module for the customer described by a
profile: one self-contained HTML document, styles inline and no links outside
itself, that prints cleanly and can be stored, mailed or attached to a
contract. It holds:

  a cover page   provider, customer, effective date, every agreed value
  the clauses    the profile's selection (default: every clause), at the
                 versions it pins, else at the version in force on its
                 effective date (or --as-of DATE), with the customer's
                 values filled in, each with its sha256 fingerprint
  coverage       each Data Act, DORA, EBA and GDPR obligation against the
                 clauses of this module; rules the profile marks not
                 applicable, with their reasons
  fingerprints   the module's fingerprint and the exact text it is the
                 sha256 of, so anyone can recompute it with sha256sum

The document carries machine-readable markers (a meta element with the module
fingerprint; per clause a section with data-clause-id, data-clause-version,
data-clause-lang and data-fingerprint), which 'exitbundle create --terms'
reads when it embeds the module in an exit bundle.

The profile and the clauses it selects are checked first, as 'exitsite check
--profile FILE' does: with errors no module is written. Modules are never
written into the public site: an --out inside a folder written by 'exitsite
build' is refused. An existing --out is kept unless --force.

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
  exitsite module --profile content/profiles/bank.yaml --lang nl --out zuiderzee-exitmodule.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if profile == "" {
				return cli.Usage(errors.New("--profile is required: the customer's profile, e.g. content/profiles/bank.yaml"))
			}
			if lang != "" && lang != "en" && lang != "nl" {
				return cli.Usage(fmt.Errorf("--lang %q: use en or nl", lang))
			}
			if dir, ok := site.InsideBuildOutput(out); out != "" && ok {
				return cli.Usage(fmt.Errorf("%s is inside the public site built in %s; write customer modules elsewhere", out, dir))
			}
			if out != "" && !force {
				if _, err := os.Stat(out); err == nil {
					return cli.Usage(fmt.Errorf("%s exists; choose another --out or pass --force to replace it", out))
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
			m, err := module.Render(lib, p, module.Options{Lang: lang, Templates: fsys})
			if err := exitStatus(cmd.ErrOrStderr(), err); err != nil {
				return err
			}
			printFindings(cmd.ErrOrStderr(), m.Warnings)
			if out == "" {
				if _, err := cmd.OutOrStdout().Write(m.HTML); err != nil {
					return err
				}
			} else {
				if err := writeNew(out, m.HTML, force); err != nil {
					return cli.Usage(err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d clauses, module fingerprint %s\n", out, len(m.Clauses), m.Fingerprint)
			}
			if pin {
				return pinProfile(cmd.ErrOrStderr(), profile, m)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "", "the customer's profile `FILE` (YAML): parties, effective date, values, clause selection")
	f.StringVar(&content, "content", "content", "the content `folder`: clauses/<lang>/*.md, obligations.yaml")
	f.StringVar(&lang, "lang", "", "the module's `language`, en or nl (default: the profile's lang)")
	f.StringVar(&out, "out", "", "write the module to `FILE` (default: standard output)")
	f.StringVar(&tpl, "templates", "", "a `folder` whose module/ files replace the built-in module template and CSS")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.BoolVar(&pin, "pin", false, "record each clause's rendered version in the --profile file (rewritten in place, comments kept)")
	f.Var(&asOf, "as-of", "take unpinned clauses at the versions in force on `DATE` (YYYY-MM-DD) instead of the profile's effective date")
	return cmd
}

// writeNew writes data to name through a temporary file in the same
// folder, so a reader never sees half a module; without force an existing
// name is never replaced.
func writeNew(name string, data []byte, force bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if force {
		return os.Rename(tmp.Name(), name)
	}
	// Link fails if name exists: no window in which another file is overwritten.
	if err := os.Link(tmp.Name(), name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; choose another --out or pass --force to replace it", name)
		}
		return err
	}
	return nil
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
