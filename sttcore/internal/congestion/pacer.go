package congestion

import (
	"math/bits"
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// pacer spreads packets over time (RFC 9002 §7.7), as quic-go's pacer.go
// does: a token bucket that fills at the pacing rate and holds at most
// maxBurst bytes. A packet may leave when the bucket holds a full-sized
// datagram; sending takes the packet's size out (never below zero).
//
// The rate is passed in on every call, so the pacer follows the controller
// without being told of its changes: Cubic paces at N × cwnd / smoothed_rtt
// (N = 5/4, cwndRate), BBR at pacing_gain × BtlBw (bandwidthRate).
type pacer struct {
	budgetAtLastSent wire.ByteCount
	lastSentTime     time.Time
	maxDatagramSize  wire.ByteCount
}

// rate is a pacing rate: bytes per per. Keeping it a fraction lets Cubic's
// N × cwnd / srtt be computed exactly, without a division per packet.
type rate struct {
	bytes uint64
	per   time.Duration // > 0
}

// cwndRate is Cubic's pacing rate, N × cwnd per smoothed RTT.
func cwndRate(cwnd wire.ByteCount, srtt time.Duration) rate {
	return rate{bytes: pacingWindow(cwnd), per: max(srtt, 1)}
}

// bandwidthRate is a pacing rate of bw bytes per second.
func bandwidthRate(bw Bandwidth) rate {
	return rate{bytes: uint64(bw), per: time.Second}
}

// paced returns what the rate earns in d, saturating.
func (r rate) paced(d time.Duration) wire.ByteCount {
	if d <= 0 {
		return 0
	}
	per := max(r.per, 1)
	hi, lo := bits.Mul64(r.bytes, uint64(d))
	if hi >= uint64(per) {
		return wire.ByteCount(1<<64 - 1)
	}
	q, _ := bits.Div64(hi, lo, uint64(per))
	return wire.ByteCount(q)
}

// pacingWindow is what Cubic's pacer sends per smoothed RTT: N × cwnd,
// computed without overflow.
func pacingWindow(cwnd wire.ByteCount) uint64 {
	return uint64(cwnd)/pacingGainDen*pacingGainNum + uint64(cwnd)%pacingGainDen*pacingGainNum/pacingGainDen
}

// maxBurst is the bucket size: maxBurstPackets datagrams, or what the rate
// earns in minPacingDelay plus a timer's granularity if that is more.
func (p *pacer) maxBurst(r rate) wire.ByteCount {
	return max(r.paced(minPacingDelay+TimerGranularity), maxBurstPackets*p.maxDatagramSize)
}

// Budget returns how many bytes may leave at now.
func (p *pacer) Budget(now time.Time, r rate) wire.ByteCount {
	burst := p.maxBurst(r)
	if p.lastSentTime.IsZero() {
		return burst
	}
	budget := p.budgetAtLastSent + r.paced(now.Sub(p.lastSentTime))
	if budget < p.budgetAtLastSent { // overflow
		return burst
	}
	return min(budget, burst)
}

// SentPacket takes size bytes out of the bucket.
func (p *pacer) SentPacket(now time.Time, size wire.ByteCount, r rate) {
	budget := p.Budget(now, r)
	if size >= budget {
		p.budgetAtLastSent = 0
	} else {
		p.budgetAtLastSent = budget - size
	}
	p.lastSentTime = now
}

// TimeUntilSend returns when the bucket will hold a full-sized datagram, at
// least minPacingDelay after the last packet; the zero time if it does now.
func (p *pacer) TimeUntilSend(r rate) time.Time {
	if p.lastSentTime.IsZero() || p.budgetAtLastSent >= p.maxDatagramSize {
		return time.Time{}
	}
	// ceil(missing × per / bytes)
	missing := uint64(p.maxDatagramSize - p.budgetAtLastSent)
	hi, lo := bits.Mul64(missing, uint64(max(r.per, 1)))
	var d time.Duration
	if r.bytes == 0 || hi >= r.bytes {
		d = time.Duration(1<<63 - 1)
	} else {
		q, rem := bits.Div64(hi, lo, r.bytes)
		if rem > 0 {
			q++
		}
		d = time.Duration(min(q, 1<<63-1))
	}
	return p.lastSentTime.Add(max(minPacingDelay, d))
}
