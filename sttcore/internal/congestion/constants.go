package congestion

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Specification constants (RFC 9002, RFC 9438), under the RFCs' names.
const (
	// TimerGranularity is kGranularity (RFC 9002 §6.1.2): the smallest
	// timer period a sender relies on.
	TimerGranularity = time.Millisecond
	// DefaultInitialRTT is the RTT assumed before the first sample (RFC 9002
	// §6.2.2 suggests 333 ms; STT peers have just completed a handshake, so
	// a smaller value is used, as quic-go does). RTTStats.SetInitialRTT
	// overrides it.
	DefaultInitialRTT = 100 * time.Millisecond
	// DefaultMaxAckDelay is the max_ack_delay of RFC 9000 §18.2 that STT
	// peers use: how long a receiver may delay an ACK.
	DefaultMaxAckDelay = 25 * time.Millisecond

	// cubicC is C of RFC 9438 §4.1, in segments per second cubed.
	cubicC = 0.4
	// cubicBeta is β_cubic of RFC 9438 §4.1, the multiplicative decrease.
	cubicBeta = 0.7
	// cubicAlpha is α_cubic of RFC 9438 §4.3, 3(1−β)/(1+β): the additive
	// increase per RTT of the Reno-friendly estimate W_est.
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)

	// BBR (draft-cardwell-iccrg-bbr-congestion-control-00 §4).

	// bbrHighGain is BBRHighGain, 2/ln(2): the smallest gain that lets the
	// sending rate double every round trip; pacing and window gain in
	// Startup, and the inverse of the pacing gain in Drain.
	bbrHighGain = 2.885
	// bbrBtlBwFilterLen is BtlBwFilterLen: the bottleneck bandwidth is the
	// largest delivery rate of the last 10 round trips.
	bbrBtlBwFilterLen = 10
	// bbrRTpropFilterLen is RTpropFilterLen: a min_rtt (RTprop) older than
	// this expires, which sends the flow to ProbeRTT.
	bbrRTpropFilterLen = 10 * time.Second
	// bbrProbeRTTDuration is ProbeRTTDuration: the least time ProbeRTT holds
	// the window at bbrMinPipeCwndPackets.
	bbrProbeRTTDuration = 200 * time.Millisecond
	// bbrMinPipeCwndPackets is BBRMinPipeCwnd in datagrams: the smallest
	// window BBR uses, enough to keep delayed ACKs flowing.
	bbrMinPipeCwndPackets = 4
	// bbrCwndGain is the window gain in ProbeBW: twice the estimated
	// bandwidth-delay product, to absorb delayed and stretched ACKs.
	bbrCwndGain = 2
	// bbrGainCycleLen is BBRGainCycleLen: the phases of ProbeBW's pacing
	// gain cycle (bbrPacingGainCycle).
	bbrGainCycleLen = 8
	// bbrFullBwThreshold and bbrFullBwCount: Startup ends (the pipe is full)
	// after bbrFullBwCount round trips without the bandwidth growing by at
	// least a factor of bbrFullBwThreshold.
	bbrFullBwThreshold = 1.25
	bbrFullBwCount     = 3
)

// bbrPacingGainCycle is ProbeBW's pacing gain in phase i of the cycle (draft
// §4.3.4.2): probe at 5/4, drain the queue that made at 3/4, cruise at 1 for
// six round trips.
func bbrPacingGainCycle(i int) float64 {
	switch i {
	case 0:
		return 5.0 / 4
	case 1:
		return 3.0 / 4
	default:
		return 1
	}
}

// Implementation constants.
const (
	// DefaultMaxDatagramSize is the maximum datagram size NewCubic assumes
	// when given zero: the smallest UDP payload every QUIC path carries
	// (RFC 9000 §14), a safe guess until the path's MTU is known.
	DefaultMaxDatagramSize wire.ByteCount = 1200
	// minimumWindowPackets is kMinimumWindow (RFC 9002 §7.2) in datagrams.
	minimumWindowPackets = 2
	// maxWindowPackets bounds the window, and with it how many packets a
	// sender tracks (quic-go's MaxCongestionWindowPackets).
	maxWindowPackets = 10000
	// maxBurstPackets is the pacer's bucket size in datagrams; the bucket
	// also holds at least what the pacing rate earns in minPacingDelay plus
	// TimerGranularity, because timers cannot fire more finely.
	maxBurstPackets = 10
	// minPacingDelay is the shortest wait the pacer asks for: pacing more
	// finely would cost a timer per packet. Packets then leave in small
	// bursts of what the rate earns in this time.
	minPacingDelay = time.Millisecond
	// pacingGainNum/pacingGainDen is N of RFC 9002 §7.7: the pacer sends at
	// N × cwnd / smoothed_rtt so that RTT variation does not leave the
	// window unused.
	pacingGainNum, pacingGainDen = 5, 4
	// cwndLimitedSlackPackets: the window counts as fully used (growth is
	// allowed) while fewer than this many datagrams of it are free.
	cwndLimitedSlackPackets = 3
	// bbrMinPacingRate is the lowest pacing rate BBR uses (64 kbit/s, as
	// hysteria's BBR), so that a model gone wrong never stops the sender.
	bbrMinPacingRate Bandwidth = 8000
	// bbrMaxTrackedPackets bounds the packets BBR keeps send state for: a
	// power of two above the largest window (maxWindowPackets). Beyond it
	// the oldest record is dropped, and its packet gives no rate sample when
	// acknowledged.
	bbrMaxTrackedPackets = 1 << 14
	// bbrInitialTracked is the initial size of that ring, in records.
	bbrInitialTracked = 64
)
