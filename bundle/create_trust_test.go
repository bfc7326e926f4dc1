package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle/internal/journal"
)

// plantRecord appends a journal record, as someone who can write to the
// output but does not hold the signing key would, for a stored file that
// holds evil: well-formed, with sizes and hashes that match the file.
func plantRecord(t *testing.T, out, key, bagPath string, evil []byte) {
	t.Helper()
	p := filepath.Join(out, filepath.FromSlash(bagPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if err := os.WriteFile(p, evil, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256Hex(evil)
	line, _ := json.Marshal(journal.Record{Key: key, Path: bagPath, Size: int64(len(evil)), SHA256: sum, StoredSize: int64(len(evil)), StoredSHA256: sum, MAC: "00"})
	f, err := os.OpenFile(filepath.Join(out, IncompleteMarker), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(append(line, '\n'))
	f.Close()
}

// failOn makes the stored files whose bag path contains match fail after
// a few bytes, leaving an unfinished bundle with the others stored.
func failOn(match string) func(string, io.Writer) io.Writer {
	return func(bagPath string, w io.Writer) io.Writer {
		if strings.Contains(bagPath, match) {
			return &crFailWriter{w: w, n: 10, err: errors.New("injected")}
		}
		return w
	}
}

func TestCreateKeepsNoFileAPlantedJournalVouchesFor(t *testing.T) {
	fx := newFixture(t, t.TempDir(), crCapacity)
	evil := func() []byte {
		// As large as the source disk, so every size check passes.
		fi, err := os.Stat(fx.source.vms[1].files[0].path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Repeat([]byte("E"), int(fi.Size()))
	}()
	const dbKey, dbPath = "db/db-disk1.vmdk", "data/vms/db/db-disk1.vmdk"

	t.Run("a whole journal planted in an empty folder is refused", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b")
		opts := crOptions(t, fx, out)
		opts.Compress = "none"
		os.MkdirAll(out, 0o755)
		// The attacker can compute the parameters hash: it is made of what
		// the command line says.
		o := opts
		checkOptions(&o)
		h, _ := json.Marshal(journal.Header{Kind: "exitbundle-create/1", ID: "urn:uuid:evil", Created: time.Now().UTC(), Params: paramsHash(&o)})
		os.WriteFile(filepath.Join(out, IncompleteMarker), append(h, '\n'), 0o644)
		plantRecord(t, out, dbKey, dbPath, evil)

		_, err := testCreate(context.Background(), opts)
		if err == nil {
			checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
			t.Fatal("create signed a bundle resumed from a journal it did not write")
		}
		if !errors.Is(err, journal.ErrForged) || !errors.Is(err, ErrNotOurs) {
			t.Errorf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(out, SignatureFile)); err == nil {
			t.Error("the planted bundle was signed")
		}
	})

	t.Run("a record planted in a genuine unfinished bundle is not trusted", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b")
		opts := crOptions(t, fx, out)
		opts.Compress = "none"
		// First run: everything but web's second disk is stored.
		sm2 := seams{wrapOutput: failOn("web-disk2")}
		if _, err := testCreate(context.Background(), opts, sm2); err == nil {
			t.Fatal("the first run did not fail")
		}
		// The attacker swaps db's finished disk and appends a matching record.
		plantRecord(t, out, dbKey, dbPath, evil)
		if _, err := testCreate(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		checkBundle(t, out, opts.Signer.PublicKey(), nil, fx.want)
	})

	t.Run("a resume under another passphrase is refused", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b")
		opts := crOptions(t, fx, out)
		opts.Passphrase = []byte("first passphrase")
		if _, err := testCreate(context.Background(), opts, seams{wrapOutput: failOn("web-disk2")}); err == nil {
			t.Fatal("the first run did not fail")
		}
		opts.Passphrase = []byte("second passphrase")
		_, err := testCreate(context.Background(), opts)
		if !errors.Is(err, journal.ErrForged) {
			t.Fatalf("err = %v; a resume under another passphrase must not keep files encrypted to the first", err)
		}
	})
}
