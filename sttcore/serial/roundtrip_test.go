package serial

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// genValue returns a random value of the serialization, at most maxDepth
// levels of lists and maps deep.
func genValue(r *rand.Rand, maxDepth int) any {
	kinds := 8
	if maxDepth > 0 {
		kinds = 10
	}
	switch r.IntN(kinds) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		// Magnitudes across every varint length.
		return r.Uint64() >> r.IntN(64)
	case 3:
		return int64(r.Uint64()) >> r.IntN(64)
	case 4:
		return genFloat(r)
	case 5:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	case 6, 7:
		return genString(r, r.IntN(12))
	case 8:
		l := make([]any, r.IntN(6))
		for i := range l {
			l[i] = genValue(r, maxDepth-1)
		}
		return l
	default:
		m := make(map[string]any)
		for range r.IntN(6) {
			m[genString(r, r.IntN(4))] = genValue(r, maxDepth-1)
		}
		return m
	}
}

func genFloat(r *rand.Rand) float64 {
	switch r.IntN(4) {
	case 0:
		specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
			math.SmallestNonzeroFloat64, math.MaxFloat64}
		return specials[r.IntN(len(specials))]
	case 1:
		return math.Float64frombits(r.Uint64()) // NaNs with any payload too
	default:
		return r.NormFloat64() * 1e6
	}
}

// genString returns a valid UTF-8 string of n runes, from ASCII up to four
// bytes a rune.
func genString(r *rand.Rand, n int) string {
	var sb strings.Builder
	for range n {
		var c rune
		switch r.IntN(4) {
		case 0:
			c = rune(r.IntN(0x80))
		case 1:
			c = rune(0x80 + r.IntN(0x800-0x80))
		case 2:
			c = rune(0xe000 + r.IntN(0x10000-0xe000)) // no surrogates
		default:
			c = rune(0x10000 + r.IntN(0x110000-0x10000))
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// TestRoundTripRandom checks decode(encode(v)) == v and
// encode(decode(b)) == b over random values.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		v := genValue(r, 1+i%6)
		b, err := Marshal(v)
		require.NoError(t, err)
		got, err := Unmarshal(b)
		require.NoError(t, err, "%x", b)
		require.True(t, Equal(v, got), "value %#v decoded as %#v", v, got)
		requireDecodedTypes(t, got)
		again, err := Marshal(got)
		require.NoError(t, err)
		require.Equal(t, b, again)
	}
}

// TestMutationsRandom alters valid encodings byte by byte: whatever still
// decodes must re-encode to exactly the altered bytes, and every failure is
// a *SyntaxError inside the input.
func TestMutationsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	decoded := 0
	for range 3000 {
		b, err := Marshal(genValue(r, 3))
		require.NoError(t, err)
		b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		v, err := Unmarshal(b)
		if err != nil {
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.GreaterOrEqual(t, se.Offset, 0)
			require.LessOrEqual(t, se.Offset, len(b))
			continue
		}
		decoded++
		again, err := Marshal(v)
		require.NoError(t, err)
		require.Equal(t, b, again)
	}
	// Flipped payload bytes decode fine; the test must exercise both paths.
	require.Positive(t, decoded)
	require.Less(t, decoded, 3000)
}

func TestEqual(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"nil", nil, nil, true},
		{"nil and false", nil, false, false},
		{"nil and empty bytes", nil, []byte{}, false},
		{"int and int64", 5, int64(5), true},
		{"int8 and int64", int8(-5), int64(-5), true},
		{"uint16 and uint64", uint16(5), uint64(5), true},
		{"signed and unsigned", int64(5), uint64(5), false},
		{"different ints", int64(5), int64(6), false},
		{"same NaN", nan, nan, true},
		{"different NaN payloads", nan, math.Float64frombits(math.Float64bits(nan) ^ 1), false},
		{"zero and negative zero", 0.0, math.Copysign(0, -1), false},
		{"float32 and float64", float32(0.5), 0.5, true},
		{"float and int", 1.0, int64(1), false},
		{"nil and empty bytes slices", []byte(nil), []byte{}, true},
		{"bytes", []byte("ab"), []byte("ac"), false},
		{"bytes and string", []byte("ab"), "ab", false},
		{"strings", "ab", "ab", true},
		{"lists", []any{1, "x"}, []any{int64(1), "x"}, true},
		{"list lengths", []any{1}, []any{1, 1}, false},
		{"list elements", []any{1}, []any{2}, false},
		{"maps", map[string]any{"a": uint8(1)}, map[string]any{"a": uint64(1)}, true},
		{"map keys", map[string]any{"a": nil}, map[string]any{"b": nil}, false},
		{"map values", map[string]any{"a": nil}, map[string]any{"a": false}, false},
		{"map sizes", map[string]any{"a": nil}, map[string]any{}, false},
		{"empty list and map", []any{}, map[string]any{}, false},
		{"unsupported", struct{}{}, struct{}{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Equal(tt.a, tt.b))
			require.Equal(t, tt.want, Equal(tt.b, tt.a), "symmetry")
		})
	}
}

func TestEqualCyclic(t *testing.T) {
	a := []any{nil}
	a[0] = a
	require.False(t, Equal(a, a))
}
