package serial

import (
	"bytes"
	"math"
)

// Equal reports whether a and b are the same value of the serialization,
// that is whether they encode to the same bytes: int and int64 values are
// both signed integers, float32 and float64 both float64 (compared bit for
// bit, so a NaN equals the same NaN and 0 differs from -0), a nil []byte
// equals an empty one, and so on. It reports false when either holds a type
// Marshal does not accept, or nests deeper than 10000 levels.
func Equal(a, b any) bool {
	return equal(a, b, 0)
}

func equal(a, b any, depth int) bool {
	if depth > hardMaxDepth {
		return false
	}
	switch a := normalize(a).(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case uint64:
		bu, ok := normalize(b).(uint64)
		return ok && a == bu
	case int64:
		bi, ok := normalize(b).(int64)
		return ok && a == bi
	case float64:
		bf, ok := normalize(b).(float64)
		return ok && math.Float64bits(a) == math.Float64bits(bf)
	case []byte:
		bb, ok := b.([]byte)
		return ok && bytes.Equal(a, bb)
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !equal(a[i], bl[i], depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !equal(av, bv, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// normalize converts the integer and float types Marshal accepts to the
// types Unmarshal returns.
func normalize(v any) any {
	switch v := v.(type) {
	case uint:
		return uint64(v)
	case uint32:
		return uint64(v)
	case uint16:
		return uint64(v)
	case uint8:
		return uint64(v)
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	case int8:
		return int64(v)
	case float32:
		return float64(v)
	}
	return v
}
