package congestion

import (
	"sync/atomic"
	"time"
)

// RTTStats estimates a path's round-trip time as RFC 9002 §5 says: the
// latest sample, the minimum, an exponentially weighted moving average
// (smoothed_rtt) and its mean deviation (rttvar).
//
// Before the first sample the smoothed RTT is the initial RTT
// (DefaultInitialRTT unless SetInitialRTT changed it) and the deviation half
// of it, so PTO is three initial RTTs (plus max_ack_delay); MinRTT and
// LatestRTT are zero. The zero value is ready to use, with a max_ack_delay
// of zero; NewRTTStats sets it to DefaultMaxAckDelay.
//
// One goroutine updates an RTTStats; the getters may be called from any
// goroutine.
type RTTStats struct {
	hasMeasurement atomic.Bool
	initialRTT     atomic.Int64 // nanoseconds; 0 means DefaultInitialRTT
	minRTT         atomic.Int64
	latestRTT      atomic.Int64
	smoothedRTT    atomic.Int64
	meanDeviation  atomic.Int64
	maxAckDelay    atomic.Int64
}

// NewRTTStats returns an estimator with no samples, the initial RTT
// DefaultInitialRTT and the max_ack_delay DefaultMaxAckDelay.
func NewRTTStats() *RTTStats {
	r := &RTTStats{}
	r.maxAckDelay.Store(int64(DefaultMaxAckDelay))
	return r
}

// HasMeasurement reports whether UpdateRTT has taken a sample.
func (r *RTTStats) HasMeasurement() bool { return r.hasMeasurement.Load() }

// initial is the RTT assumed before the first sample.
func (r *RTTStats) initial() time.Duration {
	if d := time.Duration(r.initialRTT.Load()); d > 0 {
		return d
	}
	return DefaultInitialRTT
}

// SetInitialRTT sets the RTT assumed until the first sample, for instance one
// measured by the handshake. It is ignored once a sample was taken, and for
// d ≤ 0.
func (r *RTTStats) SetInitialRTT(d time.Duration) {
	if d <= 0 || r.HasMeasurement() {
		return
	}
	r.initialRTT.Store(int64(d))
}

// SetMaxAckDelay sets the peer's max_ack_delay: the largest ack delay
// UpdateRTT subtracts, and a term of PTO. Negative values count as zero.
func (r *RTTStats) SetMaxAckDelay(d time.Duration) {
	r.maxAckDelay.Store(int64(max(d, 0)))
}

// MaxAckDelay returns the peer's max_ack_delay.
func (r *RTTStats) MaxAckDelay() time.Duration { return time.Duration(r.maxAckDelay.Load()) }

// MinRTT returns min_rtt, the smallest sample seen (ack delay not
// subtracted), or zero before the first sample.
func (r *RTTStats) MinRTT() time.Duration { return time.Duration(r.minRTT.Load()) }

// LatestRTT returns latest_rtt, the most recent sample as measured (ack delay
// not subtracted), or zero before the first sample.
func (r *RTTStats) LatestRTT() time.Duration { return time.Duration(r.latestRTT.Load()) }

// SmoothedRTT returns smoothed_rtt, or the initial RTT before the first
// sample.
func (r *RTTStats) SmoothedRTT() time.Duration {
	if !r.HasMeasurement() {
		return r.initial()
	}
	return time.Duration(r.smoothedRTT.Load())
}

// MeanDeviation returns rttvar, or half the initial RTT before the first
// sample.
func (r *RTTStats) MeanDeviation() time.Duration {
	if !r.HasMeasurement() {
		return r.initial() / 2
	}
	return time.Duration(r.meanDeviation.Load())
}

// PTO returns the probe timeout of RFC 9002 §6.2.1 without backoff:
// smoothed_rtt + max(4 × rttvar, TimerGranularity), plus max_ack_delay if
// includeMaxAckDelay (for packets the peer may acknowledge with delay). The
// sum saturates instead of overflowing.
func (r *RTTStats) PTO(includeMaxAckDelay bool) time.Duration {
	pto := satAdd(r.SmoothedRTT(), max(satMul(r.MeanDeviation(), 4), TimerGranularity))
	if includeMaxAckDelay {
		pto = satAdd(pto, r.MaxAckDelay())
	}
	return pto
}

// UpdateRTT takes an RTT sample: the time from sending the largest newly
// acknowledged packet to receiving its acknowledgment, and the ack delay the
// peer reported in the ACK frame. It follows RFC 9002 §5.3: the ack delay is
// capped at max_ack_delay and subtracted only if the result stays at or
// above min_rtt; the first sample sets smoothed_rtt to the sample and rttvar
// to half of it; later ones move smoothed_rtt by 1/8 and rttvar by 1/4 of
// their distance. Samples ≤ 0, which only a broken clock produces, are
// ignored, as is a negative ack delay.
func (r *RTTStats) UpdateRTT(sample, ackDelay time.Duration) {
	if sample <= 0 {
		return
	}
	r.latestRTT.Store(int64(sample))
	if !r.HasMeasurement() {
		r.minRTT.Store(int64(sample))
		r.smoothedRTT.Store(int64(sample))
		r.meanDeviation.Store(int64(sample / 2))
		r.hasMeasurement.Store(true)
		return
	}
	minRTT := min(r.MinRTT(), sample)
	r.minRTT.Store(int64(minRTT))

	ackDelay = min(max(ackDelay, 0), r.MaxAckDelay())
	adjusted := sample
	if sample-minRTT >= ackDelay {
		adjusted = sample - ackDelay
	}
	// rttvar = 3/4 rttvar + 1/4 |smoothed_rtt − adjusted_rtt| and
	// smoothed_rtt = 7/8 smoothed_rtt + 1/8 adjusted_rtt, written as steps
	// towards the new value so that no intermediate product can overflow.
	smoothed := time.Duration(r.smoothedRTT.Load())
	rttvar := time.Duration(r.meanDeviation.Load())
	rttvar += ((smoothed - adjusted).Abs() - rttvar) / 4
	smoothed += (adjusted - smoothed) / 8
	r.meanDeviation.Store(int64(rttvar))
	r.smoothedRTT.Store(int64(smoothed))
}

// satAdd returns a+b for non-negative durations, saturating at the largest
// Duration.
func satAdd(a, b time.Duration) time.Duration {
	if s := a + b; s >= a {
		return s
	}
	return time.Duration(1<<63 - 1)
}

// satMul returns d×n for non-negative d and n > 0, saturating.
func satMul(d time.Duration, n int64) time.Duration {
	if d > time.Duration((1<<63-1)/n) {
		return time.Duration(1<<63 - 1)
	}
	return d * time.Duration(n)
}
