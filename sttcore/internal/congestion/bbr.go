package congestion

import (
	"math/rand/v2"
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// BBRState is the state of BBR's state machine.
type BBRState uint8

// The states of draft-cardwell-iccrg-bbr-congestion-control-00 §3.4.
const (
	// BBRStartup doubles the sending rate every round trip until the
	// bandwidth estimate stops growing.
	BBRStartup BBRState = iota
	// BBRDrain drains the queue Startup built.
	BBRDrain
	// BBRProbeBW cycles the pacing gain around the estimated bandwidth.
	BBRProbeBW
	// BBRProbeRTT shrinks the flight to 4 datagrams to measure the RTT
	// without queueing.
	BBRProbeRTT
)

func (s BBRState) String() string {
	switch s {
	case BBRStartup:
		return "Startup"
	case BBRDrain:
		return "Drain"
	case BBRProbeBW:
		return "ProbeBW"
	case BBRProbeRTT:
		return "ProbeRTT"
	}
	return "BBRState(?)"
}

// BBR is a model-based congestion controller: it estimates the path's
// bottleneck bandwidth (BtlBw) and round-trip propagation time (RTprop),
// paces at pacing_gain × BtlBw and bounds what is in flight by cwnd_gain ×
// BtlBw × RTprop. Random loss therefore costs it only the lost packets, where
// a loss-based controller such as Cubic halves its rate. It is BBR version 1
// as draft-cardwell-iccrg-bbr-congestion-control-00 gives it in pseudocode,
// and this file follows the draft's structure and names (BBRUpdateOnACK and
// what it calls); delivery rates are sampled as
// draft-cheng-iccrg-delivery-rate-estimation-00 says (bbr_sampler.go).
//
//   - Model: BtlBw is the largest delivery rate of the last 10 packet-timed
//     round trips (a windowed maximum, bbr_filter.go) that was not
//     application limited; RTprop the smallest RTT of the last 10 seconds.
//   - Startup: pacing and window gain 2/ln 2, so the rate doubles every
//     round trip, until BtlBw grew by less than 25 % three round trips in a
//     row. Drain: pacing gain ln 2/2 until the flight is down to one
//     BtlBw × RTprop. ProbeBW: window gain 2, pacing gain cycling through
//     5/4, 3/4 and six times 1, each phase one RTprop long (the 5/4 phase
//     longer while the flight has not grown to 5/4 of the estimate, the 3/4
//     phase shorter once it has shrunk to 1). ProbeRTT: once RTprop is 10 s
//     old, the window drops to 4 datagrams for 200 ms and a round trip, then
//     comes back.
//   - Window: cwnd_gain × BtlBw × RTprop plus three send quanta, at least 4
//     datagrams, at most 10000; it grows towards that target by the bytes
//     acknowledged. Before the first RTT sample it is the initial window of
//     RFC 9002 §7.2.
//   - Loss: a lost packet changes neither the model nor the window: BBR
//     version 1 does not read loss as congestion, and this implementation
//     leaves out the draft's optional packet conservation on recovery, so
//     that random loss costs no throughput beyond what was lost. Persistent
//     congestion (RFC 9002 §7.6), and a retransmission timeout that asks for
//     it, drop the window to the minimum; it grows back by the bytes
//     acknowledged, doubling per round trip, while the model stays.
//   - Application limits: OnAppLimited marks the packets sent from then on
//     until the flight has been delivered; their rate samples do not lower
//     BtlBw nor end Startup.
//
// BBR is not safe for concurrent use.
type BBR struct {
	rtt             *RTTStats
	pacer           pacer
	sampler         deliverySampler
	maxDatagramSize wire.ByteCount
	rng             rand.PCG

	state      BBRState
	pacingGain float64
	cwndGain   float64

	btlBw       maxFilter     // BBR.BtlBw, over round trips
	rtProp      time.Duration // BBR.RTprop; zero until the first sample
	rtPropStamp time.Time     // when it was set
	rtPropExp   bool          // BBR.rtprop_expired, for this ACK

	// Round counting (draft §4.1.1.3).
	nextRoundDelivered wire.ByteCount
	roundCount         uint64
	roundStart         bool

	// Full pipe detection (§4.3.2.2).
	filledPipe  bool
	fullBw      Bandwidth
	fullBwCount int

	// ProbeBW's gain cycle (§4.3.4.3).
	cycleIndex int
	cycleStamp time.Time

	// ProbeRTT (§4.3.5).
	probeRTTDoneStamp time.Time // zero until the flight is small enough
	probeRTTRoundDone bool
	priorCwnd         wire.ByteCount
	idleRestart       bool

	pacingRate  Bandwidth
	sendQuantum wire.ByteCount
	cwnd        wire.ByteCount
	sentAny     bool

	// inflight mirrors the sender's bytes in flight: set by OnPacketSent,
	// reduced by each packet acknowledged or lost.
	inflight wire.ByteCount
	// lossSinceAck is rs.losses > 0: a packet was declared lost since the
	// last acknowledgment.
	lossSinceAck bool
	// After persistent congestion the window is at the minimum until a
	// packet sent after it is acknowledged (InRecovery).
	largestSent wire.PacketNumber
	recoveryEnd wire.PacketNumber
	inRecovery  bool
}

var _ Controller = (*BBR)(nil)

// NewBBR returns a controller in Startup with the initial window for
// maxDatagramSize (DefaultMaxDatagramSize if zero). Until the first rate
// sample it paces at 2/ln 2 × the initial window per smoothed RTT, read from
// rtt (a nil rtt gets a private NewRTTStats); after that rtt is not used.
func NewBBR(rtt *RTTStats, maxDatagramSize wire.ByteCount) *BBR {
	if rtt == nil {
		rtt = NewRTTStats()
	}
	if maxDatagramSize == 0 {
		maxDatagramSize = DefaultMaxDatagramSize
	}
	b := &BBR{rtt: rtt, maxDatagramSize: maxDatagramSize}
	// The seed only spreads the phase in which flows enter ProbeBW's gain
	// cycle (so that flows sharing a bottleneck do not probe in step).
	b.rng.Seed(rand.Uint64(), rand.Uint64())
	b.pacer.maxDatagramSize = maxDatagramSize
	b.cwnd = b.initialWindow()
	b.initPacingRate()
	b.setSendQuantum()
	b.enterStartup()
	return b
}

// initialWindow is kInitialWindow of RFC 9002 §7.2, the draft's InitialCwnd.
func (b *BBR) initialWindow() wire.ByteCount {
	return min(10*b.maxDatagramSize, max(14720, 2*b.maxDatagramSize))
}

func (b *BBR) minWindow() wire.ByteCount { return bbrMinPipeCwndPackets * b.maxDatagramSize }
func (b *BBR) maxWindow() wire.ByteCount { return maxWindowPackets * b.maxDatagramSize }

// initPacingRate is BBRInitPacingRate: high_gain × InitialCwnd / SRTT.
func (b *BBR) initPacingRate() {
	nominal := deliveryRate(b.initialWindow(), b.rtt.SmoothedRTT())
	b.pacingRate = max(Bandwidth(bbrHighGain*float64(nominal)), bbrMinPacingRate)
}

// State returns the state of the state machine.
func (b *BBR) State() BBRState { return b.state }

// BandwidthEstimate returns BtlBw, the estimated bottleneck bandwidth; zero
// before the first rate sample.
func (b *BBR) BandwidthEstimate() Bandwidth { return b.btlBw.get() }

// MinRTT returns RTprop, the estimated round-trip propagation time; zero
// before the first sample.
func (b *BBR) MinRTT() time.Duration { return b.rtProp }

// PacingRate returns the rate the pacer sends at.
func (b *BBR) PacingRate() Bandwidth { return b.pacingRate }

// GetCongestionWindow returns the congestion window in bytes.
func (b *BBR) GetCongestionWindow() wire.ByteCount { return b.cwnd }

// InSlowStart reports whether BBR is in Startup.
func (b *BBR) InSlowStart() bool { return b.state == BBRStartup }

// InRecovery reports whether persistent congestion dropped the window and no
// packet sent since has been acknowledged. Lost packets alone never start a
// recovery period.
func (b *BBR) InRecovery() bool { return b.inRecovery }

// CanSend reports whether bytesInFlight leaves room in the window.
func (b *BBR) CanSend(bytesInFlight wire.ByteCount) bool { return bytesInFlight < b.cwnd }

// HasPacingBudget reports whether the pacer lets a full-sized datagram go
// at now.
func (b *BBR) HasPacingBudget(now time.Time) bool {
	return b.pacer.Budget(now, bandwidthRate(b.pacingRate)) >= b.maxDatagramSize
}

// TimeUntilSend returns when the pacer lets the next full-sized datagram go,
// or the zero time if it does now.
func (b *BBR) TimeUntilSend(wire.ByteCount) time.Time {
	return b.pacer.TimeUntilSend(bandwidthRate(b.pacingRate))
}

// OnPacketSent spends pacing budget on the packet and, if it is
// retransmittable (in flight), records its send state for the rate sample
// its acknowledgment will give.
func (b *BBR) OnPacketSent(now time.Time, bytesInFlight wire.ByteCount, pn wire.PacketNumber, bytes wire.ByteCount, isRetransmittable bool) {
	b.pacer.SentPacket(now, bytes, bandwidthRate(b.pacingRate))
	b.sentAny = true
	if !isRetransmittable {
		return
	}
	if pn > b.largestSent {
		b.largestSent = pn
	}
	before := bytesInFlight - min(bytes, bytesInFlight)
	b.inflight = bytesInFlight
	if before == 0 && b.sampler.isAppLimited() {
		// BBRHandleRestartFromIdle: after an idle period, send at the
		// estimated bandwidth, not at ProbeBW's current gain.
		b.idleRestart = true
		if b.state == BBRProbeBW {
			b.setPacingRateWithGain(1)
		}
	}
	b.sampler.onSent(now, pn, bytes, before)
}

// OnAppLimited tells BBR that the sender has nothing to send although the
// window and the pacer would let it (the application wrote nothing, or flow
// control holds the data back), with bytesInFlight in flight. The rate
// samples of the packets sent until that flight is delivered do not lower
// the bandwidth estimate nor count as a plateau that ends Startup.
func (b *BBR) OnAppLimited(bytesInFlight wire.ByteCount) {
	b.sampler.markAppLimited(bytesInFlight)
}

// OnPacketAcked runs BBRUpdateOnACK for one acknowledged packet: it takes
// the packet's rate sample, updates the model (BtlBw, RTprop, the round
// count) and the state machine, then the pacing rate and the window.
func (b *BBR) OnPacketAcked(pn wire.PacketNumber, ackedBytes, priorInFlight wire.ByteCount, eventTime time.Time) {
	b.inflight -= min(ackedBytes, b.inflight)
	if b.inRecovery && pn > b.recoveryEnd {
		b.inRecovery = false
	}
	rs, ok := b.sampler.onAcked(eventTime, pn, ackedBytes, b.rtProp)
	if ok {
		b.updateModelAndState(&rs, priorInFlight, eventTime)
	}
	b.updateControlParameters(ackedBytes)
	b.lossSinceAck = false
}

// updateModelAndState is BBRUpdateModelAndState.
func (b *BBR) updateModelAndState(rs *rateSample, priorInFlight wire.ByteCount, now time.Time) {
	b.updateBtlBw(rs)
	b.checkCyclePhase(priorInFlight, now)
	b.checkFullPipe(rs)
	b.checkDrain(now)
	b.updateRTprop(rs, now)
	b.checkProbeRTT(now)
}

// updateControlParameters is BBRUpdateControlParameters.
func (b *BBR) updateControlParameters(delivered wire.ByteCount) {
	b.setPacingRate()
	b.setSendQuantum()
	b.setCwnd(delivered)
}

// updateBtlBw is BBRUpdateBtlBw with BBRUpdateRound: a packet sent after the
// current round began ends it; a sample enters the filter unless it is
// application limited and below the estimate.
func (b *BBR) updateBtlBw(rs *rateSample) {
	b.roundStart = false
	if rs.priorDelivered >= b.nextRoundDelivered {
		b.nextRoundDelivered = b.sampler.delivered
		b.roundCount++
		b.roundStart = true
	}
	if rs.deliveryRate == 0 {
		return // invalid sample
	}
	if rs.deliveryRate >= b.btlBw.get() || !rs.isAppLimited {
		b.btlBw.update(rs.deliveryRate, b.roundCount, bbrBtlBwFilterLen)
	}
}

// updateRTprop is BBRUpdateRTprop.
func (b *BBR) updateRTprop(rs *rateSample, now time.Time) {
	b.rtPropExp = b.rtProp > 0 && now.After(b.rtPropStamp.Add(bbrRTpropFilterLen))
	if rs.rtt > 0 && (b.rtProp == 0 || rs.rtt <= b.rtProp || b.rtPropExp) {
		b.rtProp = rs.rtt
		b.rtPropStamp = now
	}
}

// bdp returns gain × BtlBw × RTprop plus three send quanta (BBRInflight);
// the initial window while the model has no estimate.
func (b *BBR) bdp(gain float64) wire.ByteCount {
	if b.rtProp == 0 || b.btlBw.get() == 0 {
		return b.initialWindow()
	}
	est := b.btlBw.get().bytesIn(b.rtProp)
	return wire.ByteCount(gain*float64(est)) + 3*b.sendQuantum
}

// setPacingRateWithGain is BBRSetPacingRateWithGain: the rate only grows
// until the pipe is known to be full.
func (b *BBR) setPacingRateWithGain(gain float64) {
	bw := b.btlBw.get()
	if bw == 0 {
		return // no sample yet: keep the initial rate
	}
	rate := max(Bandwidth(gain*float64(bw)), bbrMinPacingRate)
	if b.filledPipe || rate > b.pacingRate {
		b.pacingRate = rate
	}
}

func (b *BBR) setPacingRate() { b.setPacingRateWithGain(b.pacingGain) }

// setSendQuantum is BBRSetSendQuantum: one datagram below 1.2 Mbit/s, two
// below 24 Mbit/s, else a millisecond at the pacing rate, at most 64 KiB.
func (b *BBR) setSendQuantum() {
	switch {
	case b.pacingRate < 1_200_000/8:
		b.sendQuantum = b.maxDatagramSize
	case b.pacingRate < 24_000_000/8:
		b.sendQuantum = 2 * b.maxDatagramSize
	default:
		b.sendQuantum = min(b.pacingRate.bytesIn(time.Millisecond), 64<<10)
	}
}

// setCwnd is BBRSetCwnd without the recovery modulation: the window moves
// towards cwnd_gain × BDP by the bytes just delivered (and in Startup keeps
// growing until the target is reached), and in ProbeRTT stays at the
// minimum.
func (b *BBR) setCwnd(delivered wire.ByteCount) {
	target := b.bdp(b.cwndGain)
	switch {
	case b.filledPipe:
		b.cwnd = min(b.cwnd+delivered, target)
	case b.cwnd < target || b.sampler.delivered < b.initialWindow():
		b.cwnd += delivered
	}
	b.cwnd = min(max(b.cwnd, b.minWindow()), b.maxWindow())
	if b.state == BBRProbeRTT {
		b.cwnd = min(b.cwnd, b.minWindow())
	}
}

// enterStartup is BBREnterStartup.
func (b *BBR) enterStartup() {
	b.state = BBRStartup
	b.pacingGain = bbrHighGain
	b.cwndGain = bbrHighGain
}

// checkFullPipe is BBRCheckFullPipe: the pipe is full once BtlBw grew by
// less than 25 % in three non-application-limited round trips in a row.
func (b *BBR) checkFullPipe(rs *rateSample) {
	if b.filledPipe || !b.roundStart || rs.isAppLimited {
		return
	}
	if bw := b.btlBw.get(); float64(bw) >= float64(b.fullBw)*bbrFullBwThreshold {
		b.fullBw = bw
		b.fullBwCount = 0
		return
	}
	b.fullBwCount++
	if b.fullBwCount >= bbrFullBwCount {
		b.filledPipe = true
	}
}

// checkDrain is BBRCheckDrain.
func (b *BBR) checkDrain(now time.Time) {
	if b.state == BBRStartup && b.filledPipe {
		b.state = BBRDrain
		b.pacingGain = 1 / bbrHighGain
		b.cwndGain = bbrHighGain
	}
	if b.state == BBRDrain && b.inflight <= b.bdp(1) {
		b.enterProbeBW(now)
	}
}

// enterProbeBW is BBREnterProbeBW: the cycle starts in a random phase other
// than the 3/4 one.
func (b *BBR) enterProbeBW(now time.Time) {
	b.state = BBRProbeBW
	b.pacingGain = 1
	b.cwndGain = bbrCwndGain
	b.cycleIndex = bbrGainCycleLen - 1 - int(b.rng.Uint64()%(bbrGainCycleLen-1))
	b.advanceCyclePhase(now)
}

// checkCyclePhase is BBRCheckCyclePhase.
func (b *BBR) checkCyclePhase(priorInFlight wire.ByteCount, now time.Time) {
	if b.state == BBRProbeBW && b.isNextCyclePhase(priorInFlight, now) {
		b.advanceCyclePhase(now)
	}
}

func (b *BBR) advanceCyclePhase(now time.Time) {
	b.cycleStamp = now
	b.cycleIndex = (b.cycleIndex + 1) % bbrGainCycleLen
	b.pacingGain = bbrPacingGainCycle(b.cycleIndex)
}

// isNextCyclePhase is BBRIsNextCyclePhase: a phase lasts an RTprop; the
// probing phase longer, until a loss or a flight of 5/4 BDP; the draining
// phase shorter, once the flight is down to one BDP.
func (b *BBR) isNextCyclePhase(priorInFlight wire.ByteCount, now time.Time) bool {
	fullLength := now.Sub(b.cycleStamp) > b.rtProp
	switch {
	case b.pacingGain == 1:
		return fullLength
	case b.pacingGain > 1:
		return fullLength && (b.lossSinceAck || priorInFlight >= b.bdp(b.pacingGain))
	default:
		return fullLength || priorInFlight <= b.bdp(1)
	}
}

// checkProbeRTT is BBRCheckProbeRTT.
func (b *BBR) checkProbeRTT(now time.Time) {
	if b.state != BBRProbeRTT && b.rtPropExp && !b.idleRestart {
		b.enterProbeRTT()
		b.saveCwnd()
		b.probeRTTDoneStamp = time.Time{}
	}
	if b.state == BBRProbeRTT {
		b.handleProbeRTT(now)
	}
	b.idleRestart = false
}

func (b *BBR) enterProbeRTT() {
	b.state = BBRProbeRTT
	b.pacingGain = 1
	b.cwndGain = 1
}

// handleProbeRTT is BBRHandleProbeRTT: once the flight is down to the
// minimum window, hold it there for bbrProbeRTTDuration and a round trip.
func (b *BBR) handleProbeRTT(now time.Time) {
	// Samples taken now say nothing about the bandwidth.
	b.sampler.markAppLimited(b.inflight)
	switch {
	case b.probeRTTDoneStamp.IsZero() && b.inflight <= b.minWindow():
		b.probeRTTDoneStamp = now.Add(bbrProbeRTTDuration)
		b.probeRTTRoundDone = false
		b.nextRoundDelivered = b.sampler.delivered
	case !b.probeRTTDoneStamp.IsZero():
		if b.roundStart {
			b.probeRTTRoundDone = true
		}
		if b.probeRTTRoundDone && now.After(b.probeRTTDoneStamp) {
			b.rtPropStamp = now
			b.restoreCwnd()
			b.exitProbeRTT(now)
		}
	}
}

func (b *BBR) exitProbeRTT(now time.Time) {
	if b.filledPipe {
		b.enterProbeBW(now)
	} else {
		b.enterStartup()
	}
}

// saveCwnd is BBRSaveCwnd: the window to come back to after ProbeRTT.
func (b *BBR) saveCwnd() {
	if !b.inRecovery && b.state != BBRProbeRTT {
		b.priorCwnd = b.cwnd
	} else {
		b.priorCwnd = max(b.priorCwnd, b.cwnd)
	}
}

func (b *BBR) restoreCwnd() { b.cwnd = max(b.cwnd, b.priorCwnd) }

// OnCongestionEvent forgets the lost packet's send state; the model and the
// window stay (random loss is not congestion to BBR). A loss during
// ProbeBW's probing phase ends that phase once it has lasted an RTprop.
func (b *BBR) OnCongestionEvent(pn wire.PacketNumber, lostBytes, _ wire.ByteCount) {
	b.inflight -= min(lostBytes, b.inflight)
	b.sampler.onLost(pn)
	b.lossSinceAck = true
}

// OnRetransmissionTimeout does nothing when packetsRetransmitted is false
// (a probe timeout says nothing about loss). Otherwise it reacts as to
// persistent congestion.
func (b *BBR) OnRetransmissionTimeout(packetsRetransmitted bool) {
	if packetsRetransmitted {
		b.OnPersistentCongestion()
	}
}

// OnPersistentCongestion drops the window to the minimum (4 datagrams) until
// it grows back by the bytes acknowledged; the model stays.
func (b *BBR) OnPersistentCongestion() {
	b.saveCwnd()
	b.cwnd = b.minWindow()
	b.inRecovery = true
	b.recoveryEnd = b.largestSent
}

// SetMaxDatagramSize sets the largest datagram size. A window at the
// minimum, or still at the initial window before anything was sent, moves
// to the new size's minimum or initial window. Zero is ignored.
func (b *BBR) SetMaxDatagramSize(s wire.ByteCount) {
	if s == 0 {
		return
	}
	wasMin := b.cwnd == b.minWindow()
	wasInitial := !b.sentAny && b.cwnd == b.initialWindow()
	b.maxDatagramSize = s
	b.pacer.maxDatagramSize = s
	switch {
	case wasInitial:
		b.cwnd = b.initialWindow()
		b.initPacingRate()
	case wasMin:
		b.cwnd = b.minWindow()
	}
	b.cwnd = min(max(b.cwnd, b.minWindow()), b.maxWindow())
	b.setSendQuantum()
}
