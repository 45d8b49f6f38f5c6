package serial

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// encodingTests pairs values with their encodings, written out by hand from
// docs/protocol.md §8. Decoding want gives a value Equal to v.
var encodingTests = []struct {
	name string
	v    any
	want []byte
}{
	{"null", nil, []byte{0x00}},
	{"false", false, []byte{0x01}},
	{"true", true, []byte{0x02}},

	{"uint64 0", uint64(0), []byte{0x03, 0x00}},
	{"uint64 127", uint64(127), []byte{0x03, 0x7f}},
	{"uint64 128", uint64(128), []byte{0x03, 0x80, 0x01}},
	{"uint64 300", uint64(300), []byte{0x03, 0xac, 0x02}},
	{"uint64 max", uint64(math.MaxUint64), []byte{0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	{"uint8 255", uint8(255), []byte{0x03, 0xff, 0x01}},
	{"uint16 300", uint16(300), []byte{0x03, 0xac, 0x02}},
	{"uint32 1", uint32(1), []byte{0x03, 0x01}},
	{"uint 16384", uint(16384), []byte{0x03, 0x80, 0x80, 0x01}},

	{"int64 0", int64(0), []byte{0x04, 0x00}},
	{"int64 -1", int64(-1), []byte{0x04, 0x01}},
	{"int64 1", int64(1), []byte{0x04, 0x02}},
	{"int64 -64", int64(-64), []byte{0x04, 0x7f}},
	{"int64 64", int64(64), []byte{0x04, 0x80, 0x01}},
	{"int -300", -300, []byte{0x04, 0xd7, 0x04}},
	{"int8 -128", int8(-128), []byte{0x04, 0xff, 0x01}},
	{"int16 300", int16(300), []byte{0x04, 0xd8, 0x04}},
	{"int32 -2", int32(-2), []byte{0x04, 0x03}},
	{"int64 max", int64(math.MaxInt64), []byte{0x04, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	{"int64 min", int64(math.MinInt64), []byte{0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},

	{"float64 1.5", 1.5, []byte{0x05, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
	{"float64 -0", math.Copysign(0, -1), []byte{0x05, 0x80, 0, 0, 0, 0, 0, 0, 0}},
	{"float64 +Inf", math.Inf(1), []byte{0x05, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}},
	{"float64 NaN payload kept", math.Float64frombits(0x7ff8000000000001), []byte{0x05, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0x01}},
	{"float32 0.5", float32(0.5), []byte{0x05, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0}},

	{"bytes empty", []byte{}, []byte{0x06, 0x00}},
	{"bytes nil", []byte(nil), []byte{0x06, 0x00}},
	{"bytes", []byte{0xde, 0xad}, []byte{0x06, 0x02, 0xde, 0xad}},

	{"string empty", "", []byte{0x07, 0x00}},
	{"string", "hi", []byte{0x07, 0x02, 'h', 'i'}},
	{"string multibyte", "é", []byte{0x07, 0x02, 0xc3, 0xa9}},

	{"list empty", []any{}, []byte{0x08, 0x00}},
	{"list", []any{nil, true, uint64(1)}, []byte{0x08, 0x03, 0x00, 0x02, 0x03, 0x01}},
	{"list nested", []any{[]any{}, []any{int64(-1)}}, []byte{0x08, 0x02, 0x08, 0x00, 0x08, 0x01, 0x04, 0x01}},

	{"map empty", map[string]any{}, []byte{0x09, 0x00}},
	{"map", map[string]any{"a": 1, "b": true}, []byte{0x09, 0x02, 0x01, 'a', 0x04, 0x02, 0x01, 'b', 0x02}},
	{"map empty key first", map[string]any{"b": nil, "": nil, "a": nil}, []byte{0x09, 0x03, 0x00, 0x00, 0x01, 'a', 0x00, 0x01, 'b', 0x00}},
	{"map keys in byte order", map[string]any{"z": nil, "é": nil, "B": nil}, []byte{0x09, 0x03, 0x01, 'B', 0x00, 0x01, 'z', 0x00, 0x02, 0xc3, 0xa9, 0x00}},
	{"map shorter key first", map[string]any{"ab": nil, "a": nil}, []byte{0x09, 0x02, 0x01, 'a', 0x00, 0x02, 'a', 'b', 0x00}},
	{"map nested", map[string]any{"l": []any{"x"}}, []byte{0x09, 0x01, 0x01, 'l', 0x08, 0x01, 0x07, 0x01, 'x'}},
}

func TestMarshal(t *testing.T) {
	for _, tt := range encodingTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)

			// Append appends behind what is there.
			prefix := []byte{0xaa, 0xbb}
			got, err = Append(prefix, tt.v)
			require.NoError(t, err)
			require.Equal(t, append([]byte{0xaa, 0xbb}, tt.want...), got)
		})
	}
}

func TestMarshalLongLength(t *testing.T) {
	v := make([]byte, 200)
	got, err := Marshal(v)
	require.NoError(t, err)
	require.Equal(t, []byte{0x06, 0xc8, 0x01}, got[:3])
	require.Len(t, got, 203)
}

func TestMarshalErrors(t *testing.T) {
	type point struct{ X int }
	cyclicList := []any{nil}
	cyclicList[0] = cyclicList
	cyclicMap := map[string]any{}
	cyclicMap["m"] = cyclicMap

	tests := []struct {
		name     string
		v        any
		want     error
		wantType reflect.Type // for *UnsupportedTypeError
	}{
		{"struct", point{1}, nil, reflect.TypeFor[point]()},
		{"pointer", new(int), nil, reflect.TypeFor[*int]()},
		{"string slice", []string{"a"}, nil, reflect.TypeFor[[]string]()},
		{"string map", map[string]string{"a": "b"}, nil, reflect.TypeFor[map[string]string]()},
		{"complex", complex(1, 2), nil, reflect.TypeFor[complex128]()},
		{"unsupported in list", []any{1, point{}}, nil, reflect.TypeFor[point]()},
		{"unsupported in map", map[string]any{"a": 1, "b": uintptr(1)}, nil, reflect.TypeFor[uintptr]()},
		{"invalid UTF-8 string", "a\xffb", ErrInvalidUTF8, nil},
		{"surrogate half", "\xed\xa0\x80", ErrInvalidUTF8, nil},
		{"invalid UTF-8 key", map[string]any{"\xc3": nil}, ErrInvalidUTF8, nil},
		{"invalid UTF-8 nested", []any{[]any{"\x80"}}, ErrInvalidUTF8, nil},
		{"33 lists", nest(33, nil), ErrTooDeep, nil},
		{"33 maps", nestMaps(33, nil), ErrTooDeep, nil},
		{"cyclic list", cyclicList, ErrTooDeep, nil},
		{"cyclic map", cyclicMap, ErrTooDeep, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xaa}
			got, err := Append(prefix, tt.v)
			require.Error(t, err)
			require.Equal(t, []byte{0xaa}, got, "Append must return b unchanged on error")
			if tt.wantType != nil {
				var ute *UnsupportedTypeError
				require.ErrorAs(t, err, &ute)
				require.Equal(t, tt.wantType, ute.Type)
				require.Contains(t, err.Error(), tt.wantType.String())
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestMarshalDepthLimit(t *testing.T) {
	for _, depth := range []int{1, 31, 32} {
		b, err := Marshal(nest(depth, nil))
		require.NoError(t, err, "depth %d", depth)
		require.Len(t, b, 2*depth+1)
		_, err = Marshal(nestMaps(depth, true))
		require.NoError(t, err, "depth %d", depth)
	}
	_, err := Encoder{MaxDepth: 2}.Marshal(nest(3, nil))
	require.ErrorIs(t, err, ErrTooDeep)
	_, err = Encoder{MaxDepth: 33}.Marshal(nest(33, nil))
	require.NoError(t, err)
}

func TestMarshalSizeLimit(t *testing.T) {
	_, err := Encoder{MaxSize: 10}.Marshal(make([]byte, 8)) // 10 bytes encoded
	require.NoError(t, err)
	got, err := Encoder{MaxSize: 10}.Append([]byte{1, 2, 3}, make([]byte, 9)) // 11
	require.ErrorIs(t, err, ErrTooLarge)
	require.Equal(t, []byte{1, 2, 3}, got)

	// The default limit is 16 MiB for the whole value, tag and length included.
	_, err = Marshal(make([]byte, DefaultMaxSize-5))
	require.NoError(t, err)
	_, err = Marshal(make([]byte, DefaultMaxSize-4))
	require.ErrorIs(t, err, ErrTooLarge)
}

// TestAppendAllocs shows that encoding into a buffer with room allocates
// nothing, maps of up to smallMap keys included.
func TestAppendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector adds allocations")
	}
	v := benchRecord()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = Append(buf[:0], v); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

// nest returns inner inside depth lists.
func nest(depth int, inner any) any {
	v := inner
	for range depth {
		v = []any{v}
	}
	return v
}

// nestMaps returns inner inside depth maps, each with the key "k".
func nestMaps(depth int, inner any) any {
	v := inner
	for range depth {
		v = map[string]any{"k": v}
	}
	return v
}
