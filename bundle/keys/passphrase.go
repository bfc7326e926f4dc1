package keys

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// PassphraseSource says where the passphrase of an encrypted signing key
// comes from, in the order a user expects: a file named on the command
// line, then an environment variable, then a prompt on the terminal. Both
// exitbundle and exitsite read the same key the same way, so a key
// encrypted once works with every command that signs.
type PassphraseSource struct {
	// File is a file whose first line is the passphrase
	// (--key-passphrase-file); "" for none.
	File string
	// FileFlag names File's flag in messages, e.g. "--key-passphrase-file".
	FileFlag string
	// Env lists environment variables that may hold the passphrase, the
	// first set and non-empty one wins.
	Env []string
	// Prompt asks on a terminal; nil when there is none to ask on, which
	// makes an encrypted key a clear error instead of a hang.
	Prompt func() ([]byte, error)
}

// resolve returns the callback LoadSigner calls and where it reads from
// (for a wrong-passphrase message); a nil callback when no source is
// available.
func (s PassphraseSource) resolve() (func() ([]byte, error), string) {
	if s.File != "" {
		return func() ([]byte, error) { return ReadPassphraseFile(s.File) }, s.flag() + " " + s.File
	}
	for _, name := range s.Env {
		if v := os.Getenv(name); v != "" {
			return func() ([]byte, error) { return []byte(v), nil }, name
		}
	}
	if s.Prompt != nil {
		return s.Prompt, "the prompt"
	}
	return nil, ""
}

func (s PassphraseSource) flag() string {
	if s.FileFlag == "" {
		return "--key-passphrase-file"
	}
	return s.FileFlag
}

// Hint says how to give the passphrase, for the error when none was.
func (s PassphraseSource) Hint() string {
	ways := []string{s.flag() + " FILE (its first line)"}
	if len(s.Env) > 0 {
		ways = append(ways, "the environment variable "+strings.Join(s.Env, " or "))
	}
	return "give its passphrase with " + strings.Join(ways, " or ") + ", or run on a terminal to be asked"
}

// passphraseError is ErrPassphrase with a message that says what to do.
type passphraseError struct{ msg string }

func (e *passphraseError) Error() string { return e.msg }
func (e *passphraseError) Unwrap() error { return ErrPassphrase }

// LoadSignerFrom reads an OpenSSH private key as LoadSigner does, taking an
// encrypted key's passphrase from src. Its errors wrap ErrPassphrase and
// say how to give the passphrase, or which source held a wrong one.
func LoadSignerFrom(path string, src PassphraseSource) (ssh.Signer, error) {
	pass, from := src.resolve()
	if pass == nil {
		signer, err := LoadSigner(path, nil)
		if errors.Is(err, ErrPassphrase) {
			return nil, &passphraseError{fmt.Sprintf("load signing key %s: the signing key is encrypted: %s", path, src.Hint())}
		}
		return signer, err
	}
	asked := false
	signer, err := LoadSigner(path, func() ([]byte, error) { asked = true; return pass() })
	if asked && errors.Is(err, ErrPassphrase) {
		return nil, &passphraseError{fmt.Sprintf("load signing key %s: the passphrase from %s is wrong", path, from)}
	}
	return signer, err
}
