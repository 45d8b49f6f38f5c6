package congestion

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// A Controller decides how much a sender may have in flight and when its
// next packet may leave. Package ackhandler calls it as packets are sent,
// acknowledged and lost; *Cubic and *BBR implement it.
type Controller interface {
	// OnPacketSent is told of every packet sent, after bytesInFlight was
	// updated. isRetransmittable says whether the packet is ack-eliciting
	// (counts in bytes in flight); every packet spends pacing budget.
	OnPacketSent(now time.Time, bytesInFlight wire.ByteCount, pn wire.PacketNumber, bytes wire.ByteCount, isRetransmittable bool)
	// CanSend reports whether the window has room beyond bytesInFlight.
	CanSend(bytesInFlight wire.ByteCount) bool
	// OnPacketAcked is told of each newly acknowledged in-flight packet, in
	// ascending packet number order, after the losses the same ACK
	// revealed. priorInFlight is the bytes in flight before the ACK.
	OnPacketAcked(pn wire.PacketNumber, ackedBytes, priorInFlight wire.ByteCount, eventTime time.Time)
	// OnCongestionEvent is told of each in-flight packet declared lost.
	// Cubic reduces its window once per recovery period (losses of packets
	// sent before the current recovery period began do not reduce it
	// again); BBR does not reduce it.
	OnCongestionEvent(pn wire.PacketNumber, lostBytes, priorInFlight wire.ByteCount)
	// OnRetransmissionTimeout is told that the probe timeout fired.
	// packetsRetransmitted true asks for the classic RTO response (window
	// to the minimum, ssthresh halved); package ackhandler passes false,
	// because under RFC 9002 §6.2 a PTO says nothing about loss.
	OnRetransmissionTimeout(packetsRetransmitted bool)
	// OnPersistentCongestion is told that persistent congestion was
	// established (RFC 9002 §7.6): the window collapses to the minimum.
	OnPersistentCongestion()
	// TimeUntilSend returns when the pacer lets the next packet go; the
	// zero time means at once.
	TimeUntilSend(bytesInFlight wire.ByteCount) time.Time
	// HasPacingBudget reports whether the pacer lets a full-sized packet go
	// at now.
	HasPacingBudget(now time.Time) bool
	// GetCongestionWindow returns the congestion window in bytes.
	GetCongestionWindow() wire.ByteCount
	// InSlowStart reports whether the controller is in slow start: for
	// Cubic, the window is below ssthresh; for BBR, Startup.
	InSlowStart() bool
	// InRecovery reports whether a recovery period is under way: a loss
	// (for BBR, only persistent congestion) reduced the window and no
	// packet sent since has been acknowledged.
	InRecovery() bool
	// SetMaxDatagramSize sets the largest datagram the path carries, which
	// scales the minimum and initial windows, the window growth and the
	// pacer's burst.
	SetMaxDatagramSize(wire.ByteCount)
}
