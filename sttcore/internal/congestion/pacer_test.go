package congestion

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// pacedRate is the pacing rate in bytes per nanosecond: 1.25 × cwnd / srtt.
func pacedRate(cwnd wire.ByteCount, srtt time.Duration) float64 {
	return 1.25 * float64(cwnd) / float64(srtt)
}

// burstBytes is the bucket size: 10 datagrams or 2 ms at the rate.
func burstBytes(cwnd, mss wire.ByteCount, srtt time.Duration) float64 {
	return max(10*float64(mss), pacedRate(cwnd, srtt)*float64(2*time.Millisecond))
}

func TestPacerInitialBurst(t *testing.T) {
	c := NewCubic(NewRTTStats(), 1200) // 12000 bytes per 100 ms: 150 kB/s
	require.True(t, c.TimeUntilSend(0).IsZero())
	for i := range 10 {
		require.True(t, c.HasPacingBudget(t0), "packet %d of the burst", i)
		c.OnPacketSent(t0, 0, wire.PacketNumber(i), 1200, true)
	}
	require.False(t, c.HasPacingBudget(t0))
	// 1200 bytes at 150 kB/s take 8 ms.
	next := c.TimeUntilSend(0)
	require.Equal(t, t0.Add(8*time.Millisecond), next)
	require.False(t, c.HasPacingBudget(next.Add(-time.Nanosecond)))
	require.True(t, c.HasPacingBudget(next))
}

func TestPacerTimeUntilSend(t *testing.T) {
	c, _ := newTestCubic(10*time.Millisecond, 1000)
	c.cwnd = 1000 * 1000 // 125 MB/s: 125 kB per ms
	// A budget of at least a datagram left: send at once.
	c.OnPacketSent(t0, 0, 1, 1000, true)
	require.True(t, c.TimeUntilSend(0).IsZero())
	// Drain the bucket: the next send waits at least minPacingDelay, even
	// though the rate earns a datagram in 8 µs.
	for pn := wire.PacketNumber(2); c.HasPacingBudget(t0); pn++ {
		c.OnPacketSent(t0, 0, pn, 1000, true)
	}
	require.Equal(t, t0.Add(minPacingDelay), c.TimeUntilSend(0))
	// By then the bucket holds what a millisecond earns: 125 datagrams.
	now := c.TimeUntilSend(0)
	n := 0
	for pn := wire.PacketNumber(1000); c.HasPacingBudget(now); pn++ {
		c.OnPacketSent(now, 0, pn, 1000, true)
		n++
	}
	require.Equal(t, 125, n)
}

// TestPacerNeverExceedsBudget sends whenever the pacer allows, at random
// moments and with random sizes, and checks every interval [t_i, t_j]: the
// bytes sent in it are at most the bucket size plus what the rate earns in
// t_j − t_i.
func TestPacerNeverExceedsBudget(t *testing.T) {
	tests := []struct {
		name string
		cwnd wire.ByteCount
		srtt time.Duration
		mss  wire.ByteCount
	}{
		{"initial window", 12000, 100 * time.Millisecond, 1200},
		{"LAN", 200 * 1200, 2 * time.Millisecond, 1200},
		{"WAN", 500 * 1452, 60 * time.Millisecond, 1452},
		{"large window", 10000 * 1200, 20 * time.Millisecond, 1200},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			c, _ := newTestCubic(tt.srtt, tt.mss)
			c.cwnd = tt.cwnd
			rate := pacedRate(tt.cwnd, tt.srtt)
			burst := burstBytes(tt.cwnd, tt.mss, tt.srtt)

			now := t0
			var sent float64 // bytes sent so far
			minPrefix := 0.0 // min over i ≤ j of S_{i−1} − rate·t_i
			first := true
			for pn := range wire.PacketNumber(20000) {
				if rng.IntN(4) == 0 {
					now = now.Add(time.Duration(rng.Int64N(int64(3 * time.Millisecond))))
				}
				if !c.HasPacingBudget(now) {
					continue
				}
				size := tt.mss
				if rng.IntN(3) == 0 {
					size = 1 + wire.ByteCount(rng.Int64N(int64(tt.mss)))
				}
				tns := float64(now.Sub(t0))
				if v := sent - rate*tns; first || v < minPrefix {
					minPrefix, first = v, false
				}
				c.OnPacketSent(now, 0, pn, size, true)
				sent += float64(size)
				// S_j − S_{i−1} ≤ burst + rate·(t_j − t_i) for all i ≤ j
				require.LessOrEqual(t, sent-rate*tns-minPrefix, burst+1, "packet %d", pn)
			}
			require.Greater(t, sent, burst, "the test must run past the first burst")
		})
	}
}

// TestPacerRate lets a sender go whenever the pacer allows and waits for
// TimeUntilSend otherwise: over a second it sends what the rate earns, plus
// the initial burst.
func TestPacerRate(t *testing.T) {
	tests := []struct {
		name   string
		cwnd   wire.ByteCount
		srtt   time.Duration
		mss    wire.ByteCount
		period time.Duration
	}{
		{"one datagram per 8 ms", 12000, 100 * time.Millisecond, 1200, 2 * time.Second},
		{"7.5 MB/s", 100 * 1200, 20 * time.Millisecond, 1200, time.Second},
		{"uneven", 77 * 1452, 33 * time.Millisecond, 1452, time.Second},
		{"1.5 GB/s", 10000 * 1200, 10 * time.Millisecond, 1200, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCubic(tt.srtt, tt.mss)
			c.cwnd = tt.cwnd
			end := t0.Add(tt.period)
			now := t0
			var sent float64
			var pn wire.PacketNumber
			for now.Before(end) {
				if c.HasPacingBudget(now) {
					c.OnPacketSent(now, 0, pn, tt.mss, true)
					pn++
					sent += float64(tt.mss)
					continue
				}
				next := c.TimeUntilSend(0)
				require.True(t, next.After(now), "TimeUntilSend %v is not after %v, though the budget is short", next, now)
				now = next
			}
			want := pacedRate(tt.cwnd, tt.srtt) * float64(tt.period)
			burst := burstBytes(tt.cwnd, tt.mss, tt.srtt)
			require.GreaterOrEqual(t, sent, want-2*float64(tt.mss), "sent too little")
			require.LessOrEqual(t, sent, want+burst+float64(tt.mss), "sent too much")
		})
	}
}
