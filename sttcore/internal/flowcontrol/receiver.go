package flowcontrol

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Tuning constants, those of quic-go (internal/protocol/params.go).
const (
	// A new limit is due once a quarter of the window has been consumed,
	// that is when at most three quarters of it remain unused
	// (quic-go's WindowUpdateThreshold = 0.25).
	updateThresholdDenominator = 4
	// The window grows when the reader consumed a fraction f of it within
	// autoTuneRTTs·f smoothed RTTs, the whole window within four RTTs.
	autoTuneRTTs = 4
)

// receiver is the receiving half that both levels share, quic-go's
// receiveFlowController: the limit advertised to the peer, what arrived,
// what the reader consumed, and the auto-tuning epoch.
type receiver struct {
	bytesRead       wire.ByteCount // consumed by the reader, or given up by Abandon
	highestReceived wire.ByteCount // the highest offset received (the session: the sum over streams)
	limit           wire.ByteCount // the credit advertised: the peer may send up to here
	windowSize      wire.ByteCount // how far past bytesRead the next limit lies
	maxWindowSize   wire.ByteCount // the bound of auto-tuning

	epochStart       time.Time      // when the current auto-tuning epoch began
	epochStartOffset wire.ByteCount // bytesRead when it began

	rtt func() time.Duration // smoothed RTT; nil or 0 disables auto-tuning
}

func newReceiver(window, maxWindow wire.ByteCount, rtt func() time.Duration) receiver {
	window = min(window, wire.MaxVarint62)
	maxWindow = min(max(maxWindow, window), wire.MaxVarint62)
	return receiver{limit: window, windowSize: window, maxWindowSize: maxWindow, rtt: rtt}
}

// hasWindowUpdate reports whether a new limit is due: a quarter of the
// window has been consumed, and the limit can still grow.
func (r *receiver) hasWindowUpdate() bool {
	if r.windowSize == 0 || r.limit >= wire.MaxVarint62 {
		return false
	}
	remaining := r.limit - min(r.bytesRead, r.limit)
	// remaining <= ⌊windowSize·3/4⌋, computed without overflow or floats.
	quarter := r.windowSize/updateThresholdDenominator + min(r.windowSize%updateThresholdDenominator, 1)
	return remaining <= r.windowSize-quarter
}

// getWindowUpdate moves the limit to bytesRead+windowSize if an update is
// due and returns it, or returns 0.
func (r *receiver) getWindowUpdate(now time.Time) wire.ByteCount {
	if !r.hasWindowUpdate() {
		return 0
	}
	r.maybeAdjustWindowSize(now)
	limit := wire.ByteCount(wire.MaxVarint62)
	if r.bytesRead < limit && r.windowSize < limit-r.bytesRead {
		limit = r.bytesRead + r.windowSize
	}
	if limit <= r.limit {
		return 0
	}
	r.limit = limit
	return limit
}

// maybeAdjustWindowSize doubles the window, up to its maximum, when the
// reader consumed more than half of it in this epoch and did so quickly:
// fraction f of the window in less than 4·f smoothed RTTs. It then starts a
// new epoch. (quic-go's maybeAdjustWindowSize; the reasoning is in its
// auto-tuning design document.)
func (r *receiver) maybeAdjustWindowSize(now time.Time) {
	inEpoch := r.bytesRead - min(r.epochStartOffset, r.bytesRead)
	if inEpoch <= r.windowSize/2 {
		return
	}
	var rtt time.Duration
	if r.rtt != nil {
		rtt = r.rtt()
	}
	if rtt <= 0 {
		return
	}
	fraction := float64(inEpoch) / float64(r.windowSize)
	if now.Sub(r.epochStart) < time.Duration(autoTuneRTTs*fraction*float64(rtt)) {
		r.windowSize = max(r.windowSize, min(2*r.windowSize, r.maxWindowSize))
	}
	r.startEpoch(now)
}

func (r *receiver) startEpoch(now time.Time) {
	r.epochStart = now
	r.epochStartOffset = r.bytesRead
}
