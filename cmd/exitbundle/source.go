package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/vsphere"
)

// sourceFlags are the flags that shape how --source values are read; for
// now only vSphere sources have any.
type sourceFlags struct {
	thumbprint    string
	insecure      bool
	includeImages bool
	hostDownloads int
	stderr        io.Writer // for the password prompt and vSphere steps
}

// addSourceFlags registers the source flags on fs and returns where their
// values land. Calling it again on the same FlagSet returns the same
// holder rather than registering the flags twice.
func addSourceFlags(fs *pflag.FlagSet) *sourceFlags {
	if f := fs.Lookup("vsphere-thumbprint"); f != nil {
		if v, ok := f.Value.(*thumbprintFlag); ok {
			return v.sf
		}
	}
	sf := &sourceFlags{}
	fs.Var(&thumbprintFlag{sf}, "vsphere-thumbprint", "pin the vCenter/ESXi certificate: its `SHA256` fingerprint (colons optional), as vCenter shows it or \"openssl x509 -noout -fingerprint -sha256\" prints it; checked even where a CA would trust it")
	fs.BoolVar(&sf.insecure, "insecure", false, "do not verify the vSphere server's certificate at all; only for a lab, never across a network you do not control (prefer --vsphere-thumbprint)")
	fs.BoolVar(&sf.includeImages, "include-iso", false, "also export CD/DVD and floppy images (.iso, .flp) attached to vSphere VMs from a datastore; left out by default, since they are usually installation media, not the customer's data")
	sf.hostDownloads = vsphere.DefaultHostDownloads
	fs.Var(&countFlag{&sf.hostDownloads, "downloads to run at once per host"}, "vsphere-host-downloads", "NFC downloads run at once against one ESXi host (or vCenter, when it proxies them), `N`; --jobs bounds all of them together. Lower it if a host refuses connections")
	return sf
}

// countFlag is an int flag that takes 1 or more.
type countFlag struct {
	p    *int
	what string
}

func (c *countFlag) String() string { return strconv.Itoa(*c.p) }
func (c *countFlag) Type() string   { return "N" }

func (c *countFlag) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return fmt.Errorf("give how many %s, 1 or more", c.what)
	}
	*c.p = n
	return nil
}

// thumbprintFlag is a string flag that also lets addSourceFlags find the
// holder of an already registered set.
type thumbprintFlag struct{ sf *sourceFlags }

func (t *thumbprintFlag) String() string     { return t.sf.thumbprint }
func (t *thumbprintFlag) Set(v string) error { t.sf.thumbprint = v; return nil }
func (t *thumbprintFlag) Type() string       { return "SHA256" }

// vsphereHelp explains vsphere:// sources in the help of the commands
// that take them.
const vsphereHelp = `vSphere sources: --source 'vsphere://USER@HOST[:PORT][/sdk]?SELECTORS' exports
straight from vCenter or ESXi, with no copy on disk before the bundle.
SELECTORS (each may repeat; different kinds must all match):
  vm=PATTERN          inventory path or glob, relative to the datacenter's VM
                      folder: vm=ACME/web*, vm=/DC1/vm/ACME/db01; vm=* takes all
  folder=PATH         every VM below a VM folder: folder=Customers/ACME
  pool=PATH           every VM in a resource pool or vApp: pool=Cluster1/Resources/ACME
  tag=CATEGORY:TAG    every VM with this vSphere tag: tag=customer:acme
  datacenter=NAME     where to look, when there are several datacenters
The password comes from ` + vsphere.PasswordEnv + ` or a prompt, never from the
URL. Powered-off VMs are exported directly; running ones through a temporary
snapshot that is removed afterwards, even on failure or Ctrl-C. Every disk and
the NVRAM are taken; a dropped download is retried from the start.`

// parseSource turns a --source value into a Source: a vsphere:// URL
// becomes a vSphere source (logged in and with its VMs resolved, so a
// wrong password or an empty selection fails before anything is written);
// anything else is a folder of OVF exports or an .ova file. sf holds the
// source flags; nil means none given.
func parseSource(ctx context.Context, s string, sf *sourceFlags) (bundle.Source, error) {
	if sf == nil {
		sf = &sourceFlags{}
	}
	if !strings.HasPrefix(s, vsphere.Scheme+"://") {
		if sf.thumbprint != "" || sf.insecure || sf.includeImages {
			// Harmless, but say so rather than silently ignore.
			if sf.stderr != nil {
				fmt.Fprintf(sf.stderr, "note: --vsphere-thumbprint, --insecure and --include-iso apply only to vsphere:// sources, not %s\n", s)
			}
		}
		return bundle.OpenSource(ctx, s)
	}
	if sf.thumbprint != "" {
		if _, err := vsphere.NormalizeThumbprint(sf.thumbprint); err != nil {
			return nil, fmt.Errorf("--vsphere-thumbprint: %w", err)
		}
	}
	stderr := sf.stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	t, err := vsphere.ParseURL(s)
	if err != nil {
		return nil, err
	}
	src, err := vsphere.Open(ctx, s, vsphere.Options{
		Password:      vspherePassword(t, stderr),
		Thumbprint:    sf.thumbprint,
		Insecure:      sf.insecure,
		IncludeImages: sf.includeImages,
		HostDownloads: sf.hostDownloads,
		Log:           stderr,
	})
	if errors.Is(err, vsphere.ErrCertificate) {
		return nil, fmt.Errorf("%w\n(--vsphere-thumbprint pins the certificate; --insecure skips the check, only in a lab)", err)
	}
	if err != nil {
		return nil, err
	}
	return src, nil
}

// vspherePassword reads the password from the environment, else asks on
// the terminal, else fails with what to do.
func vspherePassword(t *vsphere.Target, stderr io.Writer) func() (string, error) {
	return func() (string, error) {
		if v, ok := os.LookupEnv(vsphere.PasswordEnv); ok {
			return v, nil
		}
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return "", errors.New("no password: set " + vsphere.PasswordEnv + " (standard input is not a terminal to ask on)")
		}
		fmt.Fprintf(stderr, "Password for %s on %s: ", t.User, t.Host)
		pass, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(stderr)
		return string(pass), err
	}
}

// vsphereKey names the VMs a vsphere:// source selects, for
// source.CheckDistinct: its URL without secrets, normalized.
func vsphereKey(s string) (string, bool) {
	if !strings.HasPrefix(s, vsphere.Scheme+"://") {
		return "", false
	}
	t, err := vsphere.ParseURL(s)
	if err != nil {
		return vsphere.Redact(s), true
	}
	t.Host = strings.ToLower(t.Host)
	return t.String(), true
}
