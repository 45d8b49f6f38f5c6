package ackhandler

import "fmt"

// A SendMode says what a sender may send now.
type SendMode uint8

const (
	// SendAny: the window and the pacer allow any packet.
	SendAny SendMode = iota + 1
	// SendAck: the congestion window is full (or too many packets are
	// tracked): only packets that are not ack-eliciting, such as ACKs.
	SendAck
	// SendPTO: a probe timeout fired; send an ack-eliciting probe packet
	// (new data, or data still unacknowledged, or a PING), even beyond
	// the congestion window and the pacer. Up to two are asked for;
	// SentPacket counts them down.
	SendPTO
	// SendPacingLimited: the pacer holds packets back until TimeUntilSend;
	// ACKs may still go.
	SendPacingLimited
)

func (m SendMode) String() string {
	switch m {
	case SendAny:
		return "any"
	case SendAck:
		return "ack"
	case SendPTO:
		return "pto"
	case SendPacingLimited:
		return "pacing limited"
	default:
		return fmt.Sprintf("invalid send mode %d", uint8(m))
	}
}
