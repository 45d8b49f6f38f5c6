package wire

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// Errors returned by this package. Packet-level functions (ParseType,
// Unmarshal, ParseDataHeader) return them as they are, without allocating;
// frame parsing wraps them in a *FrameError. Callers branch with errors.Is.
var (
	// ErrTruncated: a frame field, or a length it declares, overruns the input.
	ErrTruncated = errors.New("wire: truncated")
	// ErrBadVersion: the packet's version byte is not Version.
	ErrBadVersion = errors.New("wire: unsupported version")
	// ErrBadType: the packet type is unknown, or not the one expected.
	ErrBadType = errors.New("wire: wrong packet type")
	// ErrBadLength: the packet's size breaks the rule of its type.
	ErrBadLength = errors.New("wire: wrong packet length")
	// ErrReserved: the reserved bytes of the packet header are not zero.
	ErrReserved = errors.New("wire: reserved bytes set")
	// ErrUnknownFrame: a frame type below 0x80 that §5 does not list.
	ErrUnknownFrame = errors.New("wire: unknown frame type")
	// ErrInvalidFrame: a value out of range, too many ACK ranges, an ACK
	// range below zero, a CLOSE reason too long or not UTF-8.
	ErrInvalidFrame = errors.New("wire: invalid frame")
	// ErrNonMinimal: a varint longer than its value needs. It also matches
	// varint.ErrNonMinimal.
	ErrNonMinimal = fmt.Errorf("wire: %w", varint.ErrNonMinimal)

	// errOverflow is a varint above 2^64-1; it matches ErrInvalidFrame and
	// varint.ErrOverflow.
	errOverflow = fmt.Errorf("%w: %w", ErrInvalidFrame, varint.ErrOverflow)
)

// FrameError reports a frame that could not be parsed or appended: its type,
// what was wrong with it, and the sentinel error (Err) for errors.Is.
type FrameError struct {
	Type   FrameType
	Reason string
	Err    error
}

func (e *FrameError) Error() string {
	var b strings.Builder
	b.WriteString("wire: ")
	b.WriteString(e.Type.String())
	b.WriteString(" frame")
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "wire: "))
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *FrameError) Unwrap() error { return e.Err }

func frameError(typ FrameType, reason string, err error) error {
	return &FrameError{Type: typ, Reason: reason, Err: err}
}
