package sttcore

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// StreamError is returned by a stream's Read or Write after the stream was
// cancelled: by the peer (RESET_STREAM or STOP_SENDING) or locally
// (CancelRead, CancelWrite).
type StreamError struct {
	StreamID  wire.StreamID
	ErrorCode wire.ErrorCode
	Remote    bool
}

func (e *StreamError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	return fmt.Sprintf("sttcore: stream %d cancelled by %s with code %d", e.StreamID, who, e.ErrorCode)
}

// Is matches a StreamError with the same fields.
func (e *StreamError) Is(target error) bool {
	t, ok := target.(*StreamError)
	return ok && *t == *e
}

var (
	// ErrStreamLimit is returned by OpenStreamNow when the peer allows no
	// more streams for now; OpenStream waits instead.
	ErrStreamLimit = errors.New("sttcore: stream limit reached")
	// ErrPeerRestarted is the error of every stream of a session whose peer
	// restarted (a fresh handshake from it): its state is gone.
	ErrPeerRestarted = errors.New("sttcore: peer restarted; its streams are gone")
	// errWriteClosed is returned by Write after Close or CloseWrite.
	errWriteClosed = fmt.Errorf("sttcore: write on closed stream: %w", net.ErrClosed)
	// errReadClosed is returned by Read after Close.
	errReadClosed = fmt.Errorf("sttcore: read on closed stream: %w", net.ErrClosed)
)

// deadlineError is the error of a Read or Write whose deadline passed: a
// net.Error with Timeout() true that unwraps to os.ErrDeadlineExceeded, as
// net.Conn requires.
type deadlineError struct{}

func (deadlineError) Error() string   { return "sttcore: i/o timeout" }
func (deadlineError) Timeout() bool   { return true }
func (deadlineError) Temporary() bool { return true }
func (deadlineError) Unwrap() error   { return os.ErrDeadlineExceeded }

var _ net.Error = deadlineError{}
