// Command labserver runs the vcsimx lab with one VM in its own process, so
// that the export benchmark measures the exporting side alone, as against
// a real vCenter on another machine. It prints "host user password
// thumbprint" on one line when ready and stops when its standard input
// closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/exitkit/exitkit/internal/vcsimx"
)

func main() {
	disk := flag.String("disk", "", "streamOptimized VMDK of the VM's disk")
	capacity := flag.Int64("capacity", 0, "the disk's capacity in bytes")
	name := flag.String("name", "big", "the VM's name")
	flag.Parse()
	log.SetOutput(io.Discard) // vcsim's chatter
	lab, err := vcsimx.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer lab.Close()
	if _, err := lab.AddVM(context.Background(), vcsimx.VMSpec{Name: *name, Disks: []vcsimx.Disk{{VMDK: *disk, Capacity: *capacity}}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(lab.Host, lab.User, lab.Password, lab.Thumbprint)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
