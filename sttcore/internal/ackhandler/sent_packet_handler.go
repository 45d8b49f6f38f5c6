package ackhandler

import (
	"fmt"
	"math"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// Stats counts what a SentPacketHandler saw over its life.
type Stats struct {
	PacketsSent uint64         // packets reported to SentPacket
	BytesSent   wire.ByteCount // their sizes
	// PacketsAcked and PacketsLost count tracked packets newly
	// acknowledged and declared lost; each tracked packet ends in exactly
	// one of them (or is still outstanding).
	PacketsAcked uint64
	PacketsLost  uint64
	// BytesLost is the size of the lost packets that were in flight.
	BytesLost wire.ByteCount
	// PTOs counts probe timeouts that fired (retransmission timeouts).
	PTOs uint64
	// PersistentCongestion counts the times persistent congestion was
	// established (RFC 9002 §7.6).
	PersistentCongestion uint64
	// Misordered counts SentPacket calls whose packet number was not above
	// the previous one: such packets are not tracked, their frames are
	// reported lost at once.
	Misordered uint64
	// SpuriousLosses counts packets declared lost and acknowledged later:
	// reordering beyond the packet threshold, which then grows.
	SpuriousLosses uint64
}

// SentPacketHandler is the sending side of loss recovery (RFC 9002 §6): it
// tracks the packets sent, processes ACK frames, detects losses by packet
// and time threshold, runs the probe timeout, and keeps the congestion
// controller informed.
//
// A packet is tracked if it is ack-eliciting or carries Frames. Ack-eliciting
// packets are in flight: they count in BytesInFlight, the congestion window
// and the probe timeout.
type SentPacketHandler struct {
	rtt  *congestion.RTTStats
	cc   congestion.Controller
	hist sentPacketHistory

	largestSent    wire.PacketNumber // largest packet number sent, tracked or not
	largestTracked wire.PacketNumber // largest packet number given to SentPacket
	sentAny        bool
	trackedAny     bool
	largestAcked   wire.PacketNumber // largest packet number acknowledged, tracked or not
	ackedAny       bool
	largestSampled wire.PacketNumber // the packet of the last RTT sample
	sampledAny     bool
	// firstRTTSample is when the first RTT sample was taken; only packets
	// sent after it, and after the last persistent congestion, can
	// establish persistent congestion.
	firstRTTSample           time.Time
	lastPersistentCongestion time.Time

	bytesInFlight        wire.ByteCount
	lastAckElicitingSent time.Time
	lossTime             time.Time // earliest time-threshold loss; zero if none pending
	ptoCount             uint32
	probesToSend         int
	alarm                time.Time

	// reorderThreshold is the packet threshold in use: PacketThreshold,
	// raised when an ACK shows a packet declared lost was only reordered
	// (RFC 9002 §6.1.1 allows an adaptive threshold), up to
	// MaxPacketThreshold.
	reorderThreshold wire.PacketNumber

	acked []int // scratch for ReceivedAck: history indices newly acknowledged
	stats Stats
}

// NewSentPacketHandler returns a handler that updates rtt from ACKs and
// drives cc. A nil rtt gets a private congestion.NewRTTStats, a nil cc a
// congestion.NewCubic on that rtt.
func NewSentPacketHandler(rtt *congestion.RTTStats, cc congestion.Controller) *SentPacketHandler {
	if rtt == nil {
		rtt = congestion.NewRTTStats()
	}
	if cc == nil {
		cc = congestion.NewCubic(rtt, 0)
	}
	return &SentPacketHandler{rtt: rtt, cc: cc, acked: make([]int, 0, 64), reorderThreshold: PacketThreshold}
}

// SentPacket records that packet pn of size bytes was sent at now. Packets
// that are neither ack-eliciting nor carry frames are counted (they spend
// pacing budget) but not tracked. frames is copied; the caller may reuse the
// slice. Packet numbers given to SentPacket must increase; a packet whose
// number is not above the previous one is not tracked, and its frames are
// reported lost at once so that their owners send them again.
func (h *SentPacketHandler) SentPacket(now time.Time, pn wire.PacketNumber, size wire.ByteCount, ackEliciting bool, frames []Frame) {
	h.stats.PacketsSent++
	h.stats.BytesSent += size
	if h.trackedAny && pn <= h.largestTracked {
		h.stats.Misordered++
		for _, f := range frames {
			if f.Handler != nil {
				f.Handler.OnLost(f.Frame)
			}
		}
		return
	}
	h.trackedAny = true
	h.largestTracked = pn
	h.SentUntracked(pn)
	if ackEliciting {
		h.bytesInFlight += size
		h.lastAckElicitingSent = now
		if h.probesToSend > 0 {
			h.probesToSend--
		}
	}
	h.cc.OnPacketSent(now, h.bytesInFlight, pn, size, ackEliciting)
	if !ackEliciting && len(frames) == 0 {
		return
	}
	h.hist.add(now, pn, size, ackEliciting, frames)
	if ackEliciting {
		h.setLossDetectionTimer()
	}
}

// SentUntracked records that packet numbers up to pn were used by packets
// this handler does not track (unreliable datagrams), so that an ACK naming
// them is not taken for an acknowledgment of something never sent. Calling
// it with the largest packet number sent so far, before ReceivedAck, is
// enough; smaller values are ignored.
func (h *SentPacketHandler) SentUntracked(pn wire.PacketNumber) {
	if !h.sentAny || pn > h.largestSent {
		h.largestSent = pn
		h.sentAny = true
	}
}

// ReceivedAck processes an ACK frame received at now (RFC 9002 §A.7): it
// takes an RTT sample, declares lost what the ACK shows to be lost, tells
// the frames of newly acknowledged packets and the congestion controller,
// resets the PTO backoff and the probes asked for, and rearms the loss
// detection timer. An ACK that acknowledges nothing new and does not raise
// the largest acknowledged packet number changes nothing.
//
// The RTT sample is the time since the largest newly acknowledged tracked
// packet was sent, if that packet is ack-eliciting and above the packet of
// the previous sample, less ack.DelayTime (see congestion.RTTStats). When
// that packet is not the ACK's largest (which was then an untracked packet),
// the sample also contains the time between the two packets' arrivals.
//
// It returns an error wrapping ErrInvalidAck or ErrUnsentPacketAcked, and
// changes nothing, if the frame is malformed or acknowledges a packet number
// above the largest sent.
func (h *SentPacketHandler) ReceivedAck(ack *wire.AckFrame, now time.Time) error {
	if err := h.checkAck(ack); err != nil {
		return err
	}
	priorInFlight := h.bytesInFlight
	largest := ack.AckRanges[0].Largest

	// Mark the newly acknowledged packets, in ascending order.
	h.acked = h.acked[:0]
	from := 0
	for i := len(ack.AckRanges) - 1; i >= 0; i-- {
		r := ack.AckRanges[i]
		j := h.hist.search(from, r.Smallest)
		for ; j < h.hist.len(); j++ {
			p := h.hist.at(j)
			if p.pn > r.Largest {
				break
			}
			if p.state == stateLost {
				// Declared lost, yet it arrived: reordering, not loss. Wait
				// for more reordering from now on, so that it is not taken
				// for loss again (its frames were sent again meanwhile: a
				// duplicate at worst).
				p.state = stateAcked
				h.stats.SpuriousLosses++
				if d := largest - p.pn + 1; d > h.reorderThreshold {
					h.reorderThreshold = min(d, MaxPacketThreshold)
				}
				continue
			}
			if p.state == stateOutstanding {
				h.hist.resolve(p, stateAcked)
				if p.ackEliciting {
					h.bytesInFlight -= p.size
				}
				h.acked = append(h.acked, j)
			}
		}
		from = j
	}
	largestRaised := !h.ackedAny || largest > h.largestAcked
	if largestRaised {
		h.largestAcked, h.ackedAny = largest, true
	}
	if len(h.acked) == 0 && !largestRaised {
		return nil // a duplicate or an old, reordered ACK
	}

	if n := len(h.acked); n > 0 {
		p := h.hist.at(h.acked[n-1])
		if p.ackEliciting && (!h.sampledAny || p.pn > h.largestSampled) {
			h.rtt.UpdateRTT(now.Sub(p.sendTime), ack.DelayTime)
			h.largestSampled, h.sampledAny = p.pn, true
			if h.firstRTTSample.IsZero() {
				h.firstRTTSample = now
			}
		}
	}

	// Losses first, so that the controller sees a reduction before the
	// acknowledgments of packets sent before it (RFC 9002 §A.7).
	h.detectLostPackets(now, priorInFlight)
	for _, j := range h.acked {
		p := h.hist.at(j)
		if p.ackEliciting {
			h.cc.OnPacketAcked(p.pn, p.size, priorInFlight, now)
		}
		for _, f := range p.frames {
			if f.Handler != nil {
				f.Handler.OnAcked(f.Frame)
			}
		}
		h.hist.at(j).release() // not p: a misbehaving handler may have grown the ring
		h.stats.PacketsAcked++
	}
	h.acked = h.acked[:0]
	h.hist.trimFront(now.Add(-3 * h.rtt.PTO(false)))

	h.ptoCount = 0
	h.probesToSend = 0
	h.setLossDetectionTimer()
	return nil
}

// checkAck validates the frame's ranges and its largest packet number.
func (h *SentPacketHandler) checkAck(ack *wire.AckFrame) error {
	if ack == nil || len(ack.AckRanges) == 0 {
		return fmt.Errorf("%w: no ranges", ErrInvalidAck)
	}
	for i, r := range ack.AckRanges {
		if r.Smallest > r.Largest {
			return fmt.Errorf("%w: range %d has smallest %d above largest %d", ErrInvalidAck, i, r.Smallest, r.Largest)
		}
		if i > 0 {
			prev := ack.AckRanges[i-1]
			if prev.Smallest < 2 || r.Largest > prev.Smallest-2 {
				return fmt.Errorf("%w: range %d is not below range %d with a gap", ErrInvalidAck, i, i-1)
			}
		}
	}
	if largest := ack.AckRanges[0].Largest; !h.sentAny || largest > h.largestSent {
		if !h.sentAny {
			return fmt.Errorf("%w: packet %d acknowledged before any was sent", ErrUnsentPacketAcked, largest)
		}
		return fmt.Errorf("%w: packet %d acknowledged, largest sent is %d", ErrUnsentPacketAcked, largest, h.largestSent)
	}
	return nil
}

// lossDelay is kTimeThreshold × max(latest_rtt, smoothed_rtt), at least
// kGranularity (RFC 9002 §6.1.2).
func (h *SentPacketHandler) lossDelay() time.Duration {
	rtt := max(h.rtt.LatestRTT(), h.rtt.SmoothedRTT())
	return max(rtt/timeThresholdDen*timeThresholdNum+rtt%timeThresholdDen*timeThresholdNum/timeThresholdDen, congestion.TimerGranularity)
}

// detectLostPackets declares lost the outstanding packets at or below the
// largest acknowledged that are PacketThreshold packet numbers below it or
// older than the loss delay, and sets lossTime for the next one to become
// old enough (RFC 9002 §A.10). It also establishes persistent congestion
// (§7.6.2): two lost ack-eliciting packets, sent after the first RTT sample,
// further apart than three PTOs, with no packet between them acknowledged.
func (h *SentPacketHandler) detectLostPackets(now time.Time, priorInFlight wire.ByteCount) {
	h.lossTime = time.Time{}
	if !h.ackedAny {
		return
	}
	lossDelay := h.lossDelay()
	lostSendTime := now.Add(-lossDelay)
	pcEligibleAfter := h.firstRTTSample
	if h.lastPersistentCongestion.After(pcEligibleAfter) {
		pcEligibleAfter = h.lastPersistentCongestion
	}
	pcDuration := h.persistentCongestionDuration()
	// The current run of lost ack-eliciting packets with no acknowledged
	// packet between them.
	var (
		runStart, runEnd time.Time
		inRun, runHasNew bool
		persistent       bool
	)
	extendRun := func(p *sentPacket, newlyLost bool) {
		if !p.ackEliciting || pcEligibleAfter.IsZero() || !p.sendTime.After(pcEligibleAfter) {
			return
		}
		if !inRun {
			inRun, runHasNew, runStart = true, false, p.sendTime
		}
		runHasNew = runHasNew || newlyLost
		runEnd = p.sendTime
		if runHasNew && runEnd.Sub(runStart) > pcDuration {
			persistent = true
		}
	}
	for j := 0; j < h.hist.len(); j++ {
		p := h.hist.at(j)
		if p.pn > h.largestAcked {
			break
		}
		switch p.state {
		case stateAcked:
			inRun = false
			continue
		case stateLost: // declared lost earlier
			extendRun(p, false)
			continue
		}
		if p.sendTime.After(lostSendTime) && h.largestAcked-p.pn < h.reorderThreshold {
			// Not lost yet: it will be when it is lossDelay old.
			if t := p.sendTime.Add(lossDelay); h.lossTime.IsZero() || t.Before(h.lossTime) {
				h.lossTime = t
			}
			continue
		}
		h.declareLost(j, priorInFlight)
		extendRun(p, true)
	}
	if persistent {
		h.stats.PersistentCongestion++
		h.lastPersistentCongestion = now
		h.cc.OnPersistentCongestion()
	}
}

// declareLost resolves the packet in slot j as lost and tells its frames and
// the controller.
func (h *SentPacketHandler) declareLost(j int, priorInFlight wire.ByteCount) {
	p := h.hist.at(j)
	h.hist.resolve(p, stateLost)
	h.stats.PacketsLost++
	if p.ackEliciting {
		h.bytesInFlight -= p.size
		h.stats.BytesLost += p.size
		h.cc.OnCongestionEvent(p.pn, p.size, priorInFlight)
	}
	for _, f := range p.frames {
		if f.Handler != nil {
			f.Handler.OnLost(f.Frame)
		}
	}
	h.hist.at(j).release()
}

// persistentCongestionDuration is (smoothed_rtt + max(4 rttvar,
// kGranularity) + max_ack_delay) × kPersistentCongestionThreshold.
func (h *SentPacketHandler) persistentCongestionDuration() time.Duration {
	pto := h.rtt.PTO(true)
	if pto > math.MaxInt64/persistentCongestionThreshold {
		return math.MaxInt64
	}
	return pto * persistentCongestionThreshold
}

// ptoPeriod is the probe timeout backed off by 2^pto_count, truncated to
// maxPTODuration.
func (h *SentPacketHandler) ptoPeriod() time.Duration {
	pto := h.rtt.PTO(true)
	if h.ptoCount >= 32 || pto<<h.ptoCount>>h.ptoCount != pto {
		return maxPTODuration
	}
	return min(pto<<h.ptoCount, maxPTODuration)
}

// setLossDetectionTimer arms the alarm (RFC 9002 §A.8): at the pending
// time-threshold loss if there is one, else a PTO after the last
// ack-eliciting packet if any is in flight, else not at all.
func (h *SentPacketHandler) setLossDetectionTimer() {
	switch {
	case !h.lossTime.IsZero():
		h.alarm = h.lossTime
	case h.hist.ackElicitingOutstanding == 0:
		h.alarm = time.Time{}
	default:
		h.alarm = h.lastAckElicitingSent.Add(h.ptoPeriod())
	}
}

// GetLossDetectionTimeout returns when OnLossDetectionTimeout must be called:
// the zero time if nothing is in flight and no loss is pending.
func (h *SentPacketHandler) GetLossDetectionTimeout() time.Time { return h.alarm }

// OnLossDetectionTimeout handles the loss detection timer firing at now. If
// a time-threshold loss was pending, it declares the packets lost. Otherwise
// the probe timeout expired (RFC 9002 §6.2): the PTO backoff doubles and
// SendMode returns SendPTO until two ack-eliciting packets were sent; no
// packet is declared lost. A call before GetLossDetectionTimeout, or with no
// timeout armed, does nothing, so a shared session timer may call it
// whenever it fires.
func (h *SentPacketHandler) OnLossDetectionTimeout(now time.Time) {
	if h.alarm.IsZero() || now.Before(h.alarm) {
		return
	}
	if !h.lossTime.IsZero() {
		h.detectLostPackets(now, h.bytesInFlight)
		h.hist.trimFront(now.Add(-3 * h.rtt.PTO(false)))
		h.setLossDetectionTimer()
		return
	}
	h.ptoCount++
	h.probesToSend = probePackets
	h.stats.PTOs++
	h.cc.OnRetransmissionTimeout(false)
	h.setLossDetectionTimer()
}

// SendMode says what may be sent at now: probe packets after a PTO, only
// non-ack-eliciting packets when the congestion window is full, nothing
// ack-eliciting before TimeUntilSend when the pacer holds packets back, and
// anything otherwise.
func (h *SentPacketHandler) SendMode(now time.Time) SendMode {
	switch {
	case h.probesToSend > 0:
		return SendPTO
	case !h.cc.CanSend(h.bytesInFlight), h.hist.len() >= maxTrackedPackets:
		return SendAck
	case !h.cc.HasPacingBudget(now):
		return SendPacingLimited
	default:
		return SendAny
	}
}

// TimeUntilSend returns when the pacer lets the next packet go; the zero time
// means at once.
func (h *SentPacketHandler) TimeUntilSend() time.Time { return h.cc.TimeUntilSend(h.bytesInFlight) }

// BytesInFlight returns the bytes of ack-eliciting packets neither
// acknowledged nor declared lost.
func (h *SentPacketHandler) BytesInFlight() wire.ByteCount { return h.bytesInFlight }

// ReorderThreshold is the packet threshold of loss detection in use.
func (h *SentPacketHandler) ReorderThreshold() wire.PacketNumber { return h.reorderThreshold }

// PTOCount returns how many probe timeouts fired since the last ACK that
// acknowledged something new: the exponent of the PTO backoff.
func (h *SentPacketHandler) PTOCount() uint32 { return h.ptoCount }

// Stats returns the counters.
func (h *SentPacketHandler) Stats() Stats { return h.stats }
