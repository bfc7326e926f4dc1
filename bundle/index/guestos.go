package index

import (
	"regexp"
	"strings"
)

// guestOSNames names VMware's guest OS identifiers (vmw:osType,
// VirtualMachineGuestOsIdentifier) as the vSphere Client shows them: a
// trustee reads "Red Hat Enterprise Linux 9 (64-bit)", not rhel9_64Guest.
// The common ids only; any other id is shown as it is.
var guestOSNames = map[string]string{
	"rhel6_64Guest":              "Red Hat Enterprise Linux 6 (64-bit)",
	"rhel7_64Guest":              "Red Hat Enterprise Linux 7 (64-bit)",
	"rhel8_64Guest":              "Red Hat Enterprise Linux 8 (64-bit)",
	"rhel9_64Guest":              "Red Hat Enterprise Linux 9 (64-bit)",
	"rhel10_64Guest":             "Red Hat Enterprise Linux 10 (64-bit)",
	"centos7_64Guest":            "CentOS 7 (64-bit)",
	"centos8_64Guest":            "CentOS 8 (64-bit)",
	"centos9_64Guest":            "CentOS Stream 9 (64-bit)",
	"rockylinux_64Guest":         "Rocky Linux (64-bit)",
	"almalinux_64Guest":          "AlmaLinux (64-bit)",
	"oracleLinux7_64Guest":       "Oracle Linux 7 (64-bit)",
	"oracleLinux8_64Guest":       "Oracle Linux 8 (64-bit)",
	"oracleLinux9_64Guest":       "Oracle Linux 9 (64-bit)",
	"debian10_64Guest":           "Debian GNU/Linux 10 (64-bit)",
	"debian11_64Guest":           "Debian GNU/Linux 11 (64-bit)",
	"debian12_64Guest":           "Debian GNU/Linux 12 (64-bit)",
	"debian13_64Guest":           "Debian GNU/Linux 13 (64-bit)",
	"ubuntu64Guest":              "Ubuntu Linux (64-bit)",
	"ubuntuGuest":                "Ubuntu Linux (32-bit)",
	"sles12_64Guest":             "SUSE Linux Enterprise 12 (64-bit)",
	"sles15_64Guest":             "SUSE Linux Enterprise 15 (64-bit)",
	"sles16_64Guest":             "SUSE Linux Enterprise 16 (64-bit)",
	"amazonlinux2_64Guest":       "Amazon Linux 2 (64-bit)",
	"amazonlinux3_64Guest":       "Amazon Linux 2023 (64-bit)",
	"other4xLinux64Guest":        "Other 4.x Linux (64-bit)",
	"other5xLinux64Guest":        "Other 5.x Linux (64-bit)",
	"other6xLinux64Guest":        "Other 6.x or later Linux (64-bit)",
	"other3xLinux64Guest":        "Other 3.x Linux (64-bit)",
	"otherLinux64Guest":          "Other Linux (64-bit)",
	"otherLinuxGuest":            "Other Linux (32-bit)",
	"otherGuest64":               "Other (64-bit)",
	"otherGuest":                 "Other (32-bit)",
	"freebsd13_64Guest":          "FreeBSD 13 (64-bit)",
	"freebsd14_64Guest":          "FreeBSD 14 (64-bit)",
	"windows9_64Guest":           "Microsoft Windows 10 (64-bit)",
	"windows11_64Guest":          "Microsoft Windows 11 (64-bit)",
	"windows2019srv_64Guest":     "Microsoft Windows Server 2019 (64-bit)",
	"windows2019srvNext_64Guest": "Microsoft Windows Server 2022 (64-bit)",
	"windows2022srvNext_64Guest": "Microsoft Windows Server 2025 (64-bit)",
	"windows9Server64Guest":      "Microsoft Windows Server 2016 (64-bit)",
	"windows8Server64Guest":      "Microsoft Windows Server 2012 (64-bit)",
	"windows7Server64Guest":      "Microsoft Windows Server 2008 R2 (64-bit)",
}

var guestIDRE = regexp.MustCompile(`^[A-Za-z0-9_]+Guest(64)?$`)

// guestOSText shows a guest OS as a person names it, keeping VMware's id
// in parentheses (as the descriptors' own descriptions do): a bare id gets
// its name from guestOSNames; anything else is shown as given.
func guestOSText(s string) string {
	s = strings.TrimSpace(s)
	if name, ok := guestOSNames[s]; ok {
		return name + " (" + s + ")"
	}
	if guestIDRE.MatchString(s) {
		return s + " (VMware guest id)"
	}
	return s
}
