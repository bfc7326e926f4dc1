// Command govc is govmomi's govc with the commands the bundle's restart
// guide prints (import.spec, import.ovf) and those its test uses to look
// at the result (vm.info), built from the module cache by
// TestEveryCommandTheBundlesREADMEPrintsRunsHereAsPrinted in a scratch
// module: govmomi v0.56 ships govc's own main package as a separate
// module; the commands' code (github.com/vmware/govmomi/cli/...) is the
// same.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"
	_ "github.com/vmware/govmomi/cli/importx"
	_ "github.com/vmware/govmomi/cli/object"
	_ "github.com/vmware/govmomi/cli/vm"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
