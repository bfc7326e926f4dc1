// Command govc is govmomi's govc with only export.ovf, built from the
// module cache for the benchmark that compares `govc export.ovf` followed
// by `exitbundle create` with exporting straight into a bundle. govmomi
// v0.56 ships govc's own main package as a separate module; the command's
// code (github.com/vmware/govmomi/cli/export) is the same.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"
	_ "github.com/vmware/govmomi/cli/export"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
