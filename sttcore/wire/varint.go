package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// parseVarint is varint.Parse with this package's errors: ErrTruncated,
// ErrNonMinimal, or an ErrInvalidFrame for a value above 2^64-1.
func parseVarint(b []byte) (uint64, int, error) {
	v, n, err := varint.Parse(b)
	if err != nil {
		switch err {
		case varint.ErrTruncated:
			return 0, 0, ErrTruncated
		case varint.ErrNonMinimal:
			return 0, 0, ErrNonMinimal
		default:
			return 0, 0, errOverflow
		}
	}
	return v, n, nil
}

// parseVarint62 parses a varint that must be at most MaxVarint62; field
// names it in the error.
func parseVarint62(b []byte, typ FrameType, field string) (uint64, int, error) {
	v, n, err := parseVarint(b)
	if err != nil {
		return 0, 0, frameError(typ, field, err)
	}
	if v > MaxVarint62 {
		return 0, 0, frameError(typ, field+" is 2^62 or more", ErrInvalidFrame)
	}
	return v, n, nil
}

// parseLength parses a length field and checks it against the bytes left
// after it. It returns the length and the size of the field.
func parseLength(b []byte, typ FrameType, field string) (int, int, error) {
	v, n, err := parseVarint(b)
	if err != nil {
		return 0, 0, frameError(typ, field, err)
	}
	if v > uint64(len(b)-n) {
		return 0, 0, frameError(typ, field+" overruns the plaintext", ErrTruncated)
	}
	return int(v), n, nil
}

// check62 returns an error for a field Append cannot write.
func check62(v uint64, typ FrameType, field string) error {
	if v > MaxVarint62 {
		return frameError(typ, field+" is 2^62 or more", ErrInvalidFrame)
	}
	return nil
}
