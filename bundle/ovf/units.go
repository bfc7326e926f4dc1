package ovf

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// byteUnits returns how many bytes one unit of a DMTF programmatic unit
// (DSP0004 Annex C: "byte * 2^20", "byte*2^30", "byte * 1024") or of the
// informal names exporters also write ("MegaBytes", "GB", "KiB") is.
// Named units are binary, as VMware and VirtualBox mean them.
func byteUnits(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 1, nil
	}
	switch strings.ToLower(s) {
	case "byte", "bytes", "b":
		return 1, nil
	case "kilobytes", "kilobyte", "kb", "kib":
		return 1 << 10, nil
	case "megabytes", "megabyte", "mb", "mib":
		return 1 << 20, nil
	case "gigabytes", "gigabyte", "gb", "gib":
		return 1 << 30, nil
	case "terabytes", "terabyte", "tb", "tib":
		return 1 << 40, nil
	}
	factors := strings.Split(s, "*")
	if strings.ToLower(strings.TrimSpace(factors[0])) != "byte" && strings.ToLower(strings.TrimSpace(factors[0])) != "bytes" {
		return 0, fmt.Errorf("unit %q is not a byte unit (expected e.g. \"byte * 2^30\")", s)
	}
	var n int64 = 1
	for _, f := range factors[1:] {
		f = strings.ReplaceAll(f, " ", "")
		var v int64
		if base, exp, ok := strings.Cut(f, "^"); ok {
			b, err1 := strconv.ParseInt(base, 10, 64)
			e, err2 := strconv.ParseInt(exp, 10, 64)
			if err1 != nil || err2 != nil || b < 1 || e < 0 || e > 64 {
				return 0, fmt.Errorf("unit %q: cannot read factor %q", s, f)
			}
			v = 1
			for range e {
				hi, lo := bits.Mul64(uint64(v), uint64(b))
				if hi != 0 || lo > math.MaxInt64 {
					return 0, fmt.Errorf("unit %q is too large", s)
				}
				v = int64(lo)
			}
		} else {
			x, err := strconv.ParseInt(f, 10, 64)
			if err != nil || x < 1 {
				return 0, fmt.Errorf("unit %q: cannot read factor %q", s, f)
			}
			v = x
		}
		var ok bool
		if n, ok = mulInt64(n, v); !ok {
			return 0, fmt.Errorf("unit %q is too large", s)
		}
	}
	return n, nil
}

// mulInt64 multiplies two non-negative numbers, reporting overflow.
func mulInt64(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// parseCount reads a non-negative whole number, tolerating surrounding
// space.
func parseCount(s string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return v, nil
}
