package varint

import (
	"errors"
	"math/bits"
)

// MaxLen is the length of the longest encoding, that of a value ≥ 2^63.
const MaxLen = 10

var (
	// ErrTruncated is returned when the input ends before the last byte of a varint.
	ErrTruncated = errors.New("varint: truncated")
	// ErrOverflow is returned for an encoding of a value that does not fit in 64 bits.
	ErrOverflow = errors.New("varint: value overflows 64 bits")
	// ErrNonMinimal is returned for an encoding longer than the value needs.
	ErrNonMinimal = errors.New("varint: non-minimal encoding")
)

// Len returns the number of bytes Append uses for v.
func Len(v uint64) int {
	// 1 byte per started group of 7 bits; 0 still takes one byte.
	return 1 + (63-bits.LeadingZeros64(v|1))/7
}

// Append appends the encoding of v to b and returns the extended slice.
func Append(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Put writes the encoding of v at the start of b, which must hold Len(v)
// bytes, and returns the number of bytes written.
func Put(b []byte, v uint64) int {
	i := 0
	for v >= 0x80 {
		b[i] = byte(v) | 0x80
		v >>= 7
		i++
	}
	b[i] = byte(v)
	return i + 1
}

// Parse decodes the varint at the start of b. It returns the value and the
// number of bytes consumed, or an error: ErrTruncated, ErrOverflow or
// ErrNonMinimal.
func Parse(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < MaxLen; i++ {
		if i == len(b) {
			return 0, 0, ErrTruncated
		}
		c := b[i]
		if i == MaxLen-1 && c > 1 {
			// The 10th byte holds bit 63 only.
			return 0, 0, ErrOverflow
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, 0, ErrNonMinimal
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, ErrOverflow
}
