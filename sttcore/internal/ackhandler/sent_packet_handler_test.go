package ackhandler

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

func sortedPNs(s []wire.PacketNumber) []wire.PacketNumber {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestPacketThresholdLoss(t *testing.T) {
	tests := []struct {
		name          string
		tracked       []wire.PacketNumber
		untrackedUpTo wire.PacketNumber
		ack           *wire.AckFrame
		wantAcked     []wire.PacketNumber
		wantLost      []wire.PacketNumber
		wantPending   bool // a time-threshold loss is pending
	}{
		{
			name:      "three or more below the largest acknowledged",
			tracked:   []wire.PacketNumber{0, 1, 2, 3, 4},
			ack:       ackFrame(0, 3, 4),
			wantAcked: []wire.PacketNumber{3, 4}, wantLost: []wire.PacketNumber{0, 1}, wantPending: true,
		},
		{
			name:      "exactly the threshold",
			tracked:   []wire.PacketNumber{0, 1, 2, 3},
			ack:       ackFrame(0, 3, 3),
			wantAcked: []wire.PacketNumber{3}, wantLost: []wire.PacketNumber{0}, wantPending: true,
		},
		{
			name:      "below the threshold",
			tracked:   []wire.PacketNumber{0, 1, 2},
			ack:       ackFrame(0, 2, 2),
			wantAcked: []wire.PacketNumber{2}, wantPending: true,
		},
		{
			name:      "ranges with gaps",
			tracked:   []wire.PacketNumber{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
			ack:       ackFrame(0, 8, 9, 5, 5),
			wantAcked: []wire.PacketNumber{5, 8, 9}, wantLost: []wire.PacketNumber{0, 1, 2, 3, 4, 6}, wantPending: true,
		},
		{
			name:    "an acknowledged untracked packet counts",
			tracked: []wire.PacketNumber{0}, untrackedUpTo: 3,
			ack:      ackFrame(0, 3, 3),
			wantLost: []wire.PacketNumber{0},
		},
		{
			name:     "an acknowledged unknown packet between tracked ones counts",
			tracked:  []wire.PacketNumber{0, 10},
			ack:      ackFrame(0, 5, 5),
			wantLost: []wire.PacketNumber{0},
		},
		{
			name:      "nothing above the largest acknowledged is lost",
			tracked:   []wire.PacketNumber{0, 1, 2, 3, 4, 5, 6, 7},
			ack:       ackFrame(0, 1, 1),
			wantAcked: []wire.PacketNumber{1}, wantPending: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, cc, _, rec := newTestHandler(100 * ms)
			for _, pn := range tt.tracked {
				h.SentPacket(t0, pn, 1000, true, rec.frames(pn))
			}
			h.SentUntracked(tt.untrackedUpTo)
			require.NoError(t, h.ReceivedAck(tt.ack, t0.Add(10*ms)))

			require.ElementsMatch(t, tt.wantAcked, pnSet(rec.acked), "acknowledged")
			require.ElementsMatch(t, tt.wantLost, pnSet(rec.lost), "lost")
			var ccLost []wire.PacketNumber
			for _, e := range cc.kinds("lost") {
				ccLost = append(ccLost, e.pn)
			}
			require.Equal(t, sortedPNs(tt.wantLost), ccLost, "congestion events")
			outstanding := len(tt.tracked) - len(tt.wantAcked) - len(tt.wantLost)
			require.Equal(t, wire.ByteCount(1000*outstanding), h.BytesInFlight())
			require.Equal(t, uint64(len(tt.wantLost)), h.Stats().PacketsLost)
			require.Equal(t, uint64(len(tt.wantAcked)), h.Stats().PacketsAcked)
			require.Equal(t, tt.wantPending, !h.lossTime.IsZero(), "pending loss time")
			if tt.wantPending {
				require.Equal(t, h.lossTime, h.GetLossDetectionTimeout())
			}
		})
	}
}

func TestTimeThresholdLoss(t *testing.T) {
	tests := []struct {
		name       string
		preset     time.Duration // an earlier RTT sample
		second     time.Duration // when packet 1 is sent
		ackAt      time.Duration // when packet 1 is acknowledged
		wantLossAt time.Duration // when packet 0 is lost
	}{
		// sample 100 ms: 9/8 × 100 ms
		{name: "9/8 of the RTT", second: 10 * ms, ackAt: 110 * ms, wantLossAt: 112500 * time.Microsecond},
		// latest 80 ms above smoothed 53.75 ms: 9/8 × 80 ms
		{name: "latest RTT above smoothed", preset: 50 * ms, second: 5 * ms, ackAt: 85 * ms, wantLossAt: 90 * ms},
		// smoothed 100 ms above latest 20 ms: 9/8 × 90 ms
		{name: "smoothed RTT above latest", preset: 100 * ms, second: time.Millisecond, ackAt: 21 * ms, wantLossAt: 101250 * time.Microsecond},
		// 9/8 × 100 µs is below the timer granularity
		{name: "granularity", second: 10 * time.Microsecond, ackAt: 110 * time.Microsecond, wantLossAt: time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, cc, _, rec := newTestHandler(tt.preset)
			h.SentPacket(t0, 0, 1000, true, rec.frames(0))
			h.SentPacket(t0.Add(tt.second), 1, 1000, true, rec.frames(1))
			require.NoError(t, h.ReceivedAck(ackFrame(0, 1, 1), t0.Add(tt.ackAt)))
			require.Empty(t, rec.lost)
			want := t0.Add(tt.wantLossAt)
			require.Equal(t, want, h.GetLossDetectionTimeout())

			h.OnLossDetectionTimeout(want.Add(-time.Nanosecond)) // early: nothing
			require.Empty(t, rec.lost)
			require.Equal(t, want, h.GetLossDetectionTimeout())

			h.OnLossDetectionTimeout(want)
			require.Equal(t, map[wire.PacketNumber]int{0: 1}, rec.lost)
			require.Len(t, cc.kinds("lost"), 1)
			require.Empty(t, cc.kinds("rto"), "a loss timer is not a PTO")
			require.Zero(t, h.BytesInFlight())
			require.True(t, h.GetLossDetectionTimeout().IsZero(), "nothing left in flight")
			rec.requireEachOnce(t, 0, 1)
		})
	}
}

func TestProbeTimeout(t *testing.T) {
	h, cc, rtt, rec := newTestHandler(0)
	require.True(t, h.GetLossDetectionTimeout().IsZero(), "nothing in flight")
	pto := rtt.PTO(true) // 3 × 100 ms + 25 ms
	require.Equal(t, 325*ms, pto)

	h.SentPacket(t0, 0, 1000, true, rec.frames(0))
	require.Equal(t, t0.Add(pto), h.GetLossDetectionTimeout())
	// Packets that are not ack-eliciting do not move the PTO.
	h.SentPacket(t0.Add(100*ms), 1, 50, false, rec.frames(1))
	require.Equal(t, t0.Add(pto), h.GetLossDetectionTimeout())
	require.Equal(t, SendAny, h.SendMode(t0))

	h.OnLossDetectionTimeout(t0.Add(pto - 1))
	require.Zero(t, h.PTOCount())
	h.OnLossDetectionTimeout(t0.Add(pto))
	require.Equal(t, uint32(1), h.PTOCount())
	require.Equal(t, SendPTO, h.SendMode(t0.Add(pto)))
	require.Equal(t, t0.Add(2*pto), h.GetLossDetectionTimeout(), "backed off, from the last ack-eliciting packet")
	require.Empty(t, rec.lost, "a PTO declares nothing lost")
	require.Equal(t, []ccEvent{{kind: "rto"}}, cc.kinds("rto"))

	// Two probes are asked for; probes go even when the window is full.
	cc.canSend = false
	t1 := t0.Add(pto)
	h.SentPacket(t1, 2, 1000, true, rec.frames(2))
	require.Equal(t, SendPTO, h.SendMode(t1))
	h.SentPacket(t1, 3, 1000, true, rec.frames(3))
	require.Equal(t, SendAck, h.SendMode(t1))
	require.Equal(t, t1.Add(2*pto), h.GetLossDetectionTimeout())

	h.OnLossDetectionTimeout(t1.Add(2 * pto))
	require.Equal(t, uint32(2), h.PTOCount())
	require.Equal(t, t1.Add(4*pto), h.GetLossDetectionTimeout())

	// The backoff is truncated at a minute.
	for range 20 {
		h.OnLossDetectionTimeout(h.GetLossDetectionTimeout())
	}
	require.Equal(t, t1.Add(maxPTODuration), h.GetLossDetectionTimeout())
	require.Equal(t, uint64(22), h.Stats().PTOs)

	// An ACK of something new resets the backoff and the probes.
	require.NoError(t, h.ReceivedAck(ackFrame(0, 0, 3), t1.Add(time.Minute)))
	require.Zero(t, h.PTOCount())
	require.Equal(t, SendAck, h.SendMode(t1)) // the fake window is still full
	cc.canSend = true
	require.Equal(t, SendAny, h.SendMode(t1))
	require.True(t, h.GetLossDetectionTimeout().IsZero())
	rec.requireEachOnce(t, 0, 1, 2, 3)
	require.Empty(t, rec.lost)
}

func TestAcksOfUnknownPacketNumbers(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *SentPacketHandler, rec *recorder)
		ack     *wire.AckFrame
		wantErr error
	}{
		{"nothing sent", func(*SentPacketHandler, *recorder) {}, ackFrame(0, 0, 0), ErrUnsentPacketAcked},
		{"above the largest sent", sendTracked(0, 1, 2), ackFrame(0, 3, 3), ErrUnsentPacketAcked},
		{"range above the largest sent", sendTracked(0, 1, 2), ackFrame(0, 1, 5), ErrUnsentPacketAcked},
		{"nil frame", sendTracked(0), nil, ErrInvalidAck},
		{"no ranges", sendTracked(0), &wire.AckFrame{}, ErrInvalidAck},
		{"smallest above largest", sendTracked(0, 1, 2), ackFrame(0, 2, 1), ErrInvalidAck},
		{"ascending ranges", sendTracked(0, 1, 2, 3, 4, 5), ackFrame(0, 0, 0, 5, 5), ErrInvalidAck},
		{"touching ranges", sendTracked(0, 1, 2, 3, 4, 5), ackFrame(0, 4, 5, 2, 3), ErrInvalidAck},
		{"overlapping ranges", sendTracked(0, 1, 2, 3, 4, 5), ackFrame(0, 3, 5, 1, 3), ErrInvalidAck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, cc, _, rec := newTestHandler(100 * ms)
			tt.setup(h, rec)
			inFlight := h.BytesInFlight()
			alarm := h.GetLossDetectionTimeout()
			err := h.ReceivedAck(tt.ack, t0.Add(ms))
			require.ErrorIs(t, err, tt.wantErr)
			// A rejected ACK changes nothing.
			require.Equal(t, inFlight, h.BytesInFlight())
			require.Equal(t, alarm, h.GetLossDetectionTimeout())
			require.Empty(t, rec.acked)
			require.Empty(t, rec.lost)
			require.Empty(t, cc.kinds("acked"))
		})
	}

	t.Run("untracked packets are acknowledged silently", func(t *testing.T) {
		h, cc, rtt, rec := newTestHandler(0)
		h.SentPacket(t0, 10, 1000, true, rec.frames(10))
		h.SentUntracked(12)
		require.NoError(t, h.ReceivedAck(ackFrame(0, 11, 12, 0, 9), t0.Add(ms)))
		require.Empty(t, rec.acked)
		require.Empty(t, cc.kinds("acked"))
		require.False(t, rtt.HasMeasurement(), "no RTT sample without a tracked packet")
		require.Equal(t, wire.ByteCount(1000), h.BytesInFlight())
	})
}

// sendTracked returns a setup that sends ack-eliciting packets at t0.
func sendTracked(pns ...wire.PacketNumber) func(*SentPacketHandler, *recorder) {
	return func(h *SentPacketHandler, rec *recorder) {
		for _, pn := range pns {
			h.SentPacket(t0, pn, 1000, true, rec.frames(pn))
		}
	}
}

func TestRTTSampleFromLargestNewlyAcked(t *testing.T) {
	type send struct {
		pn           wire.PacketNumber
		at           time.Duration
		ackEliciting bool
	}
	type ack struct {
		frame *wire.AckFrame
		at    time.Duration
	}
	tests := []struct {
		name          string
		preset        time.Duration
		untrackedUpTo wire.PacketNumber
		sends         []send
		acks          []ack
		wantLatest    time.Duration // 0: no sample
		wantSmoothed  time.Duration
	}{
		{
			name:   "largest newly acknowledged, ack delay subtracted",
			preset: 10 * ms,
			sends:  []send{{0, 0, true}, {1, ms, true}},
			acks:   []ack{{ackFrame(5*ms, 0, 1), 51 * ms}},
			// sample 50 ms from packet 1; 45 ms after the ack delay
			wantLatest: 50 * ms, wantSmoothed: 10*ms + (45*ms-10*ms)/8,
		},
		{
			name:  "largest newly acknowledged is not ack-eliciting",
			sends: []send{{0, 0, true}, {1, ms, false}},
			acks:  []ack{{ackFrame(0, 0, 1), 50 * ms}},
		},
		{
			name:          "the frame's largest is untracked",
			untrackedUpTo: 5,
			sends:         []send{{0, 0, true}},
			acks:          []ack{{ackFrame(0, 0, 5), 40 * ms}},
			wantLatest:    40 * ms, wantSmoothed: 40 * ms,
		},
		{
			name:       "an older packet acknowledged later gives no sample",
			sends:      []send{{0, 0, true}, {1, ms, true}},
			acks:       []ack{{ackFrame(0, 1, 1), 50 * ms}, {ackFrame(0, 0, 1), 200 * ms}},
			wantLatest: 49 * ms, wantSmoothed: 49 * ms,
		},
		{
			name:       "a duplicate ACK gives no sample",
			sends:      []send{{0, 0, true}},
			acks:       []ack{{ackFrame(0, 0, 0), 30 * ms}, {ackFrame(0, 0, 0), 300 * ms}},
			wantLatest: 30 * ms, wantSmoothed: 30 * ms,
		},
		{
			name:       "a newer packet gives a new sample",
			sends:      []send{{0, 0, true}, {1, 100 * ms, true}},
			acks:       []ack{{ackFrame(0, 0, 0), 30 * ms}, {ackFrame(0, 0, 1), 170 * ms}},
			wantLatest: 70 * ms, wantSmoothed: 30*ms + 40*ms/8,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, rtt, rec := newTestHandler(tt.preset)
			for _, s := range tt.sends {
				h.SentPacket(t0.Add(s.at), s.pn, 1000, s.ackEliciting, rec.frames(s.pn))
			}
			h.SentUntracked(tt.untrackedUpTo)
			for _, a := range tt.acks {
				require.NoError(t, h.ReceivedAck(a.frame, t0.Add(a.at)))
			}
			if tt.wantLatest == 0 {
				require.Equal(t, tt.preset > 0, rtt.HasMeasurement(), "no new sample")
				require.Equal(t, tt.preset, rtt.LatestRTT())
				return
			}
			require.Equal(t, tt.wantLatest, rtt.LatestRTT())
			require.Equal(t, tt.wantSmoothed, rtt.SmoothedRTT())
		})
	}
}

func TestFramesResolvedExactlyOnce(t *testing.T) {
	h, _, _, rec := newTestHandler(100 * ms)
	for pn := range wire.PacketNumber(10) {
		h.SentPacket(t0, pn, 1000, true, rec.frames(pn))
	}
	require.NoError(t, h.ReceivedAck(ackFrame(0, 9, 9), t0.Add(50*ms)))
	require.ElementsMatch(t, []wire.PacketNumber{0, 1, 2, 3, 4, 5, 6}, pnSet(rec.lost))
	// The lost packets arrive after all (a spurious loss): acknowledged, but
	// their frames were already told they were lost.
	require.NoError(t, h.ReceivedAck(ackFrame(0, 0, 9), t0.Add(60*ms)))
	require.NoError(t, h.ReceivedAck(ackFrame(0, 0, 9), t0.Add(70*ms))) // duplicate
	require.ElementsMatch(t, []wire.PacketNumber{7, 8, 9}, pnSet(rec.acked))
	// A packet number that does not increase: its frames are lost at once.
	h.SentPacket(t0.Add(80*ms), 5, 1000, true, rec.frames(100))
	require.Equal(t, uint64(1), h.Stats().Misordered)
	require.Equal(t, 1, rec.lost[100])

	rec.requireEachOnce(t, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100)
	require.Zero(t, h.BytesInFlight())
	require.True(t, h.GetLossDetectionTimeout().IsZero())
	require.Zero(t, h.hist.len(), "all records released")

	// A frame without a handler only makes the packet tracked.
	h.SentPacket(t0.Add(90*ms), 20, 100, false, []Frame{{Frame: &pnFrame{20}}})
	require.Equal(t, 1, h.hist.len())
	require.NoError(t, h.ReceivedAck(ackFrame(0, 20, 20), t0.Add(100*ms)))
	require.Zero(t, h.hist.len())
}

func TestCongestionControllerNotified(t *testing.T) {
	h, cc, _, rec := newTestHandler(100 * ms)
	h.SentPacket(t0, 0, 1000, true, rec.frames(0))
	h.SentPacket(t0, 1, 50, false, rec.frames(1)) // tracked, not in flight
	h.SentPacket(t0, 2, 1000, true, rec.frames(2))
	h.SentPacket(t0, 3, 1000, true, rec.frames(3))
	h.SentPacket(t0, 4, 1000, true, nil) // a PING
	h.SentPacket(t0, 5, 30, false, nil)  // an ACK only: not tracked
	h.SentPacket(t0, 6, 1000, true, rec.frames(6))
	require.Equal(t, []ccEvent{
		{kind: "sent", pn: 0, bytes: 1000, inFlight: 1000, retransmittable: true},
		{kind: "sent", pn: 1, bytes: 50, inFlight: 1000},
		{kind: "sent", pn: 2, bytes: 1000, inFlight: 2000, retransmittable: true},
		{kind: "sent", pn: 3, bytes: 1000, inFlight: 3000, retransmittable: true},
		{kind: "sent", pn: 4, bytes: 1000, inFlight: 4000, retransmittable: true},
		{kind: "sent", pn: 5, bytes: 30, inFlight: 4000},
		{kind: "sent", pn: 6, bytes: 1000, inFlight: 5000, retransmittable: true},
	}, cc.events)
	cc.events = nil

	// 0, 1 and 3 lost (packet threshold), 2 and 6 acknowledged, 4 waits.
	require.NoError(t, h.ReceivedAck(ackFrame(0, 5, 6, 2, 2), t0.Add(10*ms)))
	require.Equal(t, []ccEvent{
		{kind: "lost", pn: 0, bytes: 1000, inFlight: 5000},
		{kind: "lost", pn: 3, bytes: 1000, inFlight: 5000},
		{kind: "acked", pn: 2, bytes: 1000, inFlight: 5000},
		{kind: "acked", pn: 6, bytes: 1000, inFlight: 5000},
	}, cc.events, "losses first; only packets in flight")
	require.Equal(t, 1, rec.lost[1], "a tracked packet not in flight is lost too")
	require.Equal(t, wire.ByteCount(1000), h.BytesInFlight())
	require.Equal(t, wire.ByteCount(2000), h.Stats().BytesLost)
	require.Equal(t, uint64(3), h.Stats().PacketsLost)
}

func TestPersistentCongestion(t *testing.T) {
	// First sample 10 ms: PTO = 10 + 4×5 + 25 = 55 ms; persistent
	// congestion takes losses spanning more than 165 ms.
	setup := func(withSample bool) (*SentPacketHandler, *fakeController) {
		h, cc, _, rec := newTestHandler(0)
		if withSample {
			h.SentPacket(t0, 0, 1000, true, rec.frames(0))
			require.NoError(t, h.ReceivedAck(ackFrame(0, 0, 0), t0.Add(10*ms)))
		}
		for i := range 6 { // 1..6, 40 ms apart from 20 ms on
			pn := wire.PacketNumber(1 + i)
			h.SentPacket(t0.Add(time.Duration(20+40*i)*ms), pn, 1000, true, rec.frames(pn))
		}
		for pn := wire.PacketNumber(7); pn <= 10; pn++ {
			h.SentPacket(t0.Add(230*ms), pn, 1000, true, rec.frames(pn))
		}
		return h, cc
	}
	tests := []struct {
		name           string
		withSample     bool
		ack            *wire.AckFrame
		wantPersistent int
	}{
		{"losses spanning 210 ms", true, ackFrame(0, 10, 10), 1},
		{"an acknowledgment between the losses", true, ackFrame(0, 10, 10, 3, 3), 0},
		{"losses sent before the first RTT sample", false, ackFrame(0, 10, 10), 0},
		{"losses spanning 130 ms", true, ackFrame(0, 10, 10, 1, 2), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, cc := setup(tt.withSample)
			require.NoError(t, h.ReceivedAck(tt.ack, t0.Add(240*ms)))
			require.Len(t, cc.kinds("persistent"), tt.wantPersistent)
			require.Equal(t, uint64(tt.wantPersistent), h.Stats().PersistentCongestion)
			require.NotEmpty(t, cc.kinds("lost"))
		})
	}
}

func TestSendMode(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *SentPacketHandler, cc *fakeController)
		want    SendMode
		wantStr string
	}{
		{"window and pacer allow", func(*SentPacketHandler, *fakeController) {}, SendAny, "any"},
		{"window full", func(_ *SentPacketHandler, cc *fakeController) { cc.canSend = false }, SendAck, "ack"},
		{"pacer holds back", func(_ *SentPacketHandler, cc *fakeController) { cc.pacingOK = false }, SendPacingLimited, "pacing limited"},
		{"probe beats window and pacer", func(h *SentPacketHandler, cc *fakeController) {
			h.SentPacket(t0, 0, 1000, true, nil)
			h.OnLossDetectionTimeout(h.GetLossDetectionTimeout())
			cc.canSend, cc.pacingOK = false, false
		}, SendPTO, "pto"},
		{"too many packets tracked", func(h *SentPacketHandler, _ *fakeController) {
			for pn := range wire.PacketNumber(maxTrackedPackets) {
				h.SentPacket(t0, pn, 1000, true, nil)
			}
		}, SendAck, "ack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, cc, _, _ := newTestHandler(10 * ms)
			tt.setup(h, cc)
			require.Equal(t, tt.want, h.SendMode(t0))
			require.Equal(t, tt.wantStr, h.SendMode(t0).String())
		})
	}
	require.Equal(t, "invalid send mode 0", SendMode(0).String())

	h, cc, _, _ := newTestHandler(10 * ms)
	cc.nextSend = t0.Add(3 * ms)
	require.Equal(t, cc.nextSend, h.TimeUntilSend())
}

func TestDefaults(t *testing.T) {
	h := NewSentPacketHandler(nil, nil)
	require.Equal(t, SendAny, h.SendMode(t0))
	h.SentPacket(t0, 0, 1200, true, nil)
	require.Equal(t, wire.ByteCount(1200), h.BytesInFlight())
	require.Equal(t, t0.Add(325*ms), h.GetLossDetectionTimeout())
	require.NoError(t, h.ReceivedAck(ackFrame(0, 0, 0), t0.Add(20*ms)))
	require.Zero(t, h.BytesInFlight())
	require.Equal(t, Stats{PacketsSent: 1, BytesSent: 1200, PacketsAcked: 1}, h.Stats())
}
