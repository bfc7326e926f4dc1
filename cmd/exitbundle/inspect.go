package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := bundle.InspectBundle(args[0])
			if err != nil {
				return cli.Usage(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(in); err != nil {
					return err
				}
			} else if err := printInspection(out, in); err != nil {
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

func printInspection(w io.Writer, in *bundle.Inspection) error {
	m := in.Manifest
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, inspectClean(v)) }

	row("Bundle", in.Path)
	switch {
	case in.Complete:
		row("Status", "finished: signature present (not checked here; run exitbundle verify)")
	case in.Marker:
		row("Status", "UNFINISHED: the incomplete marker is present; run create again to finish it")
	default:
		row("Status", "UNFINISHED: no signature ("+bundle.SignatureFile+"); run create again to finish it")
	}
	row("Provider", inspectOr(m.Provider))
	row("Customer", inspectOr(m.Customer))
	if m.Contact != "" {
		row("Contact", m.Contact)
	}
	if m.Description != "" {
		row("Description", m.Description)
	}
	row("Created", m.Created.UTC().Format("2006-01-02 15:04:05 UTC")+" by "+inspectOr(m.Tool))
	signer := inspectOr(m.Signer.Fingerprint)
	switch {
	case !in.HasSigner:
		signer += " (signer.pub missing)"
	case !in.SignerSame:
		signer += " (signer.pub is a DIFFERENT key)"
	}
	row("Signer", signer+"; compare with the fingerprint the provider publishes")
	row("Encryption", inspectEncryption(m.Encryption))
	row("Compression", inspectOr(m.Compression))
	if m.Terms != nil {
		row("Terms", m.Terms.File+" "+m.Terms.Fingerprint)
	}
	row("Payload", fmt.Sprintf("%d VMs, %d files, %s plaintext, %s stored", len(m.VMs), in.Files, inspectSize(in.PayloadBytes), inspectSize(in.StoredBytes)))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "VM\tGUEST OS\tVCPU\tMEMORY\tFIRMWARE\tCONTROLLERS\tNICS\tDISKS (capacity)\tSTORED")
	for _, vm := range m.VMs {
		var stored int64
		for _, f := range vm.Files {
			stored += f.StoredSize
		}
		if len(vm.Hardware) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", inspectClean(vm.Name), inspectSize(stored))
		}
		for i, h := range vm.Hardware {
			name := vm.Name
			if h.Name != "" && h.Name != vm.Name {
				name += " / " + h.Name
			}
			var nics, disks []string
			for _, n := range h.NICs {
				nics = append(nics, inspectOr(n.Adapter)+"@"+inspectOr(n.Network))
			}
			for _, d := range h.Disks {
				disks = append(disks, inspectSize(d.CapacityBytes))
			}
			size := ""
			if i == 0 {
				size = inspectSize(stored)
			}
			vcpu, mem := "-", "-"
			if h.VCPU > 0 {
				vcpu = fmt.Sprint(h.VCPU)
			}
			if h.MemoryMiB > 0 {
				mem = inspectSize(h.MemoryMiB << 20)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				inspectClean(name), inspectClean(inspectOr(inspectClip(h.GuestOS, 60))), vcpu, mem, inspectOr(h.Firmware),
				inspectClean(inspectOr(strings.Join(h.DiskControllers, ","))), inspectClean(inspectOr(strings.Join(nics, ","))),
				inspectOr(strings.Join(disks, ",")), size)
		}
	}
	return tw.Flush()
}

func inspectEncryption(e bundle.Encryption) string {
	if e.Mode != "age" {
		return "none: the payload is readable by anyone holding the bundle"
	}
	var to []string
	if e.Passphrase {
		to = append(to, "a passphrase")
	}
	for _, r := range e.Recipients {
		to = append(to, inspectClip(r, 24))
	}
	return "age, to " + strings.Join(to, ", ")
}

func inspectOr(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// inspectClean keeps a value on one table cell: control characters
// (which could also drive the terminal) become spaces, tabs too.
func inspectClean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

func inspectClip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func inspectSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
