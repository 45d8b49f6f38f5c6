package serial

import (
	"errors"
	"reflect"
	"strconv"
)

// Sentinel errors. Decoding wraps them in a *SyntaxError; encoding returns
// them wrapped with a description of the offending value.
var (
	// ErrTruncated means the input ended inside a value, or a length or
	// count claims more bytes than are left.
	ErrTruncated = errors.New("serial: truncated input")
	// ErrTrailing means bytes follow the top-level value.
	ErrTrailing = errors.New("serial: trailing bytes after value")
	// ErrTooDeep means lists and maps nest deeper than the depth limit.
	ErrTooDeep = errors.New("serial: nesting too deep")
	// ErrTooLarge means the encoded value exceeds the size limit.
	ErrTooLarge = errors.New("serial: value too large")
	// ErrNotCanonical means the input is not in canonical form: a
	// non-minimal varint, or map keys not in strictly ascending order
	// (duplicates included).
	ErrNotCanonical = errors.New("serial: not canonical")
	// ErrOverflow means a varint does not fit in 64 bits.
	ErrOverflow = errors.New("serial: integer overflows 64 bits")
	// ErrInvalidUTF8 means a string or map key is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("serial: invalid UTF-8")
	// ErrUnknownTag means a value starts with a tag byte §8 does not define.
	ErrUnknownTag = errors.New("serial: unknown tag")
)

// A SyntaxError is returned by Unmarshal for input that is not the canonical
// encoding of one value. Err is one of the sentinel errors.
type SyntaxError struct {
	// Offset is the index in the input of the item at fault: the tag,
	// varint, string or key that could not be decoded, or the first
	// trailing byte.
	Offset int
	Err    error
}

func (e *SyntaxError) Error() string {
	return e.Err.Error() + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap returns e.Err.
func (e *SyntaxError) Unwrap() error { return e.Err }

// An UnsupportedTypeError is returned by Marshal and Append for a value of a
// type the serialization does not map.
type UnsupportedTypeError struct {
	Type reflect.Type
}

func (e *UnsupportedTypeError) Error() string {
	return "serial: unsupported type " + e.Type.String()
}
