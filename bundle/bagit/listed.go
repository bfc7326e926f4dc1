package bagit

import (
	"fmt"
	"io"
)

// OpenListed opens a file only when the reader listed it as a regular
// file: a folder's entries are found with Lstat, so a file below a
// symbolic link (data/vms/web -> elsewhere in the bag, which an os.Root
// would follow) is not listed and is never read through the link.
// Restore reads through it.
func (b *Bag) OpenListed(name string) (io.ReadCloser, error) {
	if e, ok := b.Lookup(name); ok && e.Kind != Regular {
		return nil, fmt.Errorf("%s is not a regular file (a link?); a bundle holds regular files only", name)
	} else if !ok {
		return nil, fmt.Errorf("%s is not a regular file of the bag (missing, or below a link)", name)
	}
	return b.Open(name)
}

// ReadListed is OpenListed for a metadata file, read whole within its cap.
func (b *Bag) ReadListed(name string) ([]byte, error) {
	r, err := b.OpenListed(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return ReadCapped(r, name)
}
