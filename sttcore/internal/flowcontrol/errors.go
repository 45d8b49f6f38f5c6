package flowcontrol

import (
	"errors"
	"fmt"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Sentinel errors that an [*Error] matches with errors.Is.
var (
	// ErrFlowControl matches both limit violations, ErrStreamLimit and
	// ErrConnectionLimit: the peer sent beyond the credit it was given.
	ErrFlowControl = errors.New("flowcontrol: flow control limit exceeded")
	// ErrStreamLimit: the peer sent beyond a stream's credit.
	ErrStreamLimit = errors.New("flowcontrol: stream flow control limit exceeded")
	// ErrConnectionLimit: the peer sent beyond the session's credit.
	ErrConnectionLimit = errors.New("flowcontrol: session flow control limit exceeded")
	// ErrFinalSize: the peer changed a stream's final size or sent past it.
	ErrFinalSize = errors.New("flowcontrol: final size violated")
)

// ErrorKind says which rule the peer broke.
type ErrorKind uint8

// The kinds of [Error].
const (
	// StreamLimit: data beyond the stream's MAX_STREAM_DATA credit.
	StreamLimit ErrorKind = iota + 1
	// ConnectionLimit: data beyond the session's MAX_DATA credit.
	ConnectionLimit
	// FinalSize: a final size that differs from the one known, that is
	// below data already received, or data beyond the final size.
	FinalSize
)

// String names the kind.
func (k ErrorKind) String() string {
	switch k {
	case StreamLimit:
		return "stream limit"
	case ConnectionLimit:
		return "connection limit"
	case FinalSize:
		return "final size"
	default:
		return fmt.Sprintf("ErrorKind(%d)", uint8(k))
	}
}

// Error is the error [Stream.UpdateHighestReceived] returns when the peer
// breaks flow control. The call that returns it has changed no state.
type Error struct {
	Kind ErrorKind
	// Limit is the credit given (StreamLimit: the stream's, ConnectionLimit:
	// the session's) or, for FinalSize, the final size already known or, if
	// none was, the highest offset already received.
	Limit wire.ByteCount
	// Offset is what the peer sent: the end offset of the stream data
	// (StreamLimit, FinalSize) or the session's total of stream bytes that
	// it would amount to (ConnectionLimit).
	Offset wire.ByteCount
}

// Error says which limit was broken and by how much.
func (e *Error) Error() string {
	switch e.Kind {
	case StreamLimit:
		return fmt.Sprintf("flowcontrol: peer sent stream data up to offset %d, beyond the stream credit of %d", e.Offset, e.Limit)
	case ConnectionLimit:
		return fmt.Sprintf("flowcontrol: peer sent %d bytes on the session, beyond the session credit of %d", e.Offset, e.Limit)
	case FinalSize:
		if e.Offset > e.Limit {
			return fmt.Sprintf("flowcontrol: peer sent stream data up to offset %d, beyond the final size %d", e.Offset, e.Limit)
		}
		return fmt.Sprintf("flowcontrol: peer gave final size %d, which conflicts with %d already known", e.Offset, e.Limit)
	default:
		return fmt.Sprintf("flowcontrol: %v violated at offset %d (limit %d)", e.Kind, e.Offset, e.Limit)
	}
}

// Is reports whether target is the sentinel of e's kind, or ErrFlowControl
// for either limit.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrFlowControl:
		return e.Kind == StreamLimit || e.Kind == ConnectionLimit
	case ErrStreamLimit:
		return e.Kind == StreamLimit
	case ErrConnectionLimit:
		return e.Kind == ConnectionLimit
	case ErrFinalSize:
		return e.Kind == FinalSize
	}
	return false
}
