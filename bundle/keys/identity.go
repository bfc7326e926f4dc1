package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// LoadIdentities reads the keys that decrypt a bundle's payload: an age
// identity file (AGE-SECRET-KEY-1... lines, as age-keygen and
// exitbundle keygen --type age write) or an OpenSSH private key whose public
// key was a recipient. A passphrase-protected OpenSSH key is an error
// wrapping ErrPassphrase; use LoadIdentitiesWithPassphrase to unlock it.
func LoadIdentities(path string) ([]age.Identity, error) {
	return LoadIdentitiesWithPassphrase(path, nil)
}

// LoadIdentitiesWithPassphrase is LoadIdentities with a callback that
// supplies the passphrase of an encrypted OpenSSH key. It is called at most
// once, while loading, so that the identities returned are safe to use
// from several goroutines at once (agessh's lazily decrypting identity is
// not).
func LoadIdentitiesWithPassphrase(path string, passphrase func() ([]byte, error)) ([]age.Identity, error) {
	data, err := ReadKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(trimmed, []byte("age-encryption.org/")),
		bytes.HasPrefix(trimmed, []byte("-----BEGIN AGE ENCRYPTED FILE-----")):
		return nil, fmt.Errorf("load identity %s: this is a passphrase-encrypted age identity file; decrypt it first with age -d -o key.txt %s", path, path)
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		id, err := sshIdentity(path, data, passphrase)
		if err != nil {
			return nil, err
		}
		return []age.Identity{id}, nil
	case bytes.HasPrefix(trimmed, []byte("age1")), bytes.HasPrefix(trimmed, []byte("ssh-")):
		return nil, fmt.Errorf("load identity %s: this is a public key (a recipient); pass the private key it belongs to", path)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load identity %s: %w (an age identity file or an OpenSSH private key is expected)", path, err)
	}
	return ids, nil
}

func sshIdentity(path string, data []byte, passphrase func() ([]byte, error)) (age.Identity, error) {
	id, err := agessh.ParseIdentity(data)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil {
			return nil, fmt.Errorf("load identity %s: %w (only ssh-ed25519 and ssh-rsa keys can decrypt age files)", path, err)
		}
		return id, nil
	}
	if passphrase == nil {
		return nil, fmt.Errorf("load identity %s: the OpenSSH key is passphrase-protected and no passphrase is available (run on a terminal to be asked, or remove the passphrase from a copy with ssh-keygen -p): %w", path, ErrPassphrase)
	}
	pass, err := passphrase()
	if err != nil {
		return nil, fmt.Errorf("load identity %s: read passphrase: %w", path, err)
	}
	raw, err := ssh.ParseRawPrivateKeyWithPassphrase(data, pass)
	clear(pass)
	if errors.Is(err, x509.IncorrectPasswordError) || (err != nil && strings.Contains(err.Error(), "decryption")) {
		return nil, fmt.Errorf("load identity %s: %w", path, ErrPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("load identity %s: %w", path, err)
	}
	switch k := raw.(type) {
	case *ed25519.PrivateKey:
		return agessh.NewEd25519Identity(*k)
	case ed25519.PrivateKey:
		return agessh.NewEd25519Identity(k)
	case *rsa.PrivateKey:
		return agessh.NewRSAIdentity(k)
	default:
		return nil, fmt.Errorf("load identity %s: %T keys cannot decrypt age files; use an ssh-ed25519 or ssh-rsa key", path, raw)
	}
}

// PassphraseIdentity returns the identity that decrypts files encrypted to
// a passphrase (create --passphrase-file). Each file's header costs one
// scrypt derivation, about a second, whatever the file's size. pass is
// used exactly as given: a caller reading it from a file strips the line
// ending first, as create does.
func PassphraseIdentity(pass []byte) (age.Identity, error) {
	return PassphraseIdentityMax(pass, DefaultMaxWorkFactor)
}

// DefaultMaxWorkFactor is the scrypt work factor (log2 N) create writes,
// age's default: about a second and 256 MiB per file. A received bundle
// decides the work factor of its own files, so a hostile one could ask
// for 2^22 (4 GiB and half a minute per file, per job); readers accept no
// more than what create writes unless the user raises it.
const DefaultMaxWorkFactor = 18

// PassphraseIdentityMax is PassphraseIdentity accepting work factors up
// to 2^maxLogN (1 to 30), for a bundle the user knows was made with a
// higher one.
func PassphraseIdentityMax(pass []byte, maxLogN int) (age.Identity, error) {
	if maxLogN < 1 || maxLogN > 30 {
		return nil, fmt.Errorf("passphrase identity: scrypt work factor %d is out of range: give 1 to 30 (create writes %d)", maxLogN, DefaultMaxWorkFactor)
	}
	p := string(pass)
	if p == "" {
		return nil, errors.New("passphrase identity: the passphrase is empty")
	}
	id, err := age.NewScryptIdentity(p)
	if err != nil {
		return nil, fmt.Errorf("passphrase identity: %w", err)
	}
	id.SetMaxWorkFactor(maxLogN)
	return id, nil
}
