package congestion

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newTestCubic returns a controller whose smoothed RTT is exactly srtt.
func newTestCubic(srtt time.Duration, mss wire.ByteCount) (*Cubic, *RTTStats) {
	rtt := NewRTTStats()
	rtt.UpdateRTT(srtt, 0)
	return NewCubic(rtt, mss), rtt
}

func TestInitialWindow(t *testing.T) {
	tests := []struct {
		mss, want wire.ByteCount
	}{
		{0, 12000}, // DefaultMaxDatagramSize
		{700, 7000},
		{1200, 12000},
		{1472, 14720},
		{1500, 14720},
		{9000, 18000},
	}
	for _, tt := range tests {
		c := NewCubic(nil, tt.mss)
		require.Equal(t, tt.want, c.GetCongestionWindow(), "mss %d", tt.mss)
		require.True(t, c.InSlowStart())
		require.False(t, c.InRecovery())
		require.True(t, c.CanSend(tt.want-1))
		require.False(t, c.CanSend(tt.want))
	}
}

// TestSlowStartDoublesPerRTT runs a window-limited sender round by round:
// each round's packets are acknowledged one by one, and each ACK lets new
// packets go. Byte-counting slow start doubles the window every round.
func TestSlowStartDoublesPerRTT(t *testing.T) {
	for _, mss := range []wire.ByteCount{1200, 1452} {
		const srtt = 50 * time.Millisecond
		c, _ := newTestCubic(srtt, mss)
		now := t0
		var pn wire.PacketNumber
		var inFlight wire.ByteCount
		var queue []wire.PacketNumber // sent, not yet acknowledged
		fill := func() {
			for c.CanSend(inFlight) {
				inFlight += mss
				c.OnPacketSent(now, inFlight, pn, mss, true)
				queue = append(queue, pn)
				pn++
			}
		}
		fill()
		for round := range 8 {
			start := c.GetCongestionWindow()
			require.True(t, c.InSlowStart())
			now = now.Add(srtt)
			roundPackets := queue
			queue = nil
			for _, p := range roundPackets {
				prior := inFlight
				inFlight -= mss
				c.OnPacketAcked(p, mss, prior, now)
				fill()
			}
			require.Equal(t, 2*start, c.GetCongestionWindow(), "mss %d round %d", mss, round)
		}
	}
}

// TestOneReductionPerRecoveryPeriod: losses of packets sent before the
// window was reduced do not reduce it again, acknowledgments of them do not
// grow it, and the period ends with the first acknowledgment of a packet
// sent after the reduction.
func TestOneReductionPerRecoveryPeriod(t *testing.T) {
	const mss = 1200
	c, _ := newTestCubic(100*time.Millisecond, mss)
	now := t0
	for pn := range wire.PacketNumber(10) {
		c.OnPacketSent(now, 0, pn, mss, true)
	}
	w0 := c.GetCongestionWindow()
	c.OnCongestionEvent(2, mss, w0)
	w1 := c.GetCongestionWindow()
	require.Equal(t, wire.ByteCount(float64(w0)*0.7), w1)
	require.True(t, c.InRecovery())
	require.False(t, c.InSlowStart())
	require.Equal(t, w1, c.SlowStartThreshold())

	// More losses from before the reduction: no further cut.
	for _, pn := range []wire.PacketNumber{3, 5, 9} {
		c.OnCongestionEvent(pn, mss, w0)
		require.Equal(t, w1, c.GetCongestionWindow(), "loss of %d", pn)
	}
	// Acknowledgments of packets from before it: no growth, still recovering.
	for _, pn := range []wire.PacketNumber{4, 6, 7, 8} {
		c.OnPacketAcked(pn, mss, w1, now)
		require.Equal(t, w1, c.GetCongestionWindow(), "ack of %d", pn)
		require.True(t, c.InRecovery())
	}
	// A packet sent after the reduction is acknowledged: recovery ends.
	now = now.Add(100 * time.Millisecond)
	c.OnPacketSent(now, 0, 10, mss, true)
	c.OnPacketSent(now, 0, 11, mss, true)
	c.OnPacketAcked(10, mss, w1, now.Add(100*time.Millisecond))
	require.False(t, c.InRecovery())
	require.GreaterOrEqual(t, c.GetCongestionWindow(), w1)
	// A late loss from before the first reduction still does not count.
	c.OnCongestionEvent(1, mss, w1)
	w2 := c.GetCongestionWindow()
	require.GreaterOrEqual(t, w2, w1)
	// Losing a packet sent after it starts a new period.
	c.OnCongestionEvent(11, mss, w2)
	require.Equal(t, wire.ByteCount((float64(w2)+c.cwndFrac)*0.7), c.GetCongestionWindow())
	require.True(t, c.InRecovery())
}

func TestMinimumWindow(t *testing.T) {
	const mss = 1200
	tests := []struct {
		name  string
		event func(c *Cubic, pn wire.PacketNumber)
	}{
		{"losses in successive periods", func(c *Cubic, pn wire.PacketNumber) { c.OnCongestionEvent(pn, mss, 0) }},
		{"persistent congestion", func(c *Cubic, _ wire.PacketNumber) { c.OnPersistentCongestion() }},
		{"retransmission timeout", func(c *Cubic, _ wire.PacketNumber) { c.OnRetransmissionTimeout(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCubic(20*time.Millisecond, mss)
			for pn := range wire.PacketNumber(30) {
				c.OnPacketSent(t0, 0, pn, mss, true)
				tt.event(c, pn)
				require.GreaterOrEqual(t, c.GetCongestionWindow(), wire.ByteCount(2*mss))
			}
			require.Equal(t, wire.ByteCount(2*mss), c.GetCongestionWindow())
			require.False(t, c.CanSend(2*mss))
		})
	}
}

func TestRetransmissionTimeoutWithoutRetransmissionChangesNothing(t *testing.T) {
	c, _ := newTestCubic(20*time.Millisecond, 1200)
	c.OnPacketSent(t0, 0, 1, 1200, true)
	c.OnCongestionEvent(1, 1200, 0)
	w, ss := c.GetCongestionWindow(), c.SlowStartThreshold()
	c.OnRetransmissionTimeout(false)
	require.Equal(t, w, c.GetCongestionWindow())
	require.Equal(t, ss, c.SlowStartThreshold())
	require.True(t, c.InRecovery())

	c.OnRetransmissionTimeout(true)
	require.Equal(t, wire.ByteCount(2400), c.GetCongestionWindow())
	require.Equal(t, wire.ByteCount(float64(w)*0.7), c.SlowStartThreshold())
	require.False(t, c.InRecovery())
}

// TestPersistentCongestionThenSlowStart: after persistent congestion the
// window restarts from the minimum in slow start up to ssthresh.
func TestPersistentCongestionThenSlowStart(t *testing.T) {
	const mss = 1000
	c, _ := newTestCubic(20*time.Millisecond, mss)
	c.OnPacketSent(t0, 0, 0, mss, true)
	c.OnCongestionEvent(0, mss, 0)
	ss := c.SlowStartThreshold()
	c.OnPersistentCongestion()
	require.Equal(t, wire.ByteCount(2*mss), c.GetCongestionWindow())
	require.True(t, c.InSlowStart())
	require.False(t, c.InRecovery())
	require.Equal(t, ss, c.SlowStartThreshold())
	pn := wire.PacketNumber(1)
	for c.InSlowStart() {
		c.OnPacketSent(t0, 0, pn, mss, true)
		c.OnPacketAcked(pn, mss, c.GetCongestionWindow(), t0)
		pn++
	}
	require.Equal(t, ss, c.GetCongestionWindow(), "slow start ends at ssthresh (%d mss steps)", pn)
}

// TestCubicK checks K = ∛(W_max(1−β)/C) after a single loss, and that the
// window reaches W_max K seconds into the epoch (RFC 9438 §4.2).
func TestCubicK(t *testing.T) {
	const mss = 1200
	for _, segs := range []wire.ByteCount{20, 100, 1000} {
		c, _ := newTestCubic(10*time.Millisecond, mss)
		c.cwnd = segs * mss
		c.OnPacketSent(t0, 0, 1, mss, true)
		c.OnCongestionEvent(1, mss, c.cwnd)
		c.OnPacketSent(t0, 0, 2, mss, true)
		c.OnPacketAcked(2, mss, c.cwnd, t0) // starts the epoch
		wantK := math.Cbrt(float64(segs) * (1 - 0.7) / 0.4)
		require.InDelta(t, wantK, c.k, 1e-9, "K for W_max %d segments", segs)
		require.InDelta(t, float64(segs*mss), c.wCubic(wantK), 1e-6, "W_cubic(K) = W_max")
		require.InDelta(t, 0.7*float64(segs*mss), c.wCubic(0), 1e-6, "W_cubic(0) = β W_max")
	}
}

func TestFastConvergence(t *testing.T) {
	const mss = 1000
	c, _ := newTestCubic(10*time.Millisecond, mss)
	c.cwnd = 100 * mss
	c.OnPacketSent(t0, 0, 1, mss, true)
	c.OnCongestionEvent(1, mss, c.cwnd)
	require.InDelta(t, 100*mss, c.wMax, 1e-9)
	// A second loss before the window regained W_max: W_max = cwnd(1+β)/2.
	c.OnPacketSent(t0, 0, 2, mss, true)
	c.OnPacketAcked(2, mss, c.cwnd, t0)
	cwnd := float64(c.cwnd) + c.cwndFrac
	require.Less(t, cwnd, c.wMax)
	c.OnPacketSent(t0, 0, 3, mss, true)
	c.OnCongestionEvent(3, mss, c.cwnd)
	require.InDelta(t, cwnd*0.85, c.wMax, 1e-6)
	require.InDelta(t, cwnd*0.7, float64(c.cwnd)+c.cwndFrac, 1e-6)
}

func TestNoGrowthWhenApplicationLimited(t *testing.T) {
	const mss = 1200
	c, _ := newTestCubic(10*time.Millisecond, mss)
	w := c.GetCongestionWindow()
	for pn := range wire.PacketNumber(5) {
		c.OnPacketSent(t0, 0, pn, mss, true)
		c.OnPacketAcked(pn, mss, mss, t0) // one packet in flight out of ten
	}
	require.Equal(t, w, c.GetCongestionWindow(), "slow start")

	c.OnPacketSent(t0, 0, 5, mss, true)
	c.OnCongestionEvent(5, mss, w)
	w = c.GetCongestionWindow()
	for pn := wire.PacketNumber(6); pn < 100; pn++ {
		now := t0.Add(time.Duration(pn) * time.Second)
		c.OnPacketSent(now, 0, pn, mss, true)
		c.OnPacketAcked(pn, mss, mss, now)
	}
	require.Equal(t, w, c.GetCongestionWindow(), "congestion avoidance")
	require.True(t, c.epochStart.IsZero(), "idle time must not count towards t")
}

func TestMaxWindow(t *testing.T) {
	const mss = 1000
	c, _ := newTestCubic(time.Millisecond, mss)
	for pn := range wire.PacketNumber(20000) {
		c.OnPacketSent(t0, 0, pn, mss, true)
		c.OnPacketAcked(pn, mss, c.GetCongestionWindow(), t0)
	}
	require.Equal(t, wire.ByteCount(maxWindowPackets*mss), c.GetCongestionWindow())
}

func TestSetMaxDatagramSize(t *testing.T) {
	c := NewCubic(nil, 1200)
	c.SetMaxDatagramSize(0) // ignored
	require.Equal(t, wire.ByteCount(12000), c.GetCongestionWindow())
	c.SetMaxDatagramSize(1400) // nothing sent yet: the initial window follows
	require.Equal(t, wire.ByteCount(14000), c.GetCongestionWindow())

	c.OnPacketSent(t0, 0, 1, 1400, true)
	c.OnPersistentCongestion()
	require.Equal(t, wire.ByteCount(2800), c.GetCongestionWindow())
	c.SetMaxDatagramSize(1000) // at the minimum: the minimum follows
	require.Equal(t, wire.ByteCount(2000), c.GetCongestionWindow())

	c.cwnd = 5000
	c.SetMaxDatagramSize(3000) // never below the new minimum
	require.Equal(t, wire.ByteCount(6000), c.GetCongestionWindow())
}

// TestCubicAgainstRFC9438 drives Cubic and the RFC's formulas with the same
// events: a window-limited sender whose every packet is either acknowledged
// or lost, one event per packet, the loss of the packet sent last (so a
// recovery period ends with the next acknowledgment). The windows must agree
// after every event.
func TestCubicAgainstRFC9438(t *testing.T) {
	tests := []struct {
		name     string
		srtt     time.Duration
		mss      wire.ByteCount
		steps    int
		lossAt   []int   // losses at these steps
		lossProb float64 // and at random
		dtMax    time.Duration
		variable bool // acknowledged packets of random size
	}{
		{name: "one loss, long concave and convex", srtt: 100 * time.Millisecond, mss: 1200, steps: 30000, lossAt: []int{90}, dtMax: 2 * time.Millisecond},
		{name: "sparse acks, target capped at 1.5 cwnd", srtt: 100 * time.Millisecond, mss: 1200, steps: 1500, lossAt: []int{90}, dtMax: 40 * time.Millisecond},
		{name: "short RTT, Reno-friendly", srtt: 2 * time.Millisecond, mss: 1200, steps: 60000, lossAt: []int{200}, dtMax: 100 * time.Microsecond},
		{name: "repeated losses, fast convergence", srtt: 30 * time.Millisecond, mss: 1452, steps: 40000, lossAt: []int{150, 3000, 3100, 9000, 9050, 9100, 20000}, dtMax: time.Millisecond},
		{name: "random losses", srtt: 50 * time.Millisecond, mss: 1200, steps: 50000, lossProb: 0.002, dtMax: time.Millisecond},
		{name: "random losses, random sizes", srtt: 80 * time.Millisecond, mss: 1350, steps: 50000, lossProb: 0.001, dtMax: 3 * time.Millisecond, variable: true},
		{name: "losses down to the minimum", srtt: 20 * time.Millisecond, mss: 1200, steps: 3000, lossAt: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, dtMax: time.Millisecond},
	}
	var total rfc9438
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 9438))
			c, _ := newTestCubic(tt.srtt, tt.mss)
			mss := float64(tt.mss)
			ref := newRFC9438(float64(c.GetCongestionWindow()) / mss)
			losses := make(map[int]bool)
			for _, s := range tt.lossAt {
				losses[s] = true
			}
			now := t0
			for step := range tt.steps {
				now = now.Add(time.Duration(rng.Int64N(int64(tt.dtMax))))
				pn := wire.PacketNumber(step)
				size := tt.mss
				if tt.variable {
					size = 1 + wire.ByteCount(rng.Int64N(int64(tt.mss)))
				}
				c.OnPacketSent(now, c.GetCongestionWindow(), pn, size, true)
				if losses[step] || rng.Float64() < tt.lossProb {
					c.OnCongestionEvent(pn, size, c.GetCongestionWindow())
					ref.onLoss()
				} else {
					c.OnPacketAcked(pn, size, c.GetCongestionWindow(), now)
					ref.onAck(now.Sub(t0).Seconds(), float64(size)/mss, tt.srtt.Seconds())
				}
				got := float64(c.GetCongestionWindow()) + c.cwndFrac
				want := ref.cwnd * mss
				require.InEpsilon(t, want, got, 1e-9, "step %d", step)
				require.Less(t, c.GetCongestionWindow(), c.maxWindow(), "the scenario left the range the RFC describes")
				require.Equal(t, ref.cwnd < ref.ssthresh, c.InSlowStart(), "step %d", step)
			}
			total.renoFriendly += ref.renoFriendly
			total.cubicRegion += ref.cubicRegion
			total.fastConvergence += ref.fastConvergence
			total.slowStart += ref.slowStart
			total.targetCapped += ref.targetCapped
		})
	}
	// The scenarios must have gone through every part of the algorithm.
	require.Positive(t, total.renoFriendly, "Reno-friendly region")
	require.Positive(t, total.cubicRegion, "concave/convex region")
	require.Positive(t, total.fastConvergence, "fast convergence")
	require.Positive(t, total.slowStart, "slow start")
	require.Positive(t, total.targetCapped, "target capped at 1.5 × cwnd")
}
