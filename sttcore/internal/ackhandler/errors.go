package ackhandler

import "errors"

// Errors ReceivedAck returns, wrapped with the offending values. Either one
// is a protocol violation by the peer.
var (
	// ErrInvalidAck: the ACK frame has no ranges, or ranges that are not
	// descending and separated by gaps (what wire's parser guarantees).
	ErrInvalidAck = errors.New("ackhandler: invalid ACK frame")
	// ErrUnsentPacketAcked: the ACK acknowledges a packet number above the
	// largest ever sent.
	ErrUnsentPacketAcked = errors.New("ackhandler: ACK for a packet never sent")
)
