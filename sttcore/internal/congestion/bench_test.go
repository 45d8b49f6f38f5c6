package congestion

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

const benchMSS = 1200

// newCongestionAvoidance returns a controller past slow start, in
// congestion avoidance, and the next packet number.
func newCongestionAvoidance() (*Cubic, wire.PacketNumber) {
	c, _ := newTestCubic(20*time.Millisecond, benchMSS)
	c.cwnd = 500 * benchMSS
	c.OnPacketSent(t0, 0, 0, benchMSS, true)
	c.OnCongestionEvent(0, benchMSS, c.cwnd)
	return c, 1
}

func BenchmarkOnPacketSent(b *testing.B) {
	c, pn := newCongestionAvoidance()
	now := t0
	b.ReportAllocs()
	b.SetBytes(benchMSS)
	for b.Loop() {
		now = now.Add(time.Microsecond)
		c.OnPacketSent(now, c.cwnd, pn, benchMSS, true)
		pn++
	}
}

func BenchmarkOnPacketAcked(b *testing.B) {
	c, pn := newCongestionAvoidance()
	now := t0
	b.ReportAllocs()
	b.SetBytes(benchMSS)
	for b.Loop() {
		now = now.Add(time.Microsecond)
		c.OnPacketSent(now, c.cwnd, pn, benchMSS, true)
		c.OnPacketAcked(pn, benchMSS, c.cwnd, now)
		if pn%10000 == 0 { // stay in congestion avoidance, below the maximum window
			c.OnCongestionEvent(pn, benchMSS, c.cwnd)
		}
		pn++
	}
}

func BenchmarkHasPacingBudget(b *testing.B) {
	c, _ := newCongestionAvoidance()
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		_ = c.HasPacingBudget(now)
	}
}

func BenchmarkUpdateRTT(b *testing.B) {
	r := NewRTTStats()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		r.UpdateRTT(time.Duration(20+i%5)*time.Millisecond, time.Millisecond)
		i++
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, pn := newCongestionAvoidance()
	now := t0
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Microsecond)
		c.OnPacketSent(now, c.cwnd, pn, benchMSS, true)
		_ = c.HasPacingBudget(now)
		_ = c.TimeUntilSend(c.cwnd)
		_ = c.CanSend(c.cwnd)
		c.OnPacketAcked(pn, benchMSS, c.cwnd, now)
		c.rtt.UpdateRTT(20*time.Millisecond, time.Millisecond)
		if pn%100 == 0 {
			c.OnCongestionEvent(pn, benchMSS, c.cwnd)
		}
		pn++
	})
	require.Zero(t, allocs)
}
