package ackhandler

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

type packetState uint8

const (
	stateOutstanding packetState = iota
	stateAcked
	stateLost
)

// sentPacket is the record of one tracked packet. Records are values in the
// history's ring and are reused, frames slice included, as the ring wraps:
// that is the pool of sent-packet records.
type sentPacket struct {
	frames       []Frame
	sendTime     time.Time
	pn           wire.PacketNumber
	size         wire.ByteCount
	ackEliciting bool // in flight while outstanding
	state        packetState
}

// release drops the references to the packet's frames, keeping the storage.
func (p *sentPacket) release() {
	clear(p.frames)
	p.frames = p.frames[:0]
}

// sentPacketHistory holds the tracked packets in ascending packet number
// order in a ring buffer. A packet acknowledged or declared lost stays in its
// slot, as a hole that remembers its fate, until every slot before it is a
// hole too; then the front is trimmed. Holes let loss detection see which
// packets between two lost ones were acknowledged (persistent congestion).
type sentPacketHistory struct {
	ring []sentPacket // length a power of two, or zero
	head int          // slot of the oldest packet
	n    int          // slots in use, holes included

	outstanding             int // slots in stateOutstanding
	ackElicitingOutstanding int // of those, the ack-eliciting ones
}

const initialHistorySize = 64

func (h *sentPacketHistory) len() int { return h.n }

// at returns the i-th oldest slot, 0 ≤ i < len().
func (h *sentPacketHistory) at(i int) *sentPacket {
	return &h.ring[(h.head+i)&(len(h.ring)-1)]
}

// push appends a slot for a packet with a larger number than any before and
// returns it, its frames emptied but their storage kept.
func (h *sentPacketHistory) push() *sentPacket {
	if h.n == len(h.ring) {
		h.grow()
	}
	p := h.at(h.n)
	h.n++
	return p
}

func (h *sentPacketHistory) grow() {
	size := max(2*len(h.ring), initialHistorySize)
	ring := make([]sentPacket, size)
	for i := range h.n { // the ring is full: every slot is in use
		ring[i] = *h.at(i)
	}
	h.ring, h.head = ring, 0
}

// search returns the index of the first slot at or after from whose packet
// number is at least pn, or len() if there is none.
func (h *sentPacketHistory) search(from int, pn wire.PacketNumber) int {
	lo, hi := from, h.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if h.at(m).pn < pn {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// add records a new outstanding packet.
func (h *sentPacketHistory) add(now time.Time, pn wire.PacketNumber, size wire.ByteCount, ackEliciting bool, frames []Frame) {
	p := h.push()
	p.frames = append(p.frames[:0], frames...)
	p.sendTime = now
	p.pn = pn
	p.size = size
	p.ackEliciting = ackEliciting
	p.state = stateOutstanding
	h.outstanding++
	if ackEliciting {
		h.ackElicitingOutstanding++
	}
}

// resolve marks an outstanding packet acknowledged or lost.
func (h *sentPacketHistory) resolve(p *sentPacket, s packetState) {
	p.state = s
	h.outstanding--
	if p.ackEliciting {
		h.ackElicitingOutstanding--
	}
}

// trimFront drops the holes at the front: acknowledged packets, and lost
// ones sent before keepLostAfter (later ones stay a while, so that an ACK
// that shows them only reordered can be recognised).
func (h *sentPacketHistory) trimFront(keepLostAfter time.Time) {
	for h.n > 0 {
		p := h.at(0)
		if p.state == stateOutstanding || (p.state == stateLost && p.sendTime.After(keepLostAfter)) {
			return
		}
		p.release()
		h.head = (h.head + 1) & (len(h.ring) - 1)
		h.n--
	}
}
