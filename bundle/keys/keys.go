// Package keys makes and loads the keys an exit bundle is signed and
// encrypted with.
//
// A provider signs every bundle with one long-lived OpenSSH ed25519 key:
// GenerateSigningKey writes it (GenerateEncryptedSigningKey under a
// passphrase, as it should be), LoadSigner reads it (or any existing
// OpenSSH key, passphrase-protected or not) for bundle.Create, and
// LoadSignerFrom does so with the passphrase from a PassphraseSource: a
// file, the environment or a terminal prompt. Its
// Fingerprint is what the provider publishes so a trustee can check the
// signature independently with ssh-keygen -Y verify.
//
// Payload files are encrypted with age to the customer's recipients:
// ParseRecipient and ReadRecipientsFile accept age X25519 recipients
// (age1...), OpenSSH ed25519 and RSA public keys (ssh-...), and post-quantum
// hybrid recipients (age1pq1...) when the user passes them explicitly.
// GenerateAgeIdentity writes X25519 identities only, because the age
// packaged by Debian (1.1.1) cannot read hybrid keys and the customer must be
// able to decrypt with whatever age they have installed.
//
// On the customer's side, ParseSigner reads the signer a bundle must be
// signed by (a fingerprint, a key line or a public key file), and
// ReadPassphraseFile reads a passphrase the way create wrote with it.
//
// Every private key file is written with mode 0600 and never over an
// existing file.
package keys

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"github.com/exitkit/exitkit/internal/fsx"
	"golang.org/x/crypto/ssh"
)

// ErrExists is returned when a key would overwrite an existing file.
var ErrExists = errors.New("file already exists")

// ErrPassphrase is returned when an encrypted private key cannot be
// unlocked: no passphrase was available or it was wrong.
var ErrPassphrase = errors.New("wrong or missing passphrase")

// maxKeyFile bounds what is read from a key or recipients file: real ones
// are a few kilobytes.
const maxKeyFile = 1 << 20

// GenerateSigningKey writes a new OpenSSH ed25519 private key to path (mode
// 0600) and its public key to path.pub (0644), the same files
// ssh-keygen -t ed25519 -N "" writes. The private key is unencrypted; see
// GenerateEncryptedSigningKey. It refuses to overwrite either file.
func GenerateSigningKey(path string) (ssh.PublicKey, error) {
	return generateSigningKey(path, nil)
}

// GenerateEncryptedSigningKey is GenerateSigningKey with the private key
// encrypted under passphrase the way ssh-keygen -N writes it (bcrypt KDF,
// aes256-ctr), so ssh-keygen, ssh-add and LoadSigner all read it. The
// signing key is the root of trust of every bundle: encrypted, a copied
// file alone cannot sign.
func GenerateEncryptedSigningKey(path string, passphrase []byte) (ssh.PublicKey, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("generate signing key: the passphrase is empty")
	}
	return generateSigningKey(path, passphrase)
}

func generateSigningKey(path string, passphrase []byte) (ssh.PublicKey, error) {
	pubPath := path + ".pub"
	for _, p := range []string{path, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("generate signing key: %s: %w; choose another path or remove it first", p, ErrExists)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	const comment = "exitbundle signing key"
	var block *pem.Block
	if passphrase == nil {
		block, err = ssh.MarshalPrivateKey(priv, comment)
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, comment, passphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	if err := writeNew(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	line := bytes.TrimSuffix(ssh.MarshalAuthorizedKey(sshPub), []byte("\n"))
	line = append(line, " "+comment+"\n"...)
	if err := writeNew(pubPath, line, 0o644); err != nil {
		fsx.Remove(path)
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return sshPub, nil
}

// GenerateAgeIdentity writes a new age X25519 identity to path (mode 0600)
// in the format age-keygen writes, so age -d -i path decrypts. It refuses
// to overwrite an existing file.
func GenerateAgeIdentity(path string) (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generate age identity: %w", err)
	}
	content := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n",
		time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	if err := writeNew(path, []byte(content), 0o600); err != nil {
		return nil, fmt.Errorf("generate age identity: %w", err)
	}
	return id, nil
}

// writeNew creates path exclusively, so a key is never written over
// anything, and removes it again if writing fails.
func writeNew(path string, data []byte, mode os.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w; choose another path or remove it first", path, ErrExists)
	}
	if err := fsx.WriteNewFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// LoadSigner reads an OpenSSH (or PEM) private key. When the key is
// encrypted, passphrase is called once for its passphrase; a nil passphrase
// func makes an encrypted key an error.
func LoadSigner(path string, passphrase func() ([]byte, error)) (ssh.Signer, error) {
	data, err := ReadKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == nil {
			return nil, fmt.Errorf("load signing key %s: the key is encrypted and no passphrase is available: %w", path, ErrPassphrase)
		}
		pass, perr := passphrase()
		if perr != nil {
			return nil, fmt.Errorf("load signing key %s: read passphrase: %w", path, perr)
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(data, pass)
		clear(pass)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("load signing key %s: %w", path, ErrPassphrase)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w (an OpenSSH private key is expected, as written by ssh-keygen or exitbundle keygen --type sign)", path, err)
	}
	return signer, nil
}

// ParseRecipient parses one recipient: an age X25519 recipient (age1...), a
// post-quantum hybrid recipient (age1pq1...), or an OpenSSH public key line
// (ssh-ed25519 or ssh-rsa, as in authorized_keys).
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("parse recipient %q: %w", short(s), err)
		}
		return r, nil
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return nil, fmt.Errorf("parse recipient %q: %w", short(s), err)
		}
		return r, nil
	case strings.HasPrefix(s, "ssh-"):
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("parse recipient %q: %w", short(s), err)
		}
		return r, nil
	case strings.HasPrefix(s, "AGE-SECRET-KEY-"), strings.HasPrefix(s, "-----BEGIN"):
		// Never echo a private key back into an error message or log.
		return nil, errors.New("parse recipient: this is a private key; pass the public recipient (age1... or ssh-...) instead")
	default:
		return nil, fmt.Errorf("parse recipient %q: unknown recipient type; expected age1... or an ssh-ed25519/ssh-rsa public key", short(s))
	}
}

// ReadRecipientsFile reads a recipients file as age -R does: one recipient
// per line, blank lines and lines starting with # ignored. It returns the
// recipients and their public strings, for the bundle's manifest.
func ReadRecipientsFile(path string) ([]age.Recipient, []string, error) {
	data, err := ReadKeyFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read recipients file: %w", err)
	}
	if !utf8.Valid(data) {
		return nil, nil, fmt.Errorf("read recipients file %s: not valid UTF-8", path)
	}
	var recs []age.Recipient
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), maxKeyFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := ParseRecipient(line)
		if err != nil {
			return nil, nil, fmt.Errorf("read recipients file %s:%d: %w", path, n, err)
		}
		recs = append(recs, r)
		names = append(names, line)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read recipients file %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("read recipients file %s: no recipients found", path)
	}
	return recs, names, nil
}

// Fingerprint returns the key's SHA-256 fingerprint as ssh-keygen -l prints
// it: "SHA256:" followed by unpadded base64.
func Fingerprint(pub ssh.PublicKey) string {
	return ssh.FingerprintSHA256(pub)
}

// ParseSigner reads the key a bundle must be signed by, given as a person
// has it: a fingerprint "SHA256:..." as ssh-keygen -l prints it (returned
// as fingerprint, with a nil key), an authorized_keys line
// "ssh-ed25519 AAAA...", or the path of a public key file such as the
// signer.pub a provider publishes. An empty s returns nothing.
func ParseSigner(s string) (pub ssh.PublicKey, fingerprint string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, "", nil
	}
	if strings.HasPrefix(s, "SHA256:") {
		return nil, s, nil
	}
	data := []byte(s)
	if !strings.HasPrefix(s, "ssh-") && !strings.HasPrefix(s, "ecdsa-") && !strings.HasPrefix(s, "sk-") {
		if data, err = ReadKeyFile(s); err != nil {
			return nil, "", fmt.Errorf("%w (give a public key file, an ssh-ed25519 line or a SHA256: fingerprint)", err)
		}
	}
	pub, _, _, _, err = ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, "", fmt.Errorf("not an OpenSSH public key: %w", err)
	}
	return pub, "", nil
}

// ReadKeyFile reads a key, recipients or allowed-signers file, refusing one
// larger than 1 MiB (real ones are a few kilobytes) so a wrong path, such as
// a disk image, fails fast instead of filling memory.
func ReadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("read %s: larger than %d bytes; not a key file, check the path", path, maxKeyFile)
	}
	return data, nil
}

// maxPassphraseFile bounds what is read from a passphrase file.
const maxPassphraseFile = 64 << 10

// ReadPassphraseFile returns the first line of the file at path, the
// passphrase a bundle is encrypted or decrypted with, as create, verify and
// open all read it so that what encrypted also decrypts.
func ReadPassphraseFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		data = data[:i]
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s is empty; its first line must hold the passphrase", path)
	}
	return data, nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
