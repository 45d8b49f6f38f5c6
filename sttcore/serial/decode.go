package serial

import (
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf8"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// Unmarshal decodes b, which must hold exactly one encoded value, under the
// default limits. See Decoder.Unmarshal.
func Unmarshal(b []byte) (any, error) {
	return Decoder{}.Unmarshal(b)
}

// A Decoder decodes values under limits of its own. Its zero value enforces
// the specification's limits.
type Decoder struct {
	// MaxDepth is the deepest nesting of lists and maps accepted. If zero
	// (or negative), it is DefaultMaxDepth. Values above 10000 are
	// treated as 10000.
	MaxDepth int
	// MaxSize is the longest input accepted, in bytes. If zero (or
	// negative), it is DefaultMaxSize.
	MaxSize int
}

// Unmarshal decodes b, which must hold exactly one value in canonical
// encoding, into the types listed in the package documentation. Bytes and
// strings are copied: the result does not alias b.
//
// Every error is a *SyntaxError wrapping ErrTruncated, ErrTrailing,
// ErrTooDeep, ErrTooLarge, ErrNotCanonical, ErrOverflow, ErrInvalidUTF8 or
// ErrUnknownTag. A length or count is checked against the bytes left before
// anything is allocated for it, taking into account the smallest encoding of
// every element still expected, so the memory used is proportional to
// len(b) whatever the input claims.
func (d Decoder) Unmarshal(b []byte) (any, error) {
	maxDepth, maxSize := limits(d.MaxDepth, d.MaxSize)
	if len(b) > maxSize {
		return nil, &SyntaxError{Offset: maxSize, Err: ErrTooLarge}
	}
	s := decodeState{b: b, maxDepth: maxDepth}
	v, err := s.value(0, 0)
	if err != nil {
		return nil, err
	}
	if s.pos != len(b) {
		return nil, &SyntaxError{Offset: s.pos, Err: ErrTrailing}
	}
	return v, nil
}

// decodeState is one decoding pass over b.
type decodeState struct {
	b        []byte
	pos      int // offset of the next byte to read
	maxDepth int
}

// value decodes the value at s.pos, found at the given depth (the number of
// lists and maps around it). need is the number of bytes that must be left
// after it: the smallest encodings of the elements the enclosing lists and
// maps still expect.
func (s *decodeState) value(depth, need int) (any, error) {
	start := s.pos
	if start >= len(s.b) {
		return nil, &SyntaxError{Offset: start, Err: ErrTruncated}
	}
	s.pos++
	switch tag := s.b[start]; tag {
	case tagNull:
		return nil, nil
	case tagFalse:
		return false, nil
	case tagTrue:
		return true, nil
	case tagUnsigned:
		u, err := s.uvarint()
		if err != nil {
			return nil, err
		}
		return u, nil
	case tagSigned:
		u, err := s.uvarint()
		if err != nil {
			return nil, err
		}
		return int64(u>>1) ^ -int64(u&1), nil
	case tagFloat64:
		if len(s.b)-s.pos < 8 {
			return nil, &SyntaxError{Offset: s.pos, Err: ErrTruncated}
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(s.b[s.pos:]))
		s.pos += 8
		return f, nil
	case tagBytes:
		n, err := s.count(need, 1)
		if err != nil {
			return nil, err
		}
		v := make([]byte, n)
		s.pos += copy(v, s.b[s.pos:])
		return v, nil
	case tagString:
		n, err := s.count(need, 1)
		if err != nil {
			return nil, err
		}
		body := s.b[s.pos : s.pos+n]
		if !utf8.Valid(body) {
			return nil, &SyntaxError{Offset: s.pos, Err: ErrInvalidUTF8}
		}
		s.pos += n
		return string(body), nil
	case tagList:
		if depth >= s.maxDepth {
			return nil, &SyntaxError{Offset: start, Err: ErrTooDeep}
		}
		return s.list(depth+1, need)
	case tagMap:
		if depth >= s.maxDepth {
			return nil, &SyntaxError{Offset: start, Err: ErrTooDeep}
		}
		return s.dict(depth+1, need)
	default:
		return nil, &SyntaxError{Offset: start, Err: ErrUnknownTag}
	}
}

// list decodes the body of a list whose elements are at the given depth.
func (s *decodeState) list(depth, need int) (any, error) {
	n, err := s.count(need, minValueLen)
	if err != nil {
		return nil, err
	}
	l := make([]any, n)
	for i := range l {
		if l[i], err = s.value(depth, need+(n-1-i)*minValueLen); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// dict decodes the body of a map whose values are at the given depth.
func (s *decodeState) dict(depth, need int) (any, error) {
	n, err := s.count(need, minEntryLen)
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, n)
	var prev string
	for i := range n {
		// After this entry's key come its value and the other entries.
		after := need + (n-1-i)*minEntryLen
		keyStart := s.pos
		kn, err := s.count(after+minValueLen, 1)
		if err != nil {
			return nil, err
		}
		kb := s.b[s.pos : s.pos+kn]
		if i > 0 && string(kb) <= prev {
			return nil, &SyntaxError{Offset: keyStart, Err: ErrNotCanonical}
		}
		if !utf8.Valid(kb) {
			return nil, &SyntaxError{Offset: s.pos, Err: ErrInvalidUTF8}
		}
		s.pos += kn
		key := string(kb)
		v, err := s.value(depth, after)
		if err != nil {
			return nil, err
		}
		m[key] = v
		prev = key
	}
	return m, nil
}

// count reads the varint length or count at s.pos of something whose units
// take at least unit bytes each, and checks that they fit in the bytes left
// with need bytes to spare.
func (s *decodeState) count(need, unit int) (int, error) {
	start := s.pos
	u, err := s.uvarint()
	if err != nil {
		return 0, err
	}
	avail := len(s.b) - s.pos - need
	if avail < 0 || u > uint64(avail/unit) {
		return 0, &SyntaxError{Offset: start, Err: ErrTruncated}
	}
	return int(u), nil
}

// uvarint reads the varint at s.pos.
func (s *decodeState) uvarint() (uint64, error) {
	u, n, err := varint.Parse(s.b[s.pos:])
	if err != nil {
		switch {
		case errors.Is(err, varint.ErrNonMinimal):
			err = ErrNotCanonical
		case errors.Is(err, varint.ErrOverflow):
			err = ErrOverflow
		default:
			err = ErrTruncated
		}
		return 0, &SyntaxError{Offset: s.pos, Err: err}
	}
	s.pos += n
	return u, nil
}
