package congestion

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

func TestBBRInitialState(t *testing.T) {
	tests := []struct {
		mss, window wire.ByteCount
		srtt        time.Duration // zero: no sample, DefaultInitialRTT
	}{
		{0, 12000, 0}, // DefaultMaxDatagramSize
		{1200, 12000, 0},
		{1420, 14200, 50 * time.Millisecond},
		{1500, 14720, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		rtt := NewRTTStats()
		if tt.srtt > 0 {
			rtt.UpdateRTT(tt.srtt, 0)
		}
		b := NewBBR(rtt, tt.mss)
		require.Equal(t, tt.window, b.GetCongestionWindow(), "mss %d", tt.mss)
		require.Equal(t, BBRStartup, b.State())
		require.True(t, b.InSlowStart())
		require.False(t, b.InRecovery())
		require.True(t, b.CanSend(tt.window-1))
		require.False(t, b.CanSend(tt.window))
		require.Zero(t, b.BandwidthEstimate())
		require.Zero(t, b.MinRTT())
		// 2/ln 2 × the initial window per smoothed RTT.
		srtt := rtt.SmoothedRTT()
		want := bbrHighGain * float64(tt.window) / srtt.Seconds()
		require.InEpsilon(t, want, float64(b.PacingRate()), 1e-5)
	}
}

// transition is a change of BBR's state seen in a simulation.
type transition struct {
	at       time.Time
	from, to BBRState
	round    uint64
	inflight wire.ByteCount
	bdp      wire.ByteCount // BtlBw × RTprop then
}

// watchStates records every state change of b during s's events, and calls
// check, if not nil, after every event.
func watchStates(s *pathSim, b *BBR, check func()) *[]transition {
	var ts []transition
	last := b.State()
	s.after = func() {
		if st := b.State(); st != last {
			ts = append(ts, transition{at: s.now, from: last, to: st, round: b.roundCount, inflight: b.inflight, bdp: b.bdp(1) - 3*b.sendQuantum})
			last = st
		}
		if check != nil {
			check()
		}
	}
	return &ts
}

// TestBBRStartupDrainProbeBW follows the state machine from the start on a
// 10 MB/s, 40 ms path: Startup ends once the bandwidth estimate grew less
// than 25 % in three round trips in a row (and it has found the link's
// rate), Drain ends once the flight is down to one bandwidth-delay product,
// and ProbeBW follows, with no ProbeRTT on a path whose RTT does not change.
func TestBBRStartupDrainProbeBW(t *testing.T) {
	const rate = 10e6
	b, s := newBBRSim(t, rate, 20*time.Millisecond, 1, 0, 1)
	// The bandwidth estimate at the start of every round trip of Startup.
	roundBw := map[uint64]Bandwidth{}
	ts := watchStates(s, b, func() {
		if b.State() == BBRStartup && b.roundStart {
			roundBw[b.roundCount] = b.BandwidthEstimate()
		}
	})
	s.run(3 * time.Second)
	require.Len(t, *ts, 2, "transitions: %+v", *ts)

	startupEnd, drainEnd := (*ts)[0], (*ts)[1]
	require.Equal(t, BBRStartup, startupEnd.from)
	require.Equal(t, BBRDrain, startupEnd.to)
	require.True(t, b.filledPipe)
	// The last three round trips of Startup brought less than 25 % more
	// bandwidth than the one before them, which had.
	r := startupEnd.round
	plateau := roundBw[r-3]
	require.Positive(t, plateau)
	for i := r - 2; i <= r; i++ {
		require.Less(t, float64(roundBw[i]), bbrFullBwThreshold*float64(plateau), "round %d of Startup", i)
	}
	require.GreaterOrEqual(t, float64(plateau), bbrFullBwThreshold*float64(roundBw[r-4]), "the bandwidth still grew before the plateau")
	require.True(t, within(plateau, rate, 0.1), "Startup ended at %d of %d", plateau, int(rate))
	// Startup doubles per round trip: 40 ms × log2(BDP / initial window),
	// plus the three round trips of the plateau, and a few more for the
	// estimate to catch up.
	require.Less(t, startupEnd.at.Sub(t0), 16*40*time.Millisecond)

	require.Equal(t, BBRDrain, drainEnd.from)
	require.Equal(t, BBRProbeBW, drainEnd.to)
	require.LessOrEqual(t, drainEnd.inflight, drainEnd.bdp+3*b.sendQuantum, "Drain ends once the queue is drained")
	require.Greater(t, startupEnd.inflight, drainEnd.inflight)
	require.Less(t, drainEnd.at.Sub(startupEnd.at), 10*40*time.Millisecond)
	require.Equal(t, BBRProbeBW, b.State())
	require.False(t, b.InSlowStart())
}

// TestBBRProbeBWGainCycle checks ProbeBW in steady state: the pacing gain
// walks the cycle 5/4, 3/4, 1 (six times) in order, a phase of gain 1 or
// 5/4 lasts at least an RTprop (and 5/4 on a lossless path until the flight
// reached 5/4 BDP), no phase lasts much longer, the pacing rate is always
// the gain times BtlBw and the window at most twice the BDP plus quanta.
func TestBBRProbeBWGainCycle(t *testing.T) {
	b, s := newBBRSim(t, 10e6, 20*time.Millisecond, 1, 0, 2)
	s.run(2 * time.Second)
	require.Equal(t, BBRProbeBW, b.State())

	type phase struct {
		index int
		gain  float64
		start time.Time
	}
	phases := []phase{{b.cycleIndex, b.pacingGain, b.cycleStamp}}
	s.after = func() {
		if b.cycleIndex != phases[len(phases)-1].index {
			phases = append(phases, phase{b.cycleIndex, b.pacingGain, b.cycleStamp})
		}
		want := Bandwidth(b.pacingGain * float64(b.BandwidthEstimate()))
		require.Equal(t, want, b.PacingRate(), "pacing rate in phase %d", b.cycleIndex)
		require.LessOrEqual(t, b.GetCongestionWindow(), b.bdp(bbrCwndGain))
	}
	s.run(2 * time.Second)
	require.Equal(t, BBRProbeBW, b.State())
	require.Greater(t, len(phases), 2*bbrGainCycleLen, "two full cycles in 2 s of a 40 ms path")
	rtprop := b.MinRTT()
	for i := 1; i < len(phases); i++ {
		prev, cur := phases[i-1], phases[i]
		require.Equal(t, (prev.index+1)%bbrGainCycleLen, cur.index, "phases advance one by one")
		require.Equal(t, bbrPacingGainCycle(cur.index), cur.gain)
		d := cur.start.Sub(prev.start)
		if prev.gain >= 1 && i > 1 { // the first phase may have begun before the watch
			require.Greater(t, d, rtprop, "phase %d (gain %v) lasted %v", prev.index, prev.gain, d)
		}
		require.Less(t, d, 3*rtprop, "phase %d (gain %v) lasted %v", prev.index, prev.gain, d)
	}
}

// TestBBRProbeRTT lengthens the path's delay once BBR is in ProbeBW: no RTT
// sample then matches RTprop, which expires after 10 s and sends BBR to
// ProbeRTT. There the window is 4 datagrams for at least 200 ms and a round
// trip; then BBR goes back to ProbeBW with the window it had, and with the
// new path's RTprop.
func TestBBRProbeRTT(t *testing.T) {
	b, s := newBBRSim(t, 10e6, 20*time.Millisecond, 1, 0, 3)
	s.run(2 * time.Second)
	require.Equal(t, BBRProbeBW, b.State())
	stamp := b.rtPropStamp
	cwndBefore := b.GetCongestionWindow()

	s.delay = 30 * time.Millisecond
	var minCwndInProbeRTT wire.ByteCount
	ts := watchStates(s, b, func() {
		if b.State() == BBRProbeRTT {
			require.LessOrEqual(t, b.GetCongestionWindow(), b.minWindow())
			minCwndInProbeRTT = b.GetCongestionWindow()
		}
	})
	s.run(bbrRTpropFilterLen + time.Second)
	require.Len(t, *ts, 2, "transitions: %+v", *ts)
	enter, exit := (*ts)[0], (*ts)[1]
	require.Equal(t, BBRProbeRTT, enter.to)
	require.Equal(t, BBRProbeBW, exit.to)
	require.Positive(t, minCwndInProbeRTT)

	// Entered at the first ACK after RTprop's expiry.
	require.Greater(t, enter.at.Sub(stamp), bbrRTpropFilterLen)
	require.Less(t, enter.at.Sub(stamp), bbrRTpropFilterLen+100*time.Millisecond)
	// Held for 200 ms after the flight came down, and a round trip.
	require.Greater(t, exit.at.Sub(enter.at), bbrProbeRTTDuration)
	require.Less(t, exit.at.Sub(enter.at), bbrProbeRTTDuration+4*60*time.Millisecond)

	require.InDelta(t, float64(60*time.Millisecond), float64(b.MinRTT()), float64(2*time.Millisecond))
	require.GreaterOrEqual(t, b.GetCongestionWindow(), cwndBefore, "the window comes back")
	require.True(t, within(b.BandwidthEstimate(), 10e6, 0.1), "ProbeRTT's samples did not lower BtlBw: %d", b.BandwidthEstimate())
}

// TestBBRLossKeepsModel: lost packets change neither the window, nor the
// bandwidth estimate, nor the pacing rate, nor start a recovery period (for
// Cubic, one loss cuts the window by 30 %).
func TestBBRLossKeepsModel(t *testing.T) {
	b, s := newBBRSim(t, 10e6, 20*time.Millisecond, 1, 0, 4)
	s.run(2 * time.Second)
	require.Equal(t, BBRProbeBW, b.State())
	cwnd, bw, pacing := b.GetCongestionWindow(), b.BandwidthEstimate(), b.PacingRate()
	require.NotEmpty(t, s.sent)

	prior := s.inflight
	for i, p := range s.sent {
		if i%2 == 0 { // half of the flight
			s.inflight -= p.size
			b.OnCongestionEvent(p.pn, p.size, prior)
		}
	}
	require.Equal(t, cwnd, b.GetCongestionWindow())
	require.Equal(t, bw, b.BandwidthEstimate())
	require.Equal(t, pacing, b.PacingRate())
	require.Equal(t, BBRProbeBW, b.State())
	require.False(t, b.InRecovery())
	require.Equal(t, s.inflight, b.inflight)

	c, _ := newTestCubic(40*time.Millisecond, simMSS)
	c.cwnd = cwnd
	c.OnPacketSent(t0, simMSS, 1, simMSS, true)
	c.OnCongestionEvent(1, simMSS, simMSS)
	require.Less(t, c.GetCongestionWindow(), cwnd)
}

// TestBBRPersistentCongestion: the window drops to 4 datagrams and grows
// back by what is acknowledged, doubling per round trip, while the model
// stays; a retransmission timeout does the same only when it asks for it.
func TestBBRPersistentCongestion(t *testing.T) {
	tests := []struct {
		name     string
		event    func(*BBR)
		collapse bool
	}{
		{"persistent congestion", (*BBR).OnPersistentCongestion, true},
		{"RTO with retransmission", func(b *BBR) { b.OnRetransmissionTimeout(true) }, true},
		{"PTO", func(b *BBR) { b.OnRetransmissionTimeout(false) }, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBBRSim(t, 10e6, 20*time.Millisecond, 1, 0, uint64(5+i))
			s.run(2 * time.Second)
			cwnd, bw, rtprop := b.GetCongestionWindow(), b.BandwidthEstimate(), b.MinRTT()
			tt.event(b)
			if !tt.collapse {
				require.Equal(t, cwnd, b.GetCongestionWindow())
				require.False(t, b.InRecovery())
				return
			}
			require.Equal(t, b.minWindow(), b.GetCongestionWindow())
			require.True(t, b.InRecovery())
			require.Equal(t, bw, b.BandwidthEstimate())
			require.Equal(t, rtprop, b.MinRTT())

			// What was in flight still arrives; after it, the window
			// grows by what is acknowledged.
			require.Positive(t, s.inflight)
			s.run(300 * time.Millisecond)
			require.False(t, b.InRecovery(), "a packet sent after the collapse was acknowledged")
			s.run(time.Second)
			require.Greater(t, b.GetCongestionWindow(), cwnd/2, "the window grew back")
		})
	}
}

// TestBBRAppLimited: once the application sends at a quarter of the link's
// rate, the rate samples drop to that; marked application limited, they do
// not lower the bandwidth estimate, and unmarked they do, once the filter's
// 10 round trips have passed.
func TestBBRAppLimited(t *testing.T) {
	const rate = 10e6
	for _, mark := range []bool{true, false} {
		b, s := newBBRSim(t, rate, 20*time.Millisecond, 1, 0, 8)
		s.run(2 * time.Second)
		require.True(t, within(b.BandwidthEstimate(), rate, 0.1))
		s.appLimit = rate / 4
		if mark {
			s.onAppLimited = b.OnAppLimited
		}
		got := s.goodput(2 * time.Second)
		require.True(t, within(got, rate/4, 0.1), "goodput %d", got)
		if mark {
			require.True(t, within(b.BandwidthEstimate(), rate, 0.1), "BtlBw %d", b.BandwidthEstimate())
		} else {
			require.True(t, within(b.BandwidthEstimate(), rate/4, 0.2), "BtlBw %d", b.BandwidthEstimate())
		}
	}
}

// TestBBRRestartFromIdle: after an idle period, BBR sends at the estimated
// bandwidth (gain 1) whatever ProbeBW's phase, and the idle time does not
// enter the next rate sample.
func TestBBRRestartFromIdle(t *testing.T) {
	b, s := newBBRSim(t, 10e6, 20*time.Millisecond, 1, 0, 9)
	s.run(2 * time.Second)
	s.appLimit = 1 // next to nothing
	s.appCredit = 0
	s.onAppLimited = b.OnAppLimited
	s.run(time.Second)
	require.Zero(t, s.inflight)
	bw := b.BandwidthEstimate()

	b.pacingGain = 5.0 / 4 // whatever the phase
	s.appLimit = 0
	s.run(time.Millisecond)
	require.True(t, b.idleRestart)
	require.Equal(t, BBRProbeBW, b.State())
	require.Equal(t, bw, b.PacingRate(), "paced at gain 1 after the idle period")
	s.run(time.Second)
	require.True(t, within(b.BandwidthEstimate(), 10e6, 0.1), "BtlBw %d", b.BandwidthEstimate())
}

func TestBBRSetMaxDatagramSize(t *testing.T) {
	b := NewBBR(nil, 1200)
	b.SetMaxDatagramSize(1452)
	require.Equal(t, wire.ByteCount(14520), b.GetCongestionWindow(), "the initial window follows")
	b.SetMaxDatagramSize(0)
	require.Equal(t, wire.ByteCount(14520), b.GetCongestionWindow())

	b.OnPacketSent(t0, 1452, 1, 1452, true)
	b.OnPersistentCongestion()
	require.Equal(t, wire.ByteCount(4*1452), b.GetCongestionWindow())
	b.SetMaxDatagramSize(1200)
	require.Equal(t, wire.ByteCount(4*1200), b.GetCongestionWindow(), "the minimum window follows")
}

func TestBBRStateString(t *testing.T) {
	for s, want := range map[BBRState]string{BBRStartup: "Startup", BBRDrain: "Drain", BBRProbeBW: "ProbeBW", BBRProbeRTT: "ProbeRTT", 9: "BBRState(?)"} {
		require.Equal(t, want, s.String())
	}
}

// TestBBRUnknownPackets: acknowledgments and losses of packets BBR never
// saw (or no longer tracks) change nothing but the flight and the
// delivered count, and do not break it.
func TestBBRUnknownPackets(t *testing.T) {
	b := NewBBR(nil, 1200)
	b.OnPacketSent(t0, 1200, 5, 1200, true)
	b.OnPacketSent(t0, 1200, 5, 1200, true) // not above the last: not tracked
	b.OnPacketSent(t0, 0, 6, 40, false)     // an ACK only: not in flight
	require.Equal(t, 1, b.sampler.outstanding())
	b.OnPacketAcked(99, 1200, 2400, t0.Add(time.Millisecond))
	b.OnCongestionEvent(98, 1200, 1200)
	require.Zero(t, b.BandwidthEstimate())
	require.Equal(t, BBRStartup, b.State())
	require.Equal(t, 1, b.sampler.outstanding())
	b.OnPacketAcked(5, 1200, 1200, t0.Add(40*time.Millisecond))
	require.Zero(t, b.sampler.outstanding())
	require.Positive(t, b.BandwidthEstimate())
	require.Equal(t, 40*time.Millisecond, b.MinRTT())
}
