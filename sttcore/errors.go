package sttcore

import (
	"errors"
	"fmt"
	"net"

	"github.com/seigr/stt-tun/sttcore/wire"
)

var (
	// ErrNodeClosed is returned by a Node's methods after Close. It wraps net.ErrClosed.
	ErrNodeClosed = fmt.Errorf("sttcore: node closed: %w", net.ErrClosed)
	// ErrHandshakeTimeout is the cause of a session whose handshake got no
	// answer within RekeyAttemptTime.
	ErrHandshakeTimeout = errors.New("sttcore: handshake timed out")
	// ErrIdleTimeout is the cause of a session closed after IdleTimeout of silence.
	ErrIdleTimeout = errors.New("sttcore: session idle timeout")
	// ErrDatagramTooLarge is returned by SendDatagram for data larger than
	// Session.MaxDatagramSize.
	ErrDatagramTooLarge = errors.New("sttcore: datagram too large")
	// ErrSelf is returned by Dial with the node's own public key.
	ErrSelf = errors.New("sttcore: cannot dial own public key")
	// ErrCounterExhausted is the cause of a session that sent 2^64 − 2^13
	// packets: its packet counter, the AEAD nonce, may not wrap.
	ErrCounterExhausted = errors.New("sttcore: session packet counter exhausted")
	// ErrAcceptBacklog is logged when a new session is refused because the
	// Accept backlog is full.
	ErrAcceptBacklog = errors.New("sttcore: accept backlog full")
)

// Error codes of CLOSE frames that the stack itself sends.
const (
	// ErrCodeProtocolViolation: the peer broke the protocol (a flow-control
	// or stream-limit violation, an invalid acknowledgement).
	ErrCodeProtocolViolation wire.ErrorCode = 0x0a
)

// CloseError is the cause of a session that was closed by one side on
// purpose. It wraps net.ErrClosed, so errors.Is(err, net.ErrClosed) holds
// for every error a closed session returns.
type CloseError struct {
	// Remote is true when the peer closed the session.
	Remote bool
	// Code and Reason are those given to CloseWithError.
	Code   wire.ErrorCode
	Reason string
}

func (e *CloseError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	if e.Reason == "" {
		return fmt.Sprintf("sttcore: session closed by %s (code %d)", who, e.Code)
	}
	return fmt.Sprintf("sttcore: session closed by %s (code %d): %s", who, e.Code, e.Reason)
}

// Unwrap returns net.ErrClosed.
func (e *CloseError) Unwrap() error { return net.ErrClosed }

// Is reports whether target is a CloseError with the same fields.
func (e *CloseError) Is(target error) bool {
	t, ok := target.(*CloseError)
	return ok && *t == *e
}

// closedError wraps the cause of a session's end so that it also matches
// net.ErrClosed, unless it already does.
func closedError(cause error) error {
	if cause == nil || errors.Is(cause, net.ErrClosed) {
		return cause
	}
	return fmt.Errorf("%w (%w)", net.ErrClosed, cause)
}
