package congestion

import (
	"math"
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Cubic is a congestion controller: slow start and recovery periods as RFC
// 9002 §7 describes them, congestion avoidance by CUBIC (RFC 9438) including
// its Reno-friendly region and fast convergence, and a pacer.
//
// The window starts at min(10 × max_datagram_size, max(14720, 2 ×
// max_datagram_size)) bytes (RFC 9002 §7.2), never falls below 2 datagrams
// and never exceeds 10000. In slow start it grows by the bytes acknowledged,
// doubling each round trip. A loss of a packet sent after the last reduction
// starts a recovery period: W_max and the window are set as RFC 9438 §4.6 and
// §4.7 say (β = 0.7, fast convergence), and acknowledgments of packets sent
// before the period began do not grow the window. In congestion avoidance
// each acknowledged byte moves the window towards W_cubic(t + RTT) (C = 0.4,
// K = ∛((W_max − cwnd_epoch)/C), t from the first acknowledgment of the
// epoch, RTT the smoothed RTT), or to the Reno estimate W_est while that is
// larger than W_cubic(t). The window grows only while the sender uses it
// (fewer than 3 datagrams free, or in slow start more than half used); an
// acknowledgment while the window is underused restarts the CUBIC epoch, so
// idle time does not count towards t.
//
// Cubic is not safe for concurrent use.
type Cubic struct {
	rtt             *RTTStats
	pacer           pacer
	maxDatagramSize wire.ByteCount

	cwnd     wire.ByteCount
	cwndFrac float64 // the part of a byte of growth not yet in cwnd
	ssthresh wire.ByteCount
	sentAny  bool

	largestSent  wire.PacketNumber // largest ack-eliciting packet sent
	largestAcked wire.PacketNumber
	ackedAny     bool
	// recoveryEnd is the largest packet sent when the window was last
	// reduced: a packet up to it that is lost does not reduce the window
	// again, and one up to it that is acknowledged does not grow it.
	recoveryEnd wire.PacketNumber
	hasCutback  bool

	// RFC 9438 state, in bytes and seconds.
	wMax       float64   // W_max
	cwndPrior  float64   // the window before the last reduction
	k          float64   // K
	epochStart time.Time // t_epoch; zero until the epoch's first ACK
	wEst       float64   // W_est
}

var _ Controller = (*Cubic)(nil)

// NewCubic returns a controller in slow start with the initial window for
// maxDatagramSize (DefaultMaxDatagramSize if zero). It reads the smoothed
// RTT from rtt for the cubic function and the pacing rate; a nil rtt gets a
// private NewRTTStats.
func NewCubic(rtt *RTTStats, maxDatagramSize wire.ByteCount) *Cubic {
	if rtt == nil {
		rtt = NewRTTStats()
	}
	if maxDatagramSize == 0 {
		maxDatagramSize = DefaultMaxDatagramSize
	}
	c := &Cubic{
		rtt:             rtt,
		maxDatagramSize: maxDatagramSize,
		ssthresh:        math.MaxUint64,
	}
	c.pacer.maxDatagramSize = maxDatagramSize
	c.cwnd = c.initialWindow()
	return c
}

// initialWindow is kInitialWindow of RFC 9002 §7.2.
func (c *Cubic) initialWindow() wire.ByteCount {
	return min(10*c.maxDatagramSize, max(14720, 2*c.maxDatagramSize))
}

func (c *Cubic) minWindow() wire.ByteCount { return minimumWindowPackets * c.maxDatagramSize }
func (c *Cubic) maxWindow() wire.ByteCount { return maxWindowPackets * c.maxDatagramSize }

// GetCongestionWindow returns the congestion window in bytes.
func (c *Cubic) GetCongestionWindow() wire.ByteCount { return c.cwnd }

// SlowStartThreshold returns ssthresh; the largest ByteCount until the first
// loss.
func (c *Cubic) SlowStartThreshold() wire.ByteCount { return c.ssthresh }

// InSlowStart reports whether the window is below ssthresh.
func (c *Cubic) InSlowStart() bool { return c.cwnd < c.ssthresh }

// InRecovery reports whether a loss reduced the window and no packet sent
// since has been acknowledged.
func (c *Cubic) InRecovery() bool {
	return c.hasCutback && (!c.ackedAny || c.largestAcked <= c.recoveryEnd)
}

// CanSend reports whether bytesInFlight leaves room in the window.
func (c *Cubic) CanSend(bytesInFlight wire.ByteCount) bool { return bytesInFlight < c.cwnd }

// HasPacingBudget reports whether the pacer lets a full-sized datagram go
// at now.
func (c *Cubic) HasPacingBudget(now time.Time) bool {
	return c.pacer.Budget(now, c.pacingRate()) >= c.maxDatagramSize
}

// pacingRate is N × cwnd per smoothed RTT (RFC 9002 §7.7).
func (c *Cubic) pacingRate() rate { return cwndRate(c.cwnd, c.rtt.SmoothedRTT()) }

// TimeUntilSend returns when the pacer lets the next full-sized datagram go,
// or the zero time if it does now.
func (c *Cubic) TimeUntilSend(wire.ByteCount) time.Time {
	return c.pacer.TimeUntilSend(c.pacingRate())
}

// OnPacketSent spends pacing budget on the packet and, if it is
// retransmittable, remembers it as the largest sent.
func (c *Cubic) OnPacketSent(now time.Time, _ wire.ByteCount, pn wire.PacketNumber, bytes wire.ByteCount, isRetransmittable bool) {
	c.pacer.SentPacket(now, bytes, c.pacingRate())
	c.sentAny = true
	if isRetransmittable && pn >= c.largestSent {
		c.largestSent = pn
	}
}

// OnPacketAcked grows the window for an acknowledged packet: by ackedBytes
// in slow start, by CUBIC in congestion avoidance; not at all for a packet
// sent before the last reduction or while the window is underused.
func (c *Cubic) OnPacketAcked(pn wire.PacketNumber, ackedBytes, priorInFlight wire.ByteCount, eventTime time.Time) {
	if !c.ackedAny || pn > c.largestAcked {
		c.largestAcked = pn
		c.ackedAny = true
	}
	if c.hasCutback && pn <= c.recoveryEnd {
		return // sent before the recovery period began
	}
	if !c.cwndLimited(priorInFlight) {
		// Application limited: the window must not grow while it is not
		// used (RFC 9438 §5.8). As in quic-go, the epoch restarts, so the
		// time spent here does not count towards t either.
		c.epochStart = time.Time{}
		return
	}
	if c.cwnd >= c.maxWindow() {
		return
	}
	if c.InSlowStart() {
		c.cwnd = min(c.cwnd+ackedBytes, c.maxWindow())
		return
	}
	c.congestionAvoidance(ackedBytes, eventTime)
}

// cwndLimited reports whether the sender was using the window.
func (c *Cubic) cwndLimited(bytesInFlight wire.ByteCount) bool {
	if bytesInFlight >= c.cwnd {
		return true
	}
	free := c.cwnd - bytesInFlight
	return (c.InSlowStart() && bytesInFlight > c.cwnd/2) || free <= cwndLimitedSlackPackets*c.maxDatagramSize
}

// wCubic is W_cubic(t) of RFC 9438 §4.2 in bytes.
func (c *Cubic) wCubic(t float64) float64 {
	d := t - c.k
	return cubicC*float64(c.maxDatagramSize)*d*d*d + c.wMax
}

// congestionAvoidance applies RFC 9438 §4.2–§4.5 to one acknowledgment.
func (c *Cubic) congestionAvoidance(ackedBytes wire.ByteCount, now time.Time) {
	mss := float64(c.maxDatagramSize)
	cwnd := float64(c.cwnd) + c.cwndFrac
	if c.epochStart.IsZero() {
		// The first acknowledgment of a congestion avoidance stage.
		c.epochStart = now
		if c.wMax <= cwnd {
			// No loss below this window (slow start ended without one, or
			// the sender was application limited above W_max): the curve
			// starts on its plateau.
			c.wMax = cwnd
			c.k = 0
		} else {
			c.k = math.Cbrt((c.wMax - cwnd) / (cubicC * mss))
		}
		c.wEst = cwnd
	}
	t := max(now.Sub(c.epochStart), 0).Seconds()
	target := c.wCubic(t + c.rtt.SmoothedRTT().Seconds())
	target = min(max(target, cwnd), 1.5*cwnd)

	alpha := cubicAlpha
	if c.wEst >= c.cwndPrior {
		alpha = 1
	}
	c.wEst += alpha * float64(ackedBytes) * mss / cwnd

	if c.wCubic(t) < c.wEst {
		cwnd = c.wEst // Reno-friendly region (§4.3)
	} else {
		cwnd += (target - cwnd) * float64(ackedBytes) / cwnd // §4.4, §4.5
	}
	c.setWindow(cwnd)
}

// setWindow sets the window to w bytes, kept within its bounds, carrying the
// fraction of a byte.
func (c *Cubic) setWindow(w float64) {
	w = min(max(w, float64(c.minWindow())), float64(c.maxWindow()))
	c.cwnd = wire.ByteCount(w)
	c.cwndFrac = w - float64(c.cwnd)
}

// OnCongestionEvent reduces the window for a lost packet, unless the packet
// was sent before the current recovery period began (RFC 9002 §7.3.2).
func (c *Cubic) OnCongestionEvent(pn wire.PacketNumber, _, _ wire.ByteCount) {
	if c.hasCutback && pn <= c.recoveryEnd {
		return
	}
	cwnd := float64(c.cwnd) + c.cwndFrac
	c.cwndPrior = cwnd
	if cwnd < c.wMax {
		c.wMax = cwnd * (1 + cubicBeta) / 2 // fast convergence (§4.7)
	} else {
		c.wMax = cwnd
	}
	c.setWindow(cwnd * cubicBeta) // §4.6, at least the minimum window
	c.ssthresh = c.cwnd
	c.epochStart = time.Time{}
	c.hasCutback = true
	c.recoveryEnd = max(c.largestSent, pn)
}

// OnRetransmissionTimeout does nothing when packetsRetransmitted is false.
// Otherwise it reacts as TCP to a retransmission timeout: ssthresh to β ×
// the window, the window to the minimum, CUBIC's state forgotten, and the
// recovery period ended.
func (c *Cubic) OnRetransmissionTimeout(packetsRetransmitted bool) {
	if !packetsRetransmitted {
		return
	}
	c.ssthresh = max(wire.ByteCount(float64(c.cwnd)*cubicBeta), c.minWindow())
	c.cwnd, c.cwndFrac = c.minWindow(), 0
	c.wMax, c.cwndPrior, c.k, c.wEst = 0, 0, 0, 0
	c.epochStart = time.Time{}
	c.hasCutback = false
}

// OnPersistentCongestion collapses the window to the minimum and ends the
// recovery period (RFC 9002 §7.6.2); ssthresh and W_max stay.
func (c *Cubic) OnPersistentCongestion() {
	c.cwnd, c.cwndFrac = c.minWindow(), 0
	c.epochStart = time.Time{}
	c.hasCutback = false
}

// SetMaxDatagramSize sets the largest datagram size. A window at the
// minimum, or still at the initial window before anything was sent, moves
// to the new size's minimum or initial window. Zero is ignored.
func (c *Cubic) SetMaxDatagramSize(s wire.ByteCount) {
	if s == 0 {
		return
	}
	wasMin := c.cwnd == c.minWindow()
	wasInitial := !c.sentAny && c.cwnd == c.initialWindow()
	c.maxDatagramSize = s
	c.pacer.maxDatagramSize = s
	switch {
	case wasInitial:
		c.cwnd = c.initialWindow()
	case wasMin:
		c.cwnd = c.minWindow()
	}
	c.cwnd = min(max(c.cwnd, c.minWindow()), c.maxWindow())
}
