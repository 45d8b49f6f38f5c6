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

// newSteadyBBR returns a BBR with a steady flight of inFlight packets, sent
// a microsecond apart, each acknowledged 20 ms after it left; and the next
// packet number and time. step sends one packet and acknowledges the
// oldest.
func newSteadyBBR(inFlight int) (b *BBR, step func()) {
	b = NewBBR(nil, benchMSS)
	now := t0
	var pn wire.PacketNumber
	flight := wire.ByteCount(0)
	step = func() {
		now = now.Add(time.Microsecond)
		flight += benchMSS
		b.OnPacketSent(now, flight, pn, benchMSS, true)
		if pn >= wire.PacketNumber(inFlight) {
			if pn%100 == 0 { // a loss now and then
				b.OnCongestionEvent(pn-wire.PacketNumber(inFlight), benchMSS, flight)
			} else {
				b.OnPacketAcked(pn-wire.PacketNumber(inFlight), benchMSS, flight, now.Add(20*time.Millisecond))
			}
			flight -= benchMSS
		}
		pn++
	}
	for range 2 * inFlight {
		step()
	}
	return b, step
}

// BenchmarkBBRSendAndAck is a packet's whole life in BBR: its send and its
// acknowledgment (one in a hundred lost instead).
func BenchmarkBBRSendAndAck(b *testing.B) {
	_, step := newSteadyBBR(1000)
	b.ReportAllocs()
	b.SetBytes(benchMSS)
	for b.Loop() {
		step()
	}
}

func BenchmarkBBRHasPacingBudget(b *testing.B) {
	c, _ := newSteadyBBR(1000)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Microsecond)
		_ = c.HasPacingBudget(now)
	}
}

func TestBBRHotPathsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c, step := newSteadyBBR(1000)
	now := t0
	allocs := testing.AllocsPerRun(5000, func() {
		now = now.Add(time.Microsecond)
		step()
		_ = c.HasPacingBudget(now)
		_ = c.TimeUntilSend(0)
		_ = c.CanSend(0)
		c.OnAppLimited(0)
	})
	require.Zero(t, allocs)
}
