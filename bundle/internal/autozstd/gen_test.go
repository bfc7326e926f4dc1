package autozstd

import (
	"math/rand/v2"
	"strings"
)

// Generated inputs, shared by the tests and the benchmarks. Each is made
// at test time from a fixed seed, so runs are comparable.

// random returns n bytes that no compressor shrinks, as an encrypted file
// system looks (ChaCha8: fast to make).
func random(n int, seed byte) []byte {
	b := make([]byte, n)
	var s [32]byte
	s[0] = seed
	rand.NewChaCha8(s).Read(b)
	return b
}

var words = strings.Fields(`the customer data export virtual machine bundle contract exit
	provider trustee verify decrypt restart hypervisor disk image file system manifest
	signature archive storage retention period notice termination service level
	0 1 2 10 42 2026 /usr/lib /var/log/syslog error warning info kernel: systemd[1]:`)

// text returns n bytes of word salad: log files, configuration, source.
func text(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, n+32)
	for len(b) < n {
		b = append(b, words[r.IntN(len(words))]...)
		if r.IntN(12) == 0 {
			b = append(b, '\n')
		} else {
			b = append(b, ' ')
		}
	}
	return b[:n]
}

// sparseDisk returns n bytes of a mostly empty disk: zeros with a random 4
// KiB block at about one offset in share.
func sparseDisk(n int, share int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 2))
	var s [32]byte
	s[0] = byte(seed)
	c := rand.NewChaCha8(s)
	for off := 0; off+4096 <= n; off += 4096 {
		if r.IntN(share) == 0 {
			c.Read(b[off : off+4096])
		}
	}
	return b
}

// mixed returns a disk of regions of each kind in turn, 1.5 MiB each so
// that regions straddle segments.
func mixed(n int) []byte {
	b := make([]byte, 0, n)
	const region = 3 << 19
	for i := 0; len(b) < n; i++ {
		var r []byte
		switch i % 4 {
		case 0:
			r = text(region, uint64(i))
		case 1:
			r = random(region, byte(i))
		case 2:
			r = make([]byte, region)
		case 3:
			r = sparseDisk(region, 8, uint64(i))
		}
		b = append(b, r...)
	}
	return b[:n]
}
