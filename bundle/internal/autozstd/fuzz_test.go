package autozstd

import (
	"bytes"
	"testing"
)

// FuzzRoundTrip writes arbitrary data, repeated to cross segments, in
// arbitrary pieces, with arbitrary options, and decodes it.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, zstd\n"), uint16(1), uint8(0), uint16(0))
	f.Add(random(5000, 1), uint16(300), uint8(7), uint16(4093))
	f.Add(make([]byte, 4096), uint16(100), uint8(2), uint16(0))
	f.Add([]byte{}, uint16(0), uint8(1), uint16(1))
	f.Add(append(make([]byte, 3*4096), random(4096, 2)...), uint16(40), uint8(4), uint16(0)) // zero pages among random ones
	f.Fuzz(func(t *testing.T, unit []byte, repeat uint16, flags uint8, chunk uint16) {
		if len(unit) > 64<<10 {
			unit = unit[:64<<10]
		}
		data := bytes.Repeat(unit, int(repeat%200)+1)
		if len(data) > 600<<10 {
			data = data[:600<<10]
		}
		// Every fourth repetition of the unit flips, so that data made of
		// one unit still has segments of each kind.
		if len(unit) > 0 && flags&4 != 0 {
			for i := len(unit) * 3; i < len(data); i += len(unit) * 4 {
				data[i] ^= 0xa5
			}
		}
		// Small segments, so that small inputs cross several.
		opts := []Option{WithSegmentSize(128 << 10)}
		switch flags % 4 {
		case 1:
			opts = append(opts, WithSegmentSize(256<<10))
		case 2:
			opts = append(opts, WithThresholds(0, 0))
		case 3:
			opts = append(opts, WithThresholds(2, 2))
		}
		if flags&8 != 0 {
			opts = append(opts, WithChecksum(true))
		}
		// Odd piece sizes, but not so many pieces that an input takes long.
		c := int(chunk)
		if c > 0 && len(data)/c > 2000 {
			c = len(data)/2000 + c%7
		}
		stream, s := compressAll(t, data, c, opts...)
		if got := decode(t, stream); !bytes.Equal(got, data) {
			t.Fatalf("round trip of %d bytes gave %d, equal prefix %d", len(data), len(got), commonPrefix(got, data))
		}
		if s.In != int64(len(data)) || s.Out != int64(len(stream)) {
			t.Fatalf("Stats = %+v for %d in, %d out", s, len(data), len(stream))
		}
	})
}
