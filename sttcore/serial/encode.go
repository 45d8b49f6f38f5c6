package serial

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"unicode/utf8"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// Marshal returns the encoding of v under the default limits. See the
// package documentation for the types it accepts.
func Marshal(v any) ([]byte, error) {
	return Encoder{}.Append(nil, v)
}

// Append appends the encoding of v to b under the default limits and returns
// the extended slice. On error it returns b unchanged.
func Append(b []byte, v any) ([]byte, error) {
	return Encoder{}.Append(b, v)
}

// An Encoder encodes values under limits of its own. Its zero value uses the
// specification's limits, the same a zero Decoder enforces.
type Encoder struct {
	// MaxDepth is the deepest nesting of lists and maps allowed. If zero
	// (or negative), it is DefaultMaxDepth. Values above 10000 are
	// treated as 10000.
	MaxDepth int
	// MaxSize is the largest encoding allowed, in bytes. If zero (or
	// negative), it is DefaultMaxSize.
	MaxSize int
}

// Marshal returns the encoding of v.
func (e Encoder) Marshal(v any) ([]byte, error) {
	return e.Append(nil, v)
}

// Append appends the encoding of v to b and returns the extended slice. It
// returns an *UnsupportedTypeError for a value of a type outside the
// mapping, ErrInvalidUTF8 for a string or map key that is not valid UTF-8,
// ErrTooDeep for lists and maps nested deeper than MaxDepth (a cyclic value
// included) and ErrTooLarge for an encoding longer than MaxSize. On error it
// returns b unchanged.
func (e Encoder) Append(b []byte, v any) ([]byte, error) {
	maxDepth, maxSize := limits(e.MaxDepth, e.MaxSize)
	out, err := appendValue(b, v, 0, maxDepth)
	if err != nil {
		return b, err
	}
	if n := len(out) - len(b); n > maxSize {
		return b, fmt.Errorf("%w: encoding takes %d bytes, limit %d", ErrTooLarge, n, maxSize)
	}
	return out, nil
}

// appendValue appends the encoding of v, found at the given depth.
func appendValue(b []byte, v any, depth, maxDepth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case bool:
		if v {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case uint64:
		return appendUnsigned(b, v), nil
	case uint:
		return appendUnsigned(b, uint64(v)), nil
	case uint32:
		return appendUnsigned(b, uint64(v)), nil
	case uint16:
		return appendUnsigned(b, uint64(v)), nil
	case uint8:
		return appendUnsigned(b, uint64(v)), nil
	case int64:
		return appendSigned(b, v), nil
	case int:
		return appendSigned(b, int64(v)), nil
	case int32:
		return appendSigned(b, int64(v)), nil
	case int16:
		return appendSigned(b, int64(v)), nil
	case int8:
		return appendSigned(b, int64(v)), nil
	case float64:
		return appendFloat64(b, v), nil
	case float32:
		return appendFloat64(b, float64(v)), nil
	case []byte:
		b = append(b, tagBytes)
		b = varint.Append(b, uint64(len(v)))
		return append(b, v...), nil
	case string:
		if !utf8.ValidString(v) {
			return b, fmt.Errorf("%w in a string of %d bytes", ErrInvalidUTF8, len(v))
		}
		b = append(b, tagString)
		b = varint.Append(b, uint64(len(v)))
		return append(b, v...), nil
	case []any:
		if depth >= maxDepth {
			return b, fmt.Errorf("%w: a list below depth %d", ErrTooDeep, maxDepth)
		}
		return appendList(b, v, depth+1, maxDepth)
	case map[string]any:
		if depth >= maxDepth {
			return b, fmt.Errorf("%w: a map below depth %d", ErrTooDeep, maxDepth)
		}
		return appendMap(b, v, depth+1, maxDepth)
	default:
		return b, &UnsupportedTypeError{Type: reflect.TypeOf(v)}
	}
}

func appendUnsigned(b []byte, v uint64) []byte {
	return varint.Append(append(b, tagUnsigned), v)
}

// appendSigned writes v in zigzag form, so that small magnitudes of either
// sign take few bytes: 0, -1, 1, -2, … become 0, 1, 2, 3, ….
func appendSigned(b []byte, v int64) []byte {
	return varint.Append(append(b, tagSigned), uint64(v<<1)^uint64(v>>63))
}

func appendFloat64(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, tagFloat64), math.Float64bits(v))
}

// appendList appends list l, whose elements are at the given depth.
func appendList(b []byte, l []any, depth, maxDepth int) ([]byte, error) {
	b = append(b, tagList)
	b = varint.Append(b, uint64(len(l)))
	for _, e := range l {
		var err error
		if b, err = appendValue(b, e, depth, maxDepth); err != nil {
			return b, err
		}
	}
	return b, nil
}

type entry struct {
	key string
	val any
}

// smallMap is the number of entries appendMap sorts without allocating.
const smallMap = 16

// appendMap appends map m, whose values are at the given depth, with its
// keys in ascending byte order.
func appendMap(b []byte, m map[string]any, depth, maxDepth int) ([]byte, error) {
	var small [smallMap]entry
	entries := small[:0]
	if len(m) > smallMap {
		entries = make([]entry, 0, len(m))
	}
	for k, v := range m {
		entries = append(entries, entry{k, v})
	}
	slices.SortFunc(entries, func(x, y entry) int { return cmp.Compare(x.key, y.key) })

	b = append(b, tagMap)
	b = varint.Append(b, uint64(len(entries)))
	for _, e := range entries {
		if !utf8.ValidString(e.key) {
			return b, fmt.Errorf("%w in a map key of %d bytes", ErrInvalidUTF8, len(e.key))
		}
		b = varint.Append(b, uint64(len(e.key)))
		b = append(b, e.key...)
		var err error
		if b, err = appendValue(b, e.val, depth, maxDepth); err != nil {
			return b, err
		}
	}
	return b, nil
}
