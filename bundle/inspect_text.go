package bundle

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/exitkit/exitkit/bundle/manifest"
)

// WriteText writes the inspection as people read it: the bundle's status,
// who made it for whom, signer and encryption, then one table row per VM's
// hardware. Every value from the manifest is kept on one line, with
// control characters blanked, so a hostile manifest cannot drive the
// terminal.
func (in *Inspection) WriteText(w io.Writer) error {
	m := in.Manifest
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, cellText(v)) }

	row("Bundle", in.Path)
	switch {
	case in.Complete:
		row("Status", "finished: signature present (not checked here; run exitbundle verify)")
	case in.Marker:
		row("Status", "UNFINISHED: the incomplete marker is present; run create again to finish it")
	default:
		row("Status", "UNFINISHED: no signature ("+SignatureFile+"); run create again to finish it")
	}
	row("Provider", dashIfEmpty(m.Provider))
	row("Customer", dashIfEmpty(m.Customer))
	if m.Contact != "" {
		row("Contact", m.Contact)
	}
	if m.Description != "" {
		row("Description", m.Description)
	}
	row("Created", m.Created.UTC().Format("2006-01-02 15:04:05 UTC")+" by "+dashIfEmpty(m.Tool))
	signer := dashIfEmpty(m.Signer.Fingerprint)
	switch {
	case !in.HasSigner:
		signer += " (signer.pub missing)"
	case !in.SignerSame:
		signer += " (signer.pub is a DIFFERENT key)"
	}
	row("Signer", signer+"; compare with the fingerprint the provider publishes")
	row("Encryption", describeEncryption(m.Encryption))
	row("Compression", dashIfEmpty(m.Compression))
	if m.Terms != nil {
		row("Terms", m.Terms.File+" "+m.Terms.Fingerprint)
	}
	row("Payload", fmt.Sprintf("%d VMs, %d files, %s plaintext, %s stored", len(m.VMs), in.Files, manifest.HumanBytes(in.PayloadBytes), manifest.HumanBytes(in.StoredBytes)))
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
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", cellText(vm.Name), manifest.HumanBytes(stored))
		}
		for i, h := range vm.Hardware {
			name := vm.Name
			if h.Name != "" && h.Name != vm.Name {
				name += " / " + h.Name
			}
			var nics, disks []string
			for _, n := range h.NICs {
				nics = append(nics, dashIfEmpty(n.Adapter)+"@"+dashIfEmpty(n.Network))
			}
			for _, d := range h.Disks {
				disks = append(disks, manifest.HumanBytes(d.CapacityBytes))
			}
			size := ""
			if i == 0 {
				size = manifest.HumanBytes(stored)
			}
			vcpu, mem := "-", "-"
			if h.VCPU > 0 {
				vcpu = fmt.Sprint(h.VCPU)
			}
			if h.MemoryMiB > 0 {
				mem = manifest.HumanBytes(h.MemoryMiB << 20)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				cellText(name), cellText(dashIfEmpty(manifest.Clip(h.GuestOS, 60))), vcpu, mem, cellText(dashIfEmpty(h.Firmware)),
				cellText(dashIfEmpty(strings.Join(h.DiskControllers, ","))), cellText(dashIfEmpty(strings.Join(nics, ","))),
				cellText(dashIfEmpty(strings.Join(disks, ","))), size)
		}
	}
	return tw.Flush()
}

func describeEncryption(e Encryption) string {
	if e.Mode != "age" {
		return "none: the payload is readable by anyone holding the bundle"
	}
	var to []string
	if e.Passphrase {
		to = append(to, "a passphrase")
	}
	for _, r := range e.Recipients {
		to = append(to, manifest.Clip(r, 24))
	}
	return "age, to " + strings.Join(to, ", ")
}

// cellText keeps a value from the manifest on one table cell: control
// characters (which could also drive the terminal), tabs and line breaks
// are printed escaped (manifest.Escape).
func cellText(s string) string { return manifest.Escape(s) }

func dashIfEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
