package congestion

import (
	"math/bits"
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// pacer spreads a window's packets over a round trip (RFC 9002 §7.7), as
// quic-go's pacer.go does: a token bucket that fills at the pacing rate
// N × cwnd / smoothed_rtt (N = 5/4) and holds at most maxBurst bytes. A
// packet may leave when the bucket holds a full-sized datagram; sending
// takes the packet's size out (never below zero).
//
// The rate is passed in as the pair (cwnd, srtt) on every call, so the pacer
// follows the window without being told of its changes.
type pacer struct {
	budgetAtLastSent wire.ByteCount
	lastSentTime     time.Time
	maxDatagramSize  wire.ByteCount
}

// paced returns what the pacing rate for (cwnd, srtt) earns in d:
// 5/4 × cwnd × d / srtt, saturating.
func paced(d time.Duration, cwnd wire.ByteCount, srtt time.Duration) wire.ByteCount {
	if d <= 0 {
		return 0
	}
	srtt = max(srtt, 1)
	w := pacingWindow(cwnd)
	hi, lo := bits.Mul64(w, uint64(d))
	if hi >= uint64(srtt) {
		return wire.ByteCount(1<<64 - 1)
	}
	q, _ := bits.Div64(hi, lo, uint64(srtt))
	return wire.ByteCount(q)
}

// pacingWindow is what the pacer sends per smoothed RTT: N × cwnd, computed
// without overflow.
func pacingWindow(cwnd wire.ByteCount) uint64 {
	return uint64(cwnd)/pacingGainDen*pacingGainNum + uint64(cwnd)%pacingGainDen*pacingGainNum/pacingGainDen
}

// maxBurst is the bucket size: maxBurstPackets datagrams, or what the rate
// earns in minPacingDelay plus a timer's granularity if that is more.
func (p *pacer) maxBurst(cwnd wire.ByteCount, srtt time.Duration) wire.ByteCount {
	return max(paced(minPacingDelay+TimerGranularity, cwnd, srtt), maxBurstPackets*p.maxDatagramSize)
}

// Budget returns how many bytes may leave at now.
func (p *pacer) Budget(now time.Time, cwnd wire.ByteCount, srtt time.Duration) wire.ByteCount {
	burst := p.maxBurst(cwnd, srtt)
	if p.lastSentTime.IsZero() {
		return burst
	}
	budget := p.budgetAtLastSent + paced(now.Sub(p.lastSentTime), cwnd, srtt)
	if budget < p.budgetAtLastSent { // overflow
		return burst
	}
	return min(budget, burst)
}

// SentPacket takes size bytes out of the bucket.
func (p *pacer) SentPacket(now time.Time, size, cwnd wire.ByteCount, srtt time.Duration) {
	budget := p.Budget(now, cwnd, srtt)
	if size >= budget {
		p.budgetAtLastSent = 0
	} else {
		p.budgetAtLastSent = budget - size
	}
	p.lastSentTime = now
}

// TimeUntilSend returns when the bucket will hold a full-sized datagram, at
// least minPacingDelay after the last packet; the zero time if it does now.
func (p *pacer) TimeUntilSend(cwnd wire.ByteCount, srtt time.Duration) time.Time {
	if p.lastSentTime.IsZero() || p.budgetAtLastSent >= p.maxDatagramSize {
		return time.Time{}
	}
	// ceil(missing × srtt / (5/4 × cwnd))
	w := pacingWindow(cwnd)
	missing := uint64(p.maxDatagramSize - p.budgetAtLastSent)
	hi, lo := bits.Mul64(missing, uint64(max(srtt, 1)))
	var d time.Duration
	if w == 0 || hi >= w {
		d = time.Duration(1<<63 - 1)
	} else {
		q, r := bits.Div64(hi, lo, w)
		if r > 0 {
			q++
		}
		d = time.Duration(min(q, 1<<63-1))
	}
	return p.lastSentTime.Add(max(minPacingDelay, d))
}
