package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/exitkit/exitkit/bundle/manifest"
	"github.com/exitkit/exitkit/internal/fsx"
)

// Want is what a stored file must turn out to be, as the signed
// manifests of a bundle record it.
type Want struct {
	Encrypted, Compressed bool   // the stored form: age, zstd
	StoredSHA256          string // hex, of the stored bytes (manifest-sha256.txt)
	Size                  int64  // plaintext bytes (exit-manifest.json); decoding stops past it
	SHA256                string // hex, of the plaintext (the VM's .mf)
}

// DecodeFile undoes Store into a new file name in dir: it reads src once,
// decodes it (bounded by want.Size), checks the stored and the plaintext
// hash, and only then gives the file its name. Until then the plaintext
// lives in a temporary file of mode 0600, a customer's disk readable by no
// one else, which is removed when anything fails.
func DecodeFile(ctx context.Context, src io.Reader, dir *fsx.Dir, name string, want Want, ids []age.Identity) (err error) {
	tmp, tmpName, err := fsx.CreateTemp(dir, name, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			dir.Remove(tmpName)
		}
	}()

	storedHash := sha256.New()
	var storedN int64
	in := io.TeeReader(&CountingReader{R: &CtxReader{Ctx: ctx, R: src}, N: &storedN}, storedHash)
	w := &errWriter{w: tmp}
	var plain *Plain
	if want.Encrypted || want.Compressed {
		plain = Decode(w, in, want.Encrypted, want.Compressed, ids, want.Size)
		if plain.Err == nil && w.err != nil {
			plain.Err = w.err
		}
		// Read what decoding left, so the stored hash covers the whole file.
		if _, cerr := io.Copy(io.Discard, in); cerr != nil && plain.Err == nil {
			plain.Err = cerr
		}
		if plain.Err != nil {
			return plain.Err
		}
	} else {
		h := sha256.New()
		n, cerr := io.CopyBuffer(io.MultiWriter(w, h), in, make([]byte, BufSize))
		if cerr == nil {
			cerr = w.err
		}
		if cerr != nil {
			return cerr
		}
		plain = &Plain{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	}
	if got := hex.EncodeToString(storedHash.Sum(nil)); got != want.StoredSHA256 {
		return fmt.Errorf("stored SHA-256 differs from %s: the file is damaged", manifest.ManifestFile)
	}
	if plain.Size != want.Size {
		return fmt.Errorf("plaintext is %d bytes, %s says %d", plain.Size, manifest.ExitManifestFile, want.Size)
	}
	if plain.SHA256 != want.SHA256 {
		return errors.New("plaintext SHA-256 differs from the .mf")
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return fsx.Commit(dir, tmpName, name)
}

// errWriter remembers the first write error instead of letting a decoder
// swallow or rewrap it, so a full disk is reported as such.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
