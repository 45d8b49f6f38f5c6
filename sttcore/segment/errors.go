package segment

import (
	"errors"
	"strconv"
)

// Sentinel errors. Decoding wraps them in a *FormatError; an Encoder returns
// them wrapped with a description.
var (
	// ErrIntegrity means the end marker's sum does not match the bytes
	// received: the payload or its header was altered, or the two sides use
	// different keys.
	ErrIntegrity = errors.New("segment: end marker does not match the payload (corrupted, or a different key)")
	// ErrSizeMismatch means the payload is longer or shorter than the size
	// its header declares.
	ErrSizeMismatch = errors.New("segment: payload length differs from the declared size")
	// ErrSegmentTooLarge means a segment length exceeds the header's chunk
	// size, or the header segment exceeds MaxHeaderSize.
	ErrSegmentTooLarge = errors.New("segment: segment too large")
	// ErrTooLarge means the payload exceeds the receiver's Options.MaxSize.
	ErrTooLarge = errors.New("segment: payload exceeds the size limit")
	// ErrHeader means the header is not a valid header map, or an Encoder
	// was given a header that cannot be encoded.
	ErrHeader = errors.New("segment: invalid header")
	// ErrChunkSize means Options.ChunkSize is negative or above MaxChunkSize.
	ErrChunkSize = errors.New("segment: chunk size out of range")
	// ErrKeySize means Options.Key is longer than MaxKeySize bytes.
	ErrKeySize = errors.New("segment: key longer than 32 bytes")
	// ErrClosed means Write or Flush was called on a closed Encoder.
	ErrClosed = errors.New("segment: encoder closed")
)

// A FormatError reports a segment stream that cannot be accepted. Err is
// io.ErrUnexpectedEOF, one of the sentinels ErrIntegrity, ErrSizeMismatch,
// ErrSegmentTooLarge, ErrTooLarge or ErrHeader (possibly wrapped with
// details), or a varint error.
type FormatError struct {
	// Offset is the byte offset in the stream of the item at fault: the
	// length of the offending segment, the end marker's sum, or where the
	// stream ended early.
	Offset int64
	Err    error
}

func (e *FormatError) Error() string {
	return e.Err.Error() + " at offset " + strconv.FormatInt(e.Offset, 10)
}

// Unwrap returns e.Err.
func (e *FormatError) Unwrap() error { return e.Err }
