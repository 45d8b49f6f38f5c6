package serial

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/varint"
)

func TestUnmarshal(t *testing.T) {
	for _, tt := range encodingTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unmarshal(tt.want)
			require.NoError(t, err)
			require.True(t, Equal(tt.v, got), "decoded %#v, want %#v", got, tt.v)
			requireDecodedTypes(t, got)
			again, err := Marshal(got)
			require.NoError(t, err)
			require.Equal(t, tt.want, again)
		})
	}
}

// TestUnmarshalTypes pins the Go types Unmarshal returns.
func TestUnmarshalTypes(t *testing.T) {
	tests := []struct {
		in   []byte
		want any
	}{
		{[]byte{0x00}, nil},
		{[]byte{0x02}, true},
		{[]byte{0x03, 0x01}, uint64(1)},
		{[]byte{0x04, 0x01}, int64(-1)},
		{[]byte{0x05, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, 1.5},
		{[]byte{0x06, 0x00}, []byte{}},
		{[]byte{0x06, 0x01, 0x00}, []byte{0x00}},
		{[]byte{0x07, 0x01, 'x'}, "x"},
		{[]byte{0x08, 0x01, 0x03, 0x05}, []any{uint64(5)}},
		{[]byte{0x09, 0x01, 0x01, 'k', 0x04, 0x02}, map[string]any{"k": int64(1)}},
	}
	for _, tt := range tests {
		got, err := Unmarshal(tt.in)
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}

func TestUnmarshalDoesNotAlias(t *testing.T) {
	in := []byte{0x08, 0x02, 0x06, 0x01, 'a', 0x07, 0x01, 'b'}
	v, err := Unmarshal(in)
	require.NoError(t, err)
	for i := range in {
		in[i] = 0
	}
	require.Equal(t, []any{[]byte("a"), "b"}, v)
}

func TestUnmarshalErrors(t *testing.T) {
	deep := func(n int) []byte { return append(bytes.Repeat([]byte{0x08, 0x01}, n), 0x00) }
	deepMaps := func(n int) []byte { return append(bytes.Repeat([]byte{0x09, 0x01, 0x01, 'k'}, n), 0x00) }
	huge := func(tag byte, n uint64, tail ...byte) []byte {
		return append(varint.Append([]byte{tag}, n), tail...)
	}
	tests := []struct {
		name   string
		in     []byte
		want   error
		offset int
	}{
		{"empty", nil, ErrTruncated, 0},
		{"unknown tag 0x0a", []byte{0x0a}, ErrUnknownTag, 0},
		{"unknown tag 0xff", []byte{0xff, 0x00}, ErrUnknownTag, 0},
		{"unknown tag in list", []byte{0x08, 0x02, 0x00, 0x10}, ErrUnknownTag, 3},
		{"trailing byte", []byte{0x00, 0x00}, ErrTrailing, 1},
		{"trailing after integer", []byte{0x03, 0x01, 0xff}, ErrTrailing, 2},
		{"trailing after list", []byte{0x08, 0x00, 0x08, 0x00}, ErrTrailing, 2},
		{"unsigned truncated", []byte{0x03, 0x80}, ErrTruncated, 1},
		{"unsigned missing", []byte{0x03}, ErrTruncated, 1},
		{"unsigned non-minimal", []byte{0x03, 0x80, 0x00}, ErrNotCanonical, 1},
		{"signed non-minimal", []byte{0x04, 0x81, 0x00}, ErrNotCanonical, 1},
		{"unsigned overflow", []byte{0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrOverflow, 1},
		{"float truncated", []byte{0x05, 0x00, 0x00}, ErrTruncated, 1},
		{"bytes length beyond input", []byte{0x06, 0x05, 'a', 'b'}, ErrTruncated, 1},
		{"bytes length non-minimal", []byte{0x06, 0x81, 0x00, 'a'}, ErrNotCanonical, 1},
		{"bytes huge length", huge(0x06, 1<<62, 'a'), ErrTruncated, 1},
		{"string invalid UTF-8", []byte{0x07, 0x02, 0xc3, 0x28}, ErrInvalidUTF8, 2},
		{"string lone continuation", []byte{0x07, 0x01, 0x80}, ErrInvalidUTF8, 2},
		{"string surrogate half", []byte{0x07, 0x03, 0xed, 0xa0, 0x80}, ErrInvalidUTF8, 2},
		{"string length beyond input", []byte{0x07, 0x03, 'a'}, ErrTruncated, 1},
		{"list huge count", huge(0x08, 1<<60, 0x00, 0x00), ErrTruncated, 1},
		{"list max count", huge(0x08, 1<<64-1, 0x00), ErrTruncated, 1},
		{"list count beyond input", []byte{0x08, 0x03, 0x00, 0x00}, ErrTruncated, 1},
		// The outer list needs one byte for its second element, so the
		// inner list cannot have two.
		{"nested count beyond input", []byte{0x08, 0x02, 0x08, 0x02, 0x00, 0x00}, ErrTruncated, 3},
		{"list count non-minimal", []byte{0x08, 0x80, 0x00}, ErrNotCanonical, 1},
		{"map huge count", huge(0x09, 1<<62, 0x00, 0x00), ErrTruncated, 1},
		{"map count beyond input", []byte{0x09, 0x02, 0x00, 0x00, 0x00}, ErrTruncated, 1},
		{"map key missing", []byte{0x09, 0x01}, ErrTruncated, 1},
		{"map key beyond input", []byte{0x09, 0x01, 0x05, 'a', 0x00}, ErrTruncated, 2},
		{"map key length non-minimal", []byte{0x09, 0x01, 0x80, 0x00, 0x00}, ErrNotCanonical, 2},
		{"map value missing", []byte{0x09, 0x01, 0x01, 'a'}, ErrTruncated, 2},
		{"map keys unsorted", []byte{0x09, 0x02, 0x01, 'b', 0x00, 0x01, 'a', 0x00}, ErrNotCanonical, 5},
		{"map keys duplicate", []byte{0x09, 0x02, 0x01, 'a', 0x00, 0x01, 'a', 0x00}, ErrNotCanonical, 5},
		{"map empty key duplicate", []byte{0x09, 0x02, 0x00, 0x00, 0x00, 0x00}, ErrNotCanonical, 4},
		{"map longer key first", []byte{0x09, 0x02, 0x02, 'a', 'b', 0x00, 0x01, 'a', 0x00}, ErrNotCanonical, 6},
		{"map key invalid UTF-8", []byte{0x09, 0x01, 0x01, 0xff, 0x00}, ErrInvalidUTF8, 3},
		{"map value unknown tag", []byte{0x09, 0x01, 0x01, 'a', 0x0b}, ErrUnknownTag, 4},
		{"33 nested lists", deep(33), ErrTooDeep, 64},
		{"33 nested maps", deepMaps(33), ErrTooDeep, 128},
		{"33 lists, truncated after", deep(33)[:66], ErrTooDeep, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Unmarshal(tt.in)
			require.ErrorIs(t, err, tt.want)
			require.Nil(t, v)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.offset, se.Offset, "error %v", err)
			require.Same(t, tt.want, errors.Unwrap(err))
		})
	}
}

func TestUnmarshalDepthLimit(t *testing.T) {
	deep := func(n int) []byte { return append(bytes.Repeat([]byte{0x08, 0x01}, n), 0x00) }
	mixed := func(n int) []byte {
		var b []byte
		for i := range n {
			if i%2 == 0 {
				b = append(b, 0x08, 0x01)
			} else {
				b = append(b, 0x09, 0x01, 0x00)
			}
		}
		return append(b, 0x02)
	}
	tests := []struct {
		name string
		dec  Decoder
		in   []byte
		want error
	}{
		{"32 lists", Decoder{}, deep(32), nil},
		{"33 lists", Decoder{}, deep(33), ErrTooDeep},
		{"32 mixed", Decoder{}, mixed(32), nil},
		{"33 mixed", Decoder{}, mixed(33), ErrTooDeep},
		{"negative means default", Decoder{MaxDepth: -1}, deep(33), ErrTooDeep},
		{"MaxDepth 1", Decoder{MaxDepth: 1}, deep(1), nil},
		{"MaxDepth 1 exceeded", Decoder{MaxDepth: 1}, deep(2), ErrTooDeep},
		{"MaxDepth 100", Decoder{MaxDepth: 100}, deep(100), nil},
		{"MaxDepth 100 exceeded", Decoder{MaxDepth: 100}, deep(101), ErrTooDeep},
		{"MaxDepth capped", Decoder{MaxDepth: 1 << 30}, deep(hardMaxDepth + 1), ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.dec.Unmarshal(tt.in)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			again, err := Encoder{MaxDepth: tt.dec.MaxDepth}.Marshal(v)
			require.NoError(t, err)
			require.Equal(t, tt.in, again)
		})
	}
}

func TestUnmarshalSizeLimit(t *testing.T) {
	in := []byte{0x06, 0x03, 'a', 'b', 'c'}
	_, err := Decoder{MaxSize: 5}.Unmarshal(in)
	require.NoError(t, err)
	_, err = Decoder{MaxSize: 4}.Unmarshal(in)
	require.ErrorIs(t, err, ErrTooLarge)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 4, se.Offset)

	// The default is 16 MiB: one byte more fails before anything is read.
	big := make([]byte, DefaultMaxSize+1)
	_, err = Unmarshal(big)
	require.ErrorIs(t, err, ErrTooLarge)
	big = varint.Append([]byte{0x06}, DefaultMaxSize-5)
	big = append(big, make([]byte, DefaultMaxSize-5)...)
	require.Len(t, big, DefaultMaxSize)
	_, err = Unmarshal(big)
	require.NoError(t, err)
}

// Every strict prefix of a valid encoding is truncated (and nothing else).
func TestUnmarshalErrorsOnEOFs(t *testing.T) {
	values := []any{
		uint64(1 << 40),
		int64(-1 << 40),
		1.25,
		[]byte("bytes"),
		"strings é",
		[]any{nil, false, []any{uint64(300)}, "x"},
		map[string]any{"": []byte{1}, "a": map[string]any{"b": "c"}, "d": -5},
		benchRecord(),
	}
	for _, v := range values {
		b, err := Marshal(v)
		require.NoError(t, err)
		for i := range b {
			_, err := Unmarshal(b[:i])
			require.ErrorIs(t, err, ErrTruncated, "%x: prefix of %d bytes", b, i)
		}
	}
}

// A count of 2^60 in a few bytes fails at once: the only allocation is the
// error itself.
func TestUnmarshalHugeCountAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations")
	}
	for _, tag := range []byte{0x06, 0x07, 0x08, 0x09} {
		in := varint.Append([]byte{tag}, 1<<60)
		in = append(in, 0x00, 0x00)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := Unmarshal(in); !errors.Is(err, ErrTruncated) {
				t.Fatalf("tag %#x: got %v", tag, err)
			}
		})
		require.Equal(t, 1.0, allocs, "tag %#x", tag)
	}
}

// Nested lists that each claim as many elements as there are bytes left
// cannot make the decoder allocate a multiple of the input per level: the
// elements an outer list still expects are reserved from what an inner one
// may claim.
func TestUnmarshalNestedClaimsBounded(t *testing.T) {
	const size = 1 << 20
	var in []byte
	for range DefaultMaxDepth {
		in = append(in, 0x08)
		in = varint.Append(in, uint64(size-len(in)-varint.MaxLen))
	}
	in = append(in, make([]byte, size-len(in))...)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Unmarshal(in)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTruncated)
	// One outer []any of about size elements (16 bytes each) is allowed;
	// preallocating every level would take DefaultMaxDepth times that.
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(20*size), "allocated %d bytes for %d bytes of input", allocated, size)
}

// requireDecodedTypes checks that v holds only the types Unmarshal returns.
func requireDecodedTypes(t *testing.T, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil, bool, uint64, int64, float64, []byte, string:
	case []any:
		for _, e := range v {
			requireDecodedTypes(t, e)
		}
	case map[string]any:
		for _, e := range v {
			requireDecodedTypes(t, e)
		}
	default:
		t.Fatalf("Unmarshal returned a %T", v)
	}
}
