package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// PromptPassphrase returns a func that asks for a passphrase on the
// terminal, without echo, showing prompt on stderr; nil when standard input
// is no terminal, so that a command without one fails with what to do
// instead of hanging.
func PromptPassphrase(prompt string, stderr io.Writer) func() ([]byte, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil
	}
	return func() ([]byte, error) { return readHidden(prompt, stderr) }
}

// ErrNoTerminal is returned when a passphrase must be typed but standard
// input is not a terminal.
var ErrNoTerminal = errors.New("standard input is not a terminal to ask on")

// NewPassphrase asks for a new passphrase twice on the terminal, without
// echo, and returns it when both match, as ssh-keygen does; a typo in a
// passphrase nobody saw would lock the key for good.
func NewPassphrase(what string, stderr io.Writer) ([]byte, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil, ErrNoTerminal
	}
	return confirmPassphrase(what, stderr, readHidden)
}

// confirmPassphrase is NewPassphrase on any reader, for tests.
func confirmPassphrase(what string, stderr io.Writer, read func(prompt string, stderr io.Writer) ([]byte, error)) ([]byte, error) {
	first, err := read("Enter passphrase for "+what+": ", stderr)
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return nil, errors.New("the passphrase is empty; type one, or leave out --passphrase for an unencrypted key")
	}
	second, err := read("Enter the same passphrase again: ", stderr)
	defer clear(second)
	if err != nil {
		clear(first)
		return nil, err
	}
	if !bytes.Equal(first, second) {
		clear(first)
		return nil, errors.New("the two passphrases differ; nothing was written, run the command again")
	}
	return first, nil
}

func readHidden(prompt string, stderr io.Writer) ([]byte, error) {
	fmt.Fprint(stderr, prompt)
	pass, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	return pass, nil
}
