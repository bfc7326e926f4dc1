package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/exitkit/exitkit/bundle/drill"
	"github.com/exitkit/exitkit/bundle/keys"
	"github.com/exitkit/exitkit/internal/cli"
)

func newDrillCmd() *cobra.Command {
	var k keyFlags
	var out, signKey, keyPassFile, expect string
	var vms []string
	var timeout time.Duration
	var cpus int
	var memory int64
	cmd := &cobra.Command{
		Use:   "drill DIR|FILE.tar --identity KEY --out DIR [--vm NAME]... [--sign-key KEY] [--timeout D] [--expect REGEX] [--signer KEY]",
		Short: "Prove a bundle restarts: restore and boot every VM in QEMU, write a signed report",
		Long: `drill is an exit test anyone can run on a real bundle. It verifies the bundle
(signature and every hash, as verify does), restores each VM into --out as open
does, converts its disks to qcow2 for KVM (qemu-img convert -O qcow2) and boots
each one in QEMU with the VM's own firmware (OVMF for EFI), CPU count and memory
(capped by --cpus and --memory) and the closest disk controller QEMU has; where
the firmware cannot boot from it (Debian's OVMF has no PVSCSI or LSI driver) it
uses AHCI and records the swap. The VM has no network device, so it reaches
nothing and cannot boot from the network. KVM is used when /dev/kvm is usable
on a CPU with hardware virtualization, TCG otherwise.

Each boot is watched on the serial console, the firmware's debug port and the
screen (a PNG screenshot every 2 seconds) and classified: no-bootable-disk,
loader-reached, os-running, or marker-seen when --expect is given. A VM passes
when it reaches its operating system, or, with --expect, when the marker appears
before --timeout.

The report in --out: drill.html for people (per VM: verify result, restore time
and speed, boot outcome, last screenshot, console tail; the bundle's identity,
signer and exit terms fingerprints; QEMU and exitbundle versions; start and end
times), drill.json for machines with the evidence behind each outcome, and with
--sign-key drill.json.sig, an SSHSIG signature in namespace "exitkit-drill":

  ssh-keygen -Y verify -f allowed_signers -I NAME -n exitkit-drill -s drill.json.sig < drill.json

It is the evidence a customer files for the test of its exit plan (DORA Art.
28(8)). Without --signer (or --allowed-signers) the bundle is checked against its
own signer.pub and the report says the signer is not pinned; that alone does not
fail the drill. Needs qemu-system-x86_64, qemu-img and, for EFI VMs, OVMF
(Debian: apt-get install qemu-system-x86 qemu-utils ovmf).

Exit status: 0 every VM passed, 1 the bundle failed verification or some VM did
not reach its OS (or the marker), 2 usage or unreadable input.`,
		Example: `  exitbundle drill /media/drive/exit-2026 --identity customer.agekey --out drill-2026-12 \
      --signer provider-signing.pub --sign-key customer-signing
  exitbundle drill exit.tar --passphrase-file pass.txt --out drill-web --vm web \
      --expect 'login:' --timeout 60s --cpus 2 --memory 1024`,
		Args: cli.OneArg("give the bundle to drill: a folder or a .tar file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			if out == "" {
				return cli.Usage(errors.New("--out is required: a new folder for the report, the restored VMs and the boot logs"))
			}
			if timeout <= 0 {
				return cli.Usage(fmt.Errorf("--timeout %s: give a positive Go duration, e.g. 60s or 3m", timeout))
			}
			if cpus < 0 || memory < 0 {
				return cli.Usage(errors.New("--cpus and --memory must not be negative"))
			}
			opts := drill.Options{
				Bundle: args[0], Out: out, VMs: vms, Timeout: timeout,
				MaxCPUs: cpus, MaxMemoryMiB: memory, Progress: stderr,
				AllowedSigners: k.allowedSigners, Principal: k.principal,
			}
			if expect != "" {
				re, err := regexp.Compile(expect)
				if err != nil {
					return cli.Usage(fmt.Errorf("--expect: %w", err))
				}
				opts.Expect = re
			}
			ko, err := k.resolve(stderr)
			if err != nil {
				return err
			}
			opts.Signer, opts.SignerFingerprint, opts.Identities = ko.signer, ko.fingerprint, ko.identities
			if signKey != "" {
				s, err := keys.LoadSignerFrom(signKey, signKeySource(signKey, keyPassFile, stderr))
				if err != nil {
					return cli.Usage(fmt.Errorf("--sign-key: %w", err))
				}
				opts.SignKey = s
			}
			rep, err := drill.Drill(cmd.Context(), opts)
			var fe *drill.FailedError
			switch {
			case err == nil:
			case errors.As(err, &fe):
				printDrill(cmd, out, rep, signKey != "")
				return cli.Failed(err)
			default:
				return cli.Usage(err)
			}
			printDrill(cmd, out, rep, signKey != "")
			return nil
		},
	}
	k.register(cmd)
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "new or empty folder `DIR` for drill.html, drill.json(.sig), the restored VMs and the boot logs")
	f.StringArrayVar(&vms, "vm", nil, "drill only this VM, by the `NAME` of its folder under data/vms; repeatable; default: all")
	f.StringVar(&signKey, "sign-key", "", "OpenSSH private `KEY` that signs drill.json as drill.json.sig (namespace exitkit-drill); if encrypted, its passphrase comes from --key-passphrase-file, "+signPassphraseEnv+" or a prompt")
	f.StringVar(&keyPassFile, "key-passphrase-file", "", keyPassphraseUsage)
	f.DurationVar(&timeout, "timeout", drill.DefaultTimeout, "how long each VM may take to boot, a `DURATION` such as 60s or 3m")
	f.StringVar(&expect, "expect", "", "a `REGEX` each VM must print on its serial console or screen to pass, e.g. 'login:' or 'exitkit demo guest'; default: reaching the OS passes")
	f.IntVar(&cpus, "cpus", 0, "at most `N` CPUs per VM (default: the host's)")
	f.Int64Var(&memory, "memory", 2048, "at most `MIB` of memory per VM, in MiB")
	return cmd
}

// printDrill prints the result lines on stdout.
func printDrill(cmd *cobra.Command, out string, rep *drill.Report, signed bool) {
	if rep == nil {
		return
	}
	w := cmd.OutOrStdout()
	for _, v := range rep.VMs {
		status := "PASS"
		if !v.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s  %-20s %-17s %s\n", status, cliSafe(v.Name), v.Outcome, cliSafe(v.Reason))
	}
	fmt.Fprintf(w, "report  %s\n", filepath.Join(out, drill.HTMLFile))
	fmt.Fprintf(w, "        %s\n", filepath.Join(out, drill.JSONFile))
	if signed {
		fmt.Fprintf(w, "        %s (ssh-keygen -Y verify -n %s)\n", filepath.Join(out, drill.SignatureFile), drill.Namespace)
	}
}

// cliSafe escapes control characters of text from the bundle.
func cliSafe(s string) string {
	b := []rune{}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			b = append(b, []rune(fmt.Sprintf("\\x%02x", r))...)
			continue
		}
		b = append(b, r)
	}
	return string(b)
}
