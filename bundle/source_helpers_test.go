package bundle

import (
	"context"
	"io"
	"testing"

	"github.com/exitkit/exitkit/bundle/ovf"
)

// Export folders for the tests of create, inspect and verify; the
// source package has the same helpers for its own tests.

// exported collects what a source hands over: VM name -> href -> bytes.
func srcExported(t *testing.T, src Source) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	err := src.Export(context.Background(), func(ctx context.Context, vm *SourceVM) error {
		files := map[string][]byte{}
		for _, f := range vm.Files {
			rc, err := f.Open(ctx)
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			if int64(len(data)) != f.Size {
				t.Errorf("%s/%s: read %d bytes, Size says %d", vm.Name, f.Href, len(data), f.Size)
			}
			files[f.Href] = data
		}
		if _, err := ovf.Hardware(mustParse(t, vm.Descriptor), nil), error(nil); err != nil {
			return err
		}
		out[vm.Name] = files
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
