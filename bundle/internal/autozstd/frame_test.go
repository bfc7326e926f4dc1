package autozstd

import (
	"bytes"
	"testing"
)

func TestUniformFindsOnlyOneByteRepeated(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"empty", nil, false},
		{"one byte", []byte{9}, true},
		{"zeros", make([]byte, 4096), true},
		{"0xff repeated", bytes.Repeat([]byte{0xff}, 1000), true},
		{"two bytes alternating", bytes.Repeat([]byte("t0"), 48), false},
		{"a word repeated", bytes.Repeat([]byte("abcdefgh"), 64), false},
		{"zeros with a byte set in the first word", append([]byte{0, 1}, make([]byte, 200)...), false},
		{"zeros with a byte set in the last word", append(make([]byte, 200), 1, 0, 0, 0, 0, 0, 0, 0), false},
		{"zeros with the last byte set", append(make([]byte, 4095), 1), false},
		{"zeros with a byte set in the tail", append(make([]byte, 35), 1), false},
	}
	for _, tt := range tests {
		if got := uniform(tt.b); got != tt.want {
			t.Errorf("%s: uniform = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Every position of one odd byte in a zeroed block.
	for i := range 100 {
		b := make([]byte, 100)
		b[i] = 0x80
		if uniform(b) {
			t.Errorf("zeros with byte %d set: uniform", i)
		}
	}
}

func TestFrameHeadersUseTheSmallestContentSizeField(t *testing.T) {
	tests := []struct {
		size int64
		want int // header length
	}{
		{0, 6}, {255, 6}, {256, 7}, {65791, 7}, {65792, 9}, {1<<32 - 1, 9}, {1 << 32, 13},
	}
	for _, tt := range tests {
		if got := len(appendFrameHeader(nil, tt.size, false)); got != tt.want {
			t.Errorf("size %d: header of %d bytes, want %d", tt.size, got, tt.want)
		}
	}
	if got := len(emptyFrame(true)); got != 6+3+4 {
		t.Errorf("empty frame with checksum: %d bytes, want 13", got)
	}
}

func BenchmarkUniform(b *testing.B) {
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"zeros", make([]byte, 128<<10)},
		{"0xff", bytes.Repeat([]byte{0xff}, 128<<10)},
		{"random", random(128<<10, 1)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.data)))
			for b.Loop() {
				uniform(tt.data)
			}
		})
	}
}
