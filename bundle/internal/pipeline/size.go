package pipeline

import (
	"fmt"
	"sync"

	"filippo.io/age"
)

// ageChunk is the plaintext size of one age STREAM chunk; each chunk
// carries a 16-byte Poly1305 tag, and the payload starts with a 16-byte
// nonce.
const (
	ageChunk   = 64 << 10
	ageTag     = 16
	ageNonce   = 16
	lastChunks = 1 // an empty plaintext is still one (empty) chunk
)

// AgeHeaderSize measures the header age writes for recipients by
// encrypting an empty payload: every recipient type exitbundle uses
// (X25519, ssh-ed25519, ssh-rsa, scrypt) wraps to stanzas of a fixed
// length, so one measurement holds for every file of a create. For an
// scrypt recipient it costs one wrap.
func AgeHeaderSize(recipients []age.Recipient) (int64, error) {
	var c counter
	w, err := age.Encrypt(&c, recipients...)
	if err != nil {
		return 0, fmt.Errorf("measure the age header: %w", err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("measure the age header: %w", err)
	}
	return c.n - AgeSize(0, 0), nil
}

// AgeSize is the size of the age encryption of n plaintext bytes under a
// header of header bytes (see AgeHeaderSize): the header, the nonce, the
// plaintext and one tag per chunk of 64 KiB, at least one.
func AgeSize(n, header int64) int64 {
	chunks := max(lastChunks, (n+ageChunk-1)/ageChunk)
	return header + ageNonce + n + ageTag*chunks
}

// A Sizer computes the stored size of files encrypted without compression,
// known before the data flows (what lets a tar header precede the data),
// for the files of one create, measuring the age header once.
type Sizer struct {
	once   sync.Once
	header int64
	err    error
}

// Size is the stored size of n plaintext bytes encrypted to recipients (n
// itself with none); recipients must be the same at every call.
func (s *Sizer) Size(n int64, recipients []age.Recipient) (int64, error) {
	if len(recipients) == 0 {
		return n, nil
	}
	s.once.Do(func() { s.header, s.err = AgeHeaderSize(recipients) })
	if s.err != nil {
		return 0, s.err
	}
	return AgeSize(n, s.header), nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
