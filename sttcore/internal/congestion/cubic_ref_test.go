package congestion

import "math"

// rfc9438 is CUBIC as RFC 9438 writes it, in segments and seconds, with
// RFC 9002's byte-counting slow start: the slow, obvious version Cubic is
// checked against. It knows nothing of recovery periods or application
// limits; the tests drive it only where those do not apply.
type rfc9438 struct {
	cwnd, ssthresh float64 // segments
	wMax           float64 // W_max
	cwndPrior      float64
	k              float64 // K, seconds
	tEpoch         float64 // seconds
	cwndEpoch      float64
	wEst           float64 // W_est
	inEpoch        bool

	// What the run went through, so that tests can require coverage.
	renoFriendly, cubicRegion, fastConvergence, slowStart, targetCapped int
}

const (
	refC    = 0.4
	refBeta = 0.7
)

func newRFC9438(initialWindow float64) *rfc9438 {
	return &rfc9438{cwnd: initialWindow, ssthresh: math.Inf(1)}
}

// wCubic is W_cubic(t) = C × (t − K)³ + W_max (§4.2, Figure 1).
func (r *rfc9438) wCubic(t float64) float64 {
	return refC*math.Pow(t-r.k, 3) + r.wMax
}

// onAck is one new acknowledgment of segmentsAcked segments at now seconds,
// with the smoothed RTT rtt.
func (r *rfc9438) onAck(now, segmentsAcked, rtt float64) {
	if r.cwnd < r.ssthresh {
		r.cwnd += segmentsAcked // slow start, RFC 9002 §7.3.1
		r.slowStart++
		return
	}
	if !r.inEpoch {
		r.inEpoch = true
		r.tEpoch = now
		r.cwndEpoch = r.cwnd
		if r.wMax <= r.cwnd {
			r.wMax = r.cwnd
		}
		// K = ∛((W_max − cwnd_epoch) / C)  (§4.2, Figure 2)
		r.k = math.Cbrt((r.wMax - r.cwndEpoch) / refC)
		r.wEst = r.cwndEpoch // §4.3
	}
	t := now - r.tEpoch
	// target = W_cubic(t + RTT), within [cwnd, 1.5 × cwnd]  (§4.2)
	target := r.wCubic(t + rtt)
	if target < r.cwnd {
		target = r.cwnd
	} else if target > 1.5*r.cwnd {
		target = 1.5 * r.cwnd
		r.targetCapped++
	}
	// W_est = W_est + α_cubic × segments_acked / cwnd  (§4.3, Figure 4),
	// α_cubic = 3(1 − β)/(1 + β), or 1 once W_est ≥ cwnd_prior.
	alpha := 3 * (1 - refBeta) / (1 + refBeta)
	if r.wEst >= r.cwndPrior {
		alpha = 1
	}
	r.wEst += alpha * segmentsAcked / r.cwnd
	if r.wCubic(t) < r.wEst {
		r.cwnd = r.wEst // Reno-friendly region
		r.renoFriendly++
		return
	}
	// Concave and convex regions: cwnd += (target − cwnd)/cwnd per
	// acknowledged segment (§4.4, §4.5).
	r.cwnd += (target - r.cwnd) / r.cwnd * segmentsAcked
	r.cubicRegion++
}

// onLoss is a congestion event (§4.6, §4.7).
func (r *rfc9438) onLoss() {
	if r.cwnd < r.wMax {
		r.wMax = r.cwnd * (1 + refBeta) / 2 // fast convergence
		r.fastConvergence++
	} else {
		r.wMax = r.cwnd
	}
	r.cwndPrior = r.cwnd
	r.ssthresh = math.Max(r.cwnd*refBeta, 2) // at least 2 segments
	r.cwnd = r.ssthresh
	r.inEpoch = false
}
