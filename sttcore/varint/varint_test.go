package varint

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		v    uint64
		want []byte
	}{
		{0, []byte{0x00}},
		{1, []byte{0x01}},
		{127, []byte{0x7f}},
		{128, []byte{0x80, 0x01}},
		{300, []byte{0xac, 0x02}},
		{16383, []byte{0xff, 0x7f}},
		{16384, []byte{0x80, 0x80, 0x01}},
		{1<<63 - 1, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{1 << 63, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{math.MaxUint64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		got := Append(nil, tt.v)
		require.Equal(t, tt.want, got, "Append(%d)", tt.v)
		require.Equal(t, len(tt.want), Len(tt.v), "Len(%d)", tt.v)
		buf := make([]byte, MaxLen)
		require.Equal(t, len(tt.want), Put(buf, tt.v))
		require.Equal(t, tt.want, buf[:len(tt.want)])
		v, n, err := Parse(append(got, 0xAA)) // trailing bytes are left alone
		require.NoError(t, err)
		require.Equal(t, tt.v, v)
		require.Equal(t, len(tt.want), n)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"continuation without end", []byte{0x80}, ErrTruncated},
		{"long truncated", []byte{0xff, 0xff, 0xff}, ErrTruncated},
		{"non-minimal zero", []byte{0x80, 0x00}, ErrNonMinimal},
		{"non-minimal one", []byte{0x81, 0x80, 0x00}, ErrNonMinimal},
		{"tenth byte too large", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrOverflow},
		{"eleven bytes", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01}, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := Parse(tt.in)
			require.ErrorIs(t, err, tt.want)
			require.Zero(t, n)
		})
	}
}

// Every strict prefix of a valid encoding is truncated.
func TestParseErrorsOnEOF(t *testing.T) {
	for _, v := range []uint64{128, 1 << 20, 1 << 40, math.MaxUint64} {
		b := Append(nil, v)
		for i := range b {
			_, _, err := Parse(b[:i])
			require.ErrorIs(t, err, ErrTruncated, "value %d prefix %d", v, i)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	b := Append(nil, math.MaxUint64)
	allocs := testing.AllocsPerRun(100, func() { _, _, _ = Parse(b) })
	require.Zero(t, allocs)
}

func FuzzVarint(f *testing.F) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 1 << 35, math.MaxUint64} {
		f.Add(Append(nil, v))
	}
	f.Add([]byte{0x80, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := Parse(b)
		if err != nil {
			require.Zero(t, n)
			return
		}
		// A value that parses re-encodes to exactly the bytes consumed.
		require.Equal(t, b[:n], Append(nil, v))
		require.Equal(t, n, Len(v))
	})
}

func BenchmarkParse(b *testing.B) {
	for _, v := range []uint64{1, 1 << 20, math.MaxUint64} {
		buf := Append(nil, v)
		b.Run(fmt.Sprintf("%dB", len(buf)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = Parse(buf)
			}
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	buf := make([]byte, 0, MaxLen)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], math.MaxUint64)
	}
}
