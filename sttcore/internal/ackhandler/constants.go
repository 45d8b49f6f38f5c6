package ackhandler

import "time"

// Specification constants (RFC 9002, RFC 9000), under the RFCs' names.
const (
	// PacketThreshold is kPacketThreshold (RFC 9002 §6.1.1): a packet is
	// lost once a packet sent this many packet numbers later is
	// acknowledged.
	PacketThreshold = 3
	// MaxPacketThreshold caps the adaptive packet threshold: reordering
	// deeper than this is taken for loss.
	MaxPacketThreshold = 32
	// timeThresholdNum/timeThresholdDen is kTimeThreshold (RFC 9002
	// §6.1.2): a packet is lost once it is older than 9/8 of
	// max(smoothed_rtt, latest_rtt) and a later one was acknowledged.
	timeThresholdNum, timeThresholdDen = 9, 8
	// persistentCongestionThreshold is kPersistentCongestionThreshold
	// (RFC 9002 §7.6.1), in PTO periods.
	persistentCongestionThreshold = 3
	// MaxAckDelay is the max_ack_delay (RFC 9000 §13.2.1) this receiver
	// keeps to: an ack-eliciting packet is acknowledged at the latest this
	// long after it arrived. It matches congestion.DefaultMaxAckDelay, the
	// value a sender assumes of its peer.
	MaxAckDelay = 25 * time.Millisecond
	// packetsBeforeAck: an ACK is sent at least after every second
	// ack-eliciting packet (RFC 9000 §13.2.2).
	packetsBeforeAck = 2
)

// Implementation constants.
const (
	// maxPTODuration truncates the backed-off probe timeout, as RFC 8961
	// §4.4 allows.
	maxPTODuration = 60 * time.Second
	// probePackets is how many probe packets a PTO asks for (RFC 9002 §6.2.4
	// allows one or two; two make a single loss less likely to cost another
	// timeout).
	probePackets = 2
	// maxTrackedPackets bounds the sent packets a SentPacketHandler keeps,
	// holes included: past it, SendMode allows only packets it need not
	// track. It is twice the largest congestion window, as in quic-go.
	maxTrackedPackets = 20000
)
