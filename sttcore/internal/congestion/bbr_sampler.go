package congestion

import (
	"math/bits"
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Bandwidth is a data rate in bytes per second.
type Bandwidth uint64

// deliveryRate returns bytes per d as a Bandwidth, saturating; zero for
// d ≤ 0.
func deliveryRate(bytes wire.ByteCount, d time.Duration) Bandwidth {
	if d <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(bytes), uint64(time.Second))
	if hi >= uint64(d) {
		return Bandwidth(1<<64 - 1)
	}
	q, _ := bits.Div64(hi, lo, uint64(d))
	return Bandwidth(q)
}

// bytesIn returns what bw carries in d: a bandwidth-delay product.
func (bw Bandwidth) bytesIn(d time.Duration) wire.ByteCount {
	return bandwidthRate(bw).paced(d)
}

// The delivery rate sampler follows draft-cheng-iccrg-delivery-rate-estimation-00
// (the estimator of Linux's tcp_rate.c). Each packet sent remembers how much
// had been delivered (acknowledged) when it left, and when; its ACK then
// tells how much was delivered since, and over how long: one rate sample per
// acknowledged packet. The names below are the draft's: C.delivered is
// deliverySampler.delivered, P.delivered is sentState.delivered, and so on.

// sentState is P, the send state of one in-flight packet.
type sentState struct {
	pn            wire.PacketNumber
	size          wire.ByteCount
	delivered     wire.ByteCount // P.delivered: C.delivered when it was sent
	sendTime      time.Time      // P.sent_time
	deliveredTime time.Time      // P.delivered_time: C.delivered_time when it was sent
	firstSentTime time.Time      // P.first_sent_time: C.first_sent_time when it was sent
	appLimited    bool           // P.is_app_limited
	resolved      bool           // acknowledged or lost: a hole until trimmed
}

// rateSample is rs, what one acknowledged packet says about the path.
type rateSample struct {
	// deliveryRate is rs.delivery_rate; zero if the sample is invalid (its
	// interval is shorter than the minimum RTT, which only ACK compression
	// produces).
	deliveryRate   Bandwidth
	delivered      wire.ByteCount // rs.delivered: bytes delivered over the interval
	interval       time.Duration  // rs.interval
	priorDelivered wire.ByteCount // rs.prior_delivered: P.delivered
	rtt            time.Duration  // rs.rtt: the packet's round-trip time
	isAppLimited   bool           // rs.is_app_limited
}

// deliverySampler is the connection's delivery state C and the send state of
// every packet in flight, in a ring in ascending packet number order (the
// ring is the pool of records: after it has grown to the largest flight
// seen, no packet allocates).
type deliverySampler struct {
	ring []sentState // length a power of two, or zero
	head int         // slot of the oldest record
	n    int         // records in use, holes included

	delivered     wire.ByteCount // C.delivered
	deliveredTime time.Time      // C.delivered_time
	firstSentTime time.Time      // C.first_sent_time
	// appLimited is C.app_limited: while non-zero, packets sent are marked
	// application limited; it clears once delivered passes it.
	appLimited wire.ByteCount
	lastPN     wire.PacketNumber
	sentAny    bool
}

// at returns the i-th oldest record, 0 ≤ i < n.
func (s *deliverySampler) at(i int) *sentState {
	return &s.ring[(s.head+i)&(len(s.ring)-1)]
}

// onSent records the send state of packet pn, sent at now with
// inflightBefore bytes already in flight. Packet numbers must increase; a
// packet that breaks this order is not recorded.
func (s *deliverySampler) onSent(now time.Time, pn wire.PacketNumber, size, inflightBefore wire.ByteCount) {
	if s.sentAny && pn <= s.lastPN {
		return
	}
	s.lastPN, s.sentAny = pn, true
	if inflightBefore == 0 {
		// Nothing in flight: the next sample's interval starts now, not
		// when the previous flight was delivered.
		s.firstSentTime, s.deliveredTime = now, now
	}
	switch {
	case s.n >= bbrMaxTrackedPackets:
		s.dropFront() // the oldest packet gives no sample
	case s.n == len(s.ring):
		s.grow()
	}
	p := s.at(s.n)
	s.n++
	*p = sentState{
		pn:            pn,
		size:          size,
		delivered:     s.delivered,
		sendTime:      now,
		deliveredTime: s.deliveredTime,
		firstSentTime: s.firstSentTime,
		appLimited:    s.appLimited != 0,
	}
}

func (s *deliverySampler) grow() {
	size := max(2*len(s.ring), bbrInitialTracked)
	ring := make([]sentState, size)
	for i := range s.n {
		ring[i] = *s.at(i)
	}
	s.ring, s.head = ring, 0
}

func (s *deliverySampler) dropFront() {
	s.head = (s.head + 1) & (len(s.ring) - 1)
	s.n--
	s.trim()
}

// trim drops the holes at the front.
func (s *deliverySampler) trim() {
	for s.n > 0 && s.at(0).resolved {
		s.head = (s.head + 1) & (len(s.ring) - 1)
		s.n--
	}
}

// find returns the record of an unresolved packet pn, or nil.
func (s *deliverySampler) find(pn wire.PacketNumber) *sentState {
	lo, hi := 0, s.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.at(m).pn < pn {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == s.n {
		return nil
	}
	if p := s.at(lo); p.pn == pn && !p.resolved {
		return p
	}
	return nil
}

// onAcked takes the acknowledgment of size bytes of packet pn at now and
// returns its rate sample; ok is false if the packet's send state is not
// known (never recorded, or dropped). minRTT is the path's minimum RTT, zero
// if unknown: samples over a shorter interval are invalid.
func (s *deliverySampler) onAcked(now time.Time, pn wire.PacketNumber, size wire.ByteCount, minRTT time.Duration) (rs rateSample, ok bool) {
	s.delivered += size
	s.deliveredTime = now
	defer func() {
		if s.appLimited != 0 && s.delivered > s.appLimited {
			s.appLimited = 0
		}
	}()
	p := s.find(pn)
	if p == nil {
		return rs, false
	}
	rs.priorDelivered = p.delivered
	rs.isAppLimited = p.appLimited
	rs.delivered = s.delivered - p.delivered
	rs.rtt = now.Sub(p.sendTime)
	sendElapsed := p.sendTime.Sub(p.firstSentTime)
	ackElapsed := now.Sub(p.deliveredTime)
	// The send interval guards against ACK compression (ACKs arriving
	// faster than the data was sent), the ACK interval against the sender's
	// bursts.
	rs.interval = max(sendElapsed, ackElapsed)
	if rs.interval >= minRTT {
		rs.deliveryRate = deliveryRate(rs.delivered, rs.interval)
	}
	s.firstSentTime = p.sendTime
	p.resolved = true
	s.trim()
	return rs, true
}

// onLost forgets packet pn, declared lost.
func (s *deliverySampler) onLost(pn wire.PacketNumber) {
	if p := s.find(pn); p != nil {
		p.resolved = true
		s.trim()
	}
}

// markAppLimited starts an application-limited phase: until what is in
// flight now has been delivered, packets sent carry is_app_limited, so that
// their low rates do not pull the bandwidth estimate down.
func (s *deliverySampler) markAppLimited(inflight wire.ByteCount) {
	s.appLimited = max(s.delivered+inflight, 1)
}

// isAppLimited reports whether an application-limited phase is under way.
func (s *deliverySampler) isAppLimited() bool { return s.appLimited != 0 }

// outstanding returns the records in use, holes included.
func (s *deliverySampler) outstanding() int { return s.n }
