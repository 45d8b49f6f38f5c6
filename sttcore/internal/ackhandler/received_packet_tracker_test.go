package ackhandler

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// rangesOf returns the tracker's ACK ranges, highest first, or nil.
func rangesOf(tr *ReceivedPacketTracker) []wire.AckRange {
	tr.newAckEliciting = true // make GetAckFrame answer
	f := tr.GetAckFrame(t0, false)
	if f == nil {
		return nil
	}
	return slices.Clone(f.AckRanges)
}

func r(smallest, largest wire.PacketNumber) wire.AckRange {
	return wire.AckRange{Smallest: smallest, Largest: largest}
}

func TestReceivedPacketTrackerRanges(t *testing.T) {
	tests := []struct {
		name    string
		pns     []wire.PacketNumber
		wantDup []bool // nil: none
		want    []wire.AckRange
	}{
		{"in order", []wire.PacketNumber{0, 1, 2, 3}, nil, []wire.AckRange{r(0, 3)}},
		{"starting high", []wire.PacketNumber{1000, 1001}, nil, []wire.AckRange{r(1000, 1001)}},
		{"gaps", []wire.PacketNumber{0, 2, 4, 5}, nil, []wire.AckRange{r(4, 5), r(2, 2), r(0, 0)}},
		{"out of order fills a gap", []wire.PacketNumber{0, 2, 1}, nil, []wire.AckRange{r(0, 2)}},
		{"out of order extends downwards", []wire.PacketNumber{5, 4, 3}, nil, []wire.AckRange{r(3, 5)}},
		{"below everything", []wire.PacketNumber{10, 11, 3}, nil, []wire.AckRange{r(10, 11), r(3, 3)}},
		{"between ranges", []wire.PacketNumber{0, 10, 5}, nil, []wire.AckRange{r(10, 10), r(5, 5), r(0, 0)}},
		{
			"duplicates", []wire.PacketNumber{0, 1, 1, 5, 0, 5, 3},
			[]bool{false, false, true, false, true, true, false},
			[]wire.AckRange{r(5, 5), r(3, 3), r(0, 1)},
		},
		{"the largest packet number", []wire.PacketNumber{1<<64 - 2, 1<<64 - 1, 1<<64 - 1}, []bool{false, false, true}, []wire.AckRange{r(1<<64-2, 1<<64-1)}},
		{"zero after the largest", []wire.PacketNumber{1<<64 - 1, 0, 1}, nil, []wire.AckRange{r(1<<64-1, 1<<64-1), r(0, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewReceivedPacketTracker()
			for i, pn := range tt.pns {
				dup := tr.ReceivedPacket(pn, t0, true)
				wantDup := tt.wantDup != nil && tt.wantDup[i]
				require.Equal(t, wantDup, dup, "packet %d (#%d)", pn, i)
			}
			require.Equal(t, tt.want, rangesOf(tr))
		})
	}
}

// TestReceivedPacketTrackerBounded: with more gaps than an ACK frame holds,
// the lowest ranges are forgotten.
func TestReceivedPacketTrackerBounded(t *testing.T) {
	tr := NewReceivedPacketTracker()
	const n = wire.MaxAckRanges + 44
	for i := range wire.PacketNumber(n) {
		require.False(t, tr.ReceivedPacket(2*i, t0, true))
	}
	got := rangesOf(tr)
	require.Len(t, got, wire.MaxAckRanges)
	require.Equal(t, r(2*(n-1), 2*(n-1)), got[0])
	require.Equal(t, r(2*(n-wire.MaxAckRanges), 2*(n-wire.MaxAckRanges)), got[len(got)-1])
	f := &wire.AckFrame{AckRanges: got}
	_, err := f.Append(nil)
	require.NoError(t, err, "the frame is valid")

	// A packet below the forgotten ranges: new, but not recorded, even
	// when there is room.
	require.False(t, tr.ReceivedPacket(1, t0, true))
	require.Equal(t, got, rangesOf(tr))
	// Just below the lowest range, above the forgotten one: recorded.
	require.False(t, tr.ReceivedPacket(2*(n-wire.MaxAckRanges)-1, t0, true))
	got = rangesOf(tr)
	require.Len(t, got, wire.MaxAckRanges)
	require.Equal(t, r(2*(n-wire.MaxAckRanges)-1, 2*(n-wire.MaxAckRanges)), got[len(got)-1])
	// Filling a gap merges two ranges and makes room again.
	require.False(t, tr.ReceivedPacket(2*(n-1)-1, t0, true))
	require.Len(t, rangesOf(tr), wire.MaxAckRanges-1)
	require.False(t, tr.ReceivedPacket(3, t0, true), "forgotten, room or not")
	require.Len(t, rangesOf(tr), wire.MaxAckRanges-1)
}

// TestReceivedPacketTrackerAgainstSet compares the ranges with a set of
// received packet numbers over random arrivals, fewer gaps than the bound.
func TestReceivedPacketTrackerAgainstSet(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 13))
		tr := NewReceivedPacketTracker()
		seen := map[wire.PacketNumber]bool{}
		base := wire.PacketNumber(rng.Uint64N(1 << 40))
		for range 400 {
			pn := base + wire.PacketNumber(rng.IntN(300))
			dup := tr.ReceivedPacket(pn, t0, rng.IntN(2) == 0)
			require.Equal(t, seen[pn], dup, "seed %d packet %d", seed, pn)
			seen[pn] = true
		}
		var want []wire.AckRange // from the set, highest first
		for pn := base + 299; ; pn-- {
			if seen[pn] {
				if len(want) > 0 && want[len(want)-1].Smallest == pn+1 {
					want[len(want)-1].Smallest = pn
				} else {
					want = append(want, r(pn, pn))
				}
			}
			if pn == base {
				break
			}
		}
		require.Equal(t, want, rangesOf(tr), "seed %d", seed)
	}
}

func TestAckTiming(t *testing.T) {
	type step struct {
		pn           wire.PacketNumber
		at           time.Duration
		ackEliciting bool
		wantAlarm    time.Duration // -1: none
		getAck       bool          // then take the ACK that is due
	}
	const none = -1
	tests := []struct {
		name  string
		steps []step
	}{
		{"first ack-eliciting packet: max_ack_delay", []step{{0, 0, true, 25 * ms, false}}},
		{"second ack-eliciting packet: at once", []step{{0, 0, true, 25 * ms, false}, {1, 3 * ms, true, 3 * ms, false}}},
		{"not ack-eliciting: never", []step{{0, 0, false, none, false}, {1, ms, false, none, false}, {2, 2 * ms, false, none, false}}},
		{"not ack-eliciting does not count", []step{{0, 0, true, 25 * ms, false}, {1, ms, false, 25 * ms, false}, {2, 2 * ms, true, 2 * ms, false}}},
		{"below the largest: at once", []step{{5, 0, true, 25 * ms, true}, {3, 10 * ms, true, 10 * ms, false}}},
		{"a gap below: at once", []step{{0, 0, true, 25 * ms, true}, {2, 10 * ms, true, 10 * ms, false}}},
		{"a gap below a non-ack-eliciting packet counts", []step{{0, 0, true, 25 * ms, true}, {1, ms, false, none, false}, {3, 10 * ms, true, 10 * ms, false}}},
		{"no gap: max_ack_delay again", []step{{0, 0, true, 25 * ms, true}, {1, 30 * ms, false, none, false}, {2, 40 * ms, true, 65 * ms, false}}},
		{"the alarm runs from the first unacknowledged", []step{{0, 0, true, 25 * ms, false}, {1, 0, false, 25 * ms, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewReceivedPacketTracker()
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				require.False(t, tr.ReceivedPacket(s.pn, now, s.ackEliciting))
				if s.wantAlarm == none {
					require.True(t, tr.AckAlarm().IsZero(), "step %d", i)
					require.Nil(t, tr.GetAckFrame(now, true), "step %d", i)
				} else {
					want := t0.Add(s.wantAlarm)
					require.Equal(t, want, tr.AckAlarm(), "step %d", i)
					if want.After(now) {
						require.Nil(t, tr.GetAckFrame(now, true), "step %d: not due yet", i)
					}
				}
				if s.getAck {
					require.NotNil(t, tr.GetAckFrame(tr.AckAlarm(), true))
					require.True(t, tr.AckAlarm().IsZero())
				}
			}
		})
	}
}

func TestGetAckFrame(t *testing.T) {
	tr := NewReceivedPacketTracker()
	require.Nil(t, tr.GetAckFrame(t0, false), "nothing received")
	tr.ReceivedPacket(0, t0, false)
	require.Nil(t, tr.GetAckFrame(t0, false), "only packets that need no ACK")

	tr.ReceivedPacket(1, t0.Add(ms), true)
	// Not due yet, but a packet is going out anyway: piggyback.
	f := tr.GetAckFrame(t0.Add(3*ms), false)
	require.NotNil(t, f)
	require.Equal(t, []wire.AckRange{r(0, 1)}, f.AckRanges)
	require.Equal(t, 2*ms, f.DelayTime, "since the largest arrived")
	require.True(t, tr.AckAlarm().IsZero())
	require.Nil(t, tr.GetAckFrame(t0.Add(3*ms), false), "nothing new")

	// The delay runs from the largest's arrival, not the latest packet's.
	tr.ReceivedPacket(5, t0.Add(10*ms), true)
	tr.ReceivedPacket(3, t0.Add(20*ms), true)
	g := tr.GetAckFrame(t0.Add(21*ms), true)
	require.Same(t, f, g, "the frame is reused")
	require.Equal(t, []wire.AckRange{r(5, 5), r(3, 3), r(0, 1)}, g.AckRanges)
	require.Equal(t, 11*ms, g.DelayTime)

	// A clock that went backwards gives no negative delay.
	tr.ReceivedPacket(6, t0.Add(30*ms), true)
	require.Equal(t, time.Duration(0), tr.GetAckFrame(t0, false).DelayTime)

	largest, ok := tr.LargestReceived()
	require.True(t, ok)
	require.Equal(t, wire.PacketNumber(6), largest)
}

func TestIgnoreBelow(t *testing.T) {
	tr := NewReceivedPacketTracker()
	for _, pn := range []wire.PacketNumber{0, 1, 2, 4, 5, 8, 9} {
		tr.ReceivedPacket(pn, t0, true)
	}
	tr.IgnoreBelow(5)
	require.Equal(t, []wire.AckRange{r(8, 9), r(5, 5)}, rangesOf(tr))
	require.True(t, tr.ReceivedPacket(3, t0, true), "below the limit: a duplicate")
	tr.IgnoreBelow(2) // lower: nothing changes
	require.Equal(t, []wire.AckRange{r(8, 9), r(5, 5)}, rangesOf(tr))
	tr.IgnoreBelow(9)
	require.Equal(t, []wire.AckRange{r(9, 9)}, rangesOf(tr))
	tr.IgnoreBelow(100)
	require.Nil(t, rangesOf(tr))
	require.False(t, tr.ReceivedPacket(100, t0, true))
	require.Equal(t, []wire.AckRange{r(100, 100)}, rangesOf(tr))
}

func TestReceivedPacketTrackerZeroValue(t *testing.T) {
	var tr ReceivedPacketTracker
	require.False(t, tr.ReceivedPacket(7, t0, true))
	require.False(t, tr.ReceivedPacket(8, t0, true))
	f := tr.GetAckFrame(t0, true)
	require.NotNil(t, f)
	require.Equal(t, []wire.AckRange{r(7, 8)}, f.AckRanges)
}
