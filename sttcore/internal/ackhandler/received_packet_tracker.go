package ackhandler

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// ReceivedPacketTracker is the receiving side: it remembers which packet
// numbers arrived, as ranges, decides when an ACK is due (RFC 9000 §13.2),
// and builds the ACK frames.
//
// It keeps at most wire.MaxAckRanges ranges; when a gap would make one more,
// the lowest range is forgotten, and with it every packet number below its
// top: packets arriving there later are neither recorded nor acknowledged
// (a sender copes: they are old, and their acknowledgment was sent before
// or they count as lost). So an ACK frame never omits a packet received
// above its lowest range.
//
// An ACK is due at once after the second ack-eliciting packet since the last
// ACK, and after an ack-eliciting packet that arrived out of order: below
// one received before it, or above the largest ack-eliciting one with a
// packet missing in between. Otherwise it is due MaxAckDelay after the
// first ack-eliciting packet it acknowledges. Packets that are not
// ack-eliciting never make an ACK due; they are acknowledged with the next.
type ReceivedPacketTracker struct {
	ranges []wire.AckRange // ascending; at most wire.MaxAckRanges

	ignoreBelow    wire.PacketNumber // set by IgnoreBelow
	forgottenBelow wire.PacketNumber // below the last range dropped for room

	largest         wire.PacketNumber // largest received
	largestRcvdTime time.Time
	receivedAny     bool

	largestAckEliciting wire.PacketNumber
	ackElicitingAny     bool

	ackElicitingSinceAck int
	newAckEliciting      bool      // an ack-eliciting packet arrived since the last ACK
	ackAlarm             time.Time // when the ACK is due; zero if none is

	ack wire.AckFrame
}

// NewReceivedPacketTracker returns a tracker with room for wire.MaxAckRanges
// ranges, so that it does not allocate again. The zero value works too, but
// allocates as ranges are added.
func NewReceivedPacketTracker() *ReceivedPacketTracker {
	return &ReceivedPacketTracker{
		ranges: make([]wire.AckRange, 0, wire.MaxAckRanges+1),
		ack:    wire.AckFrame{AckRanges: make([]wire.AckRange, 0, wire.MaxAckRanges)},
	}
}

// ReceivedPacket records packet pn, received at now. It reports duplicate if
// the packet was received before, or lies below IgnoreBelow; a duplicate
// changes nothing. A packet below a range forgotten for room is not known to
// be a duplicate: it is reported new, but not recorded.
func (t *ReceivedPacketTracker) ReceivedPacket(pn wire.PacketNumber, now time.Time, ackEliciting bool) (duplicate bool) {
	if pn < t.ignoreBelow {
		return true
	}
	if pn < t.forgottenBelow {
		return false
	}
	idx, isNew := t.insert(pn)
	if !isNew {
		return true
	}
	if !t.receivedAny || pn > t.largest {
		t.largest, t.largestRcvdTime, t.receivedAny = pn, now, true
	}
	if !ackEliciting {
		return false
	}
	// Out of order (RFC 9000 §13.2.1): below an ack-eliciting packet
	// already received, or above the largest with a gap in between.
	outOfOrder := false
	if t.ackElicitingAny {
		if pn < t.largestAckEliciting {
			outOfOrder = true
		} else if idx < 0 || t.ranges[idx].Smallest > t.largestAckEliciting+1 {
			outOfOrder = true
		}
	}
	if !t.ackElicitingAny || pn > t.largestAckEliciting {
		t.largestAckEliciting, t.ackElicitingAny = pn, true
	}
	t.newAckEliciting = true
	t.ackElicitingSinceAck++
	switch {
	case outOfOrder || t.ackElicitingSinceAck >= packetsBeforeAck:
		if t.ackAlarm.IsZero() || now.Before(t.ackAlarm) {
			t.ackAlarm = now
		}
	case t.ackAlarm.IsZero():
		t.ackAlarm = now.Add(MaxAckDelay)
	}
	return false
}

// insert adds pn to the ranges. It returns the index of the range now
// holding pn (-1 if there was no room for it) and whether pn is new.
func (t *ReceivedPacketTracker) insert(pn wire.PacketNumber) (int, bool) {
	n := len(t.ranges)
	if n == 0 {
		t.ranges = append(t.ranges, wire.AckRange{Smallest: pn, Largest: pn})
		return 0, true
	}
	// Ranges are ascending; packets mostly arrive at the top.
	for i := n - 1; i >= 0; i-- {
		r := &t.ranges[i]
		switch {
		case pn > r.Largest:
			if pn == r.Largest+1 { // extends r upwards
				r.Largest = pn
				return i, true
			}
			return t.insertAt(i+1, pn), true // above r, with a gap
		case pn >= r.Smallest: // inside r
			return i, false
		case pn+1 == r.Smallest: // extends r downwards, maybe joining the range below
			r.Smallest = pn
			if i > 0 && t.ranges[i-1].Largest+1 == pn {
				t.ranges[i-1].Largest = r.Largest
				t.ranges = append(t.ranges[:i], t.ranges[i+1:]...)
				return i - 1, true
			}
			return i, true
		}
		// below r with a gap: look at the range below
	}
	return t.insertAt(0, pn), true
}

// insertAt inserts a range of only pn at index i, dropping the lowest range
// if there are too many. It returns where pn's range ends up, -1 if it was
// the one dropped.
func (t *ReceivedPacketTracker) insertAt(i int, pn wire.PacketNumber) int {
	t.ranges = append(t.ranges, wire.AckRange{})
	copy(t.ranges[i+1:], t.ranges[i:])
	t.ranges[i] = wire.AckRange{Smallest: pn, Largest: pn}
	if len(t.ranges) > wire.MaxAckRanges {
		t.forgottenBelow = t.ranges[0].Largest + 1
		copy(t.ranges, t.ranges[1:])
		t.ranges = t.ranges[:len(t.ranges)-1]
		i--
	}
	return i
}

// AckAlarm returns when an ACK is due: the zero time if none is, a time not
// after the present if one is due at once.
func (t *ReceivedPacketTracker) AckAlarm() time.Time { return t.ackAlarm }

// GetAckFrame returns an ACK frame for the packets received, with DelayTime
// the time since the largest arrived, and resets the ACK timing. If
// onlyIfQueued, it returns nil unless an ACK is due at now; otherwise it
// returns one whenever an ack-eliciting packet arrived since the last ACK,
// for a packet about to be sent anyway. It returns nil when there is nothing
// to acknowledge.
//
// The frame is the tracker's own and is overwritten by the next call; the
// caller must be done with it (have encoded it) by then.
func (t *ReceivedPacketTracker) GetAckFrame(now time.Time, onlyIfQueued bool) *wire.AckFrame {
	if onlyIfQueued && (t.ackAlarm.IsZero() || now.Before(t.ackAlarm)) {
		return nil
	}
	if !t.newAckEliciting || len(t.ranges) == 0 {
		return nil
	}
	t.ack.Reset()
	for i := len(t.ranges) - 1; i >= 0; i-- {
		t.ack.AckRanges = append(t.ack.AckRanges, t.ranges[i])
	}
	t.ack.DelayTime = min(max(now.Sub(t.largestRcvdTime), 0), wire.MaxAckDelay)
	t.newAckEliciting = false
	t.ackElicitingSinceAck = 0
	t.ackAlarm = time.Time{}
	return &t.ack
}

// IgnoreBelow forgets the packets below pn and reports them as duplicates
// from now on. A sender calls it when its peer acknowledged an ACK frame that
// acknowledged everything below pn: those packets need no acknowledgment any
// more. A pn at or below an earlier one changes nothing.
func (t *ReceivedPacketTracker) IgnoreBelow(pn wire.PacketNumber) {
	if pn <= t.ignoreBelow {
		return
	}
	t.ignoreBelow = pn
	i := 0
	for i < len(t.ranges) && t.ranges[i].Largest < pn {
		i++
	}
	t.ranges = append(t.ranges[:0], t.ranges[i:]...)
	if len(t.ranges) > 0 && t.ranges[0].Smallest < pn {
		t.ranges[0].Smallest = pn
	}
}

// LargestReceived returns the largest packet number received, and whether
// any was.
func (t *ReceivedPacketTracker) LargestReceived() (wire.PacketNumber, bool) {
	return t.largest, t.receivedAny
}
