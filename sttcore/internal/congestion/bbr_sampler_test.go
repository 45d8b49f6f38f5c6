package congestion

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

func TestDeliveryRate(t *testing.T) {
	tests := []struct {
		bytes wire.ByteCount
		d     time.Duration
		want  Bandwidth
	}{
		{1200, time.Millisecond, 1_200_000},
		{1, time.Second, 1},
		{0, time.Second, 0},
		{1200, 0, 0},
		{1200, -time.Second, 0},
		{1 << 62, time.Nanosecond, 1<<64 - 1}, // saturates
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, deliveryRate(tt.bytes, tt.d), "%d bytes in %v", tt.bytes, tt.d)
	}
	require.Equal(t, wire.ByteCount(50_000), Bandwidth(1_000_000).bytesIn(50*time.Millisecond))
}

// TestSamplerSteadyRate sends a packet every millisecond and acknowledges
// each 40 ms later: every sample after the first round trip is the send
// rate, and its RTT 40 ms.
func TestSamplerSteadyRate(t *testing.T) {
	var s deliverySampler
	const rtt = 40 * time.Millisecond
	inflight := wire.ByteCount(0)
	var samples []rateSample
	for i := range 200 {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if i >= 40 {
			rs, ok := s.onAcked(now, wire.PacketNumber(i-40), 1200, rtt)
			require.True(t, ok)
			inflight -= 1200
			samples = append(samples, rs)
		}
		s.onSent(now, wire.PacketNumber(i), 1200, inflight)
		inflight += 1200
	}
	require.Equal(t, 40, s.outstanding())
	for i, rs := range samples {
		require.Equal(t, rtt, rs.rtt)
		require.False(t, rs.isAppLimited)
		if i < 40 {
			// Sent before the first ACK: delivered counts only what was
			// acknowledged since, an underestimate.
			require.Less(t, rs.deliveryRate, Bandwidth(1_200_000))
			continue
		}
		require.GreaterOrEqual(t, rs.interval, rtt, "sample %d", i)
		require.InEpsilon(t, 1_200_000, float64(rs.deliveryRate), 0.03, "sample %d", i)
	}
}

// TestSamplerInterval: a sample's interval is the longer of the send
// interval (from the send of the packet last acknowledged when this one
// left, to this one's send) and the ACK interval (from the delivery that
// preceded its send to its own): ACKs that arrive bunched up (ACK
// compression) cannot make the rate exceed the rate at which the data left.
func TestSamplerInterval(t *testing.T) {
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var s deliverySampler
	s.onSent(ms(0), 0, 1000, 0)
	s.onSent(ms(2), 1, 1000, 1000)
	rs, _ := s.onAcked(ms(20), 0, 1000, 0)
	// Packet 0 left with nothing in flight: both intervals start at its
	// send.
	require.Equal(t, 20*time.Millisecond, rs.interval)
	require.Equal(t, wire.ByteCount(1000), rs.delivered)
	require.Equal(t, Bandwidth(50_000), rs.deliveryRate)

	// Packet 2 leaves after packet 0's ACK; its own ACK comes back at once
	// (compressed): the send interval, from packet 0's send, is longer.
	s.onSent(ms(21), 2, 1000, 1000)
	rs, _ = s.onAcked(ms(22), 1, 1000, 0)
	require.Equal(t, 22*time.Millisecond, rs.interval, "ACK interval: delivered_time was packet 0's send")
	rs, _ = s.onAcked(ms(23), 2, 1000, 0)
	require.Equal(t, 21*time.Millisecond, rs.interval, "send interval from packet 0's send")
	require.Equal(t, wire.ByteCount(2000), rs.delivered, "packets 1 and 2 were delivered since packet 2 left")
	require.Equal(t, deliveryRate(2000, 21*time.Millisecond), rs.deliveryRate)
}

// TestSamplerLossAndMinRTT: lost packets leave the ring; a sample over an
// interval shorter than the minimum RTT is invalid.
func TestSamplerLossAndMinRTT(t *testing.T) {
	var s deliverySampler
	for i := range 10 {
		s.onSent(t0, wire.PacketNumber(i), 1000, wire.ByteCount(i)*1000)
	}
	for i := range 5 {
		s.onLost(wire.PacketNumber(i))
	}
	require.Equal(t, 5, s.outstanding(), "holes at the front are trimmed")
	s.onLost(7)
	require.Equal(t, 5, s.outstanding(), "a hole in the middle stays until the front reaches it")
	_, ok := s.onAcked(t0.Add(time.Millisecond), 7, 1000, 0)
	require.False(t, ok, "a lost packet gives no sample")
	rs, ok := s.onAcked(t0.Add(10*time.Millisecond), 5, 1000, 20*time.Millisecond)
	require.True(t, ok)
	require.Zero(t, rs.deliveryRate, "10 ms is under the minimum RTT of 20 ms")
	require.Equal(t, wire.ByteCount(2000), s.delivered, "both acknowledgments count as delivered")
	require.Equal(t, 4, s.outstanding(), "6, 7 (a hole), 8 and 9")
}

// TestSamplerAppLimited: packets sent after markAppLimited carry the mark
// until the flight of that moment has been delivered.
func TestSamplerAppLimited(t *testing.T) {
	var s deliverySampler
	s.onSent(t0, 0, 1000, 0)
	s.onSent(t0, 1, 1000, 1000)
	s.markAppLimited(2000)
	require.True(t, s.isAppLimited())
	s.onSent(t0, 2, 1000, 2000)
	now := t0.Add(10 * time.Millisecond)
	rs, _ := s.onAcked(now, 0, 1000, 0)
	require.False(t, rs.isAppLimited)
	rs, _ = s.onAcked(now, 1, 1000, 0)
	require.False(t, rs.isAppLimited)
	require.True(t, s.isAppLimited(), "delivered 2000, not past the mark")
	rs, _ = s.onAcked(now, 2, 1000, 0)
	require.True(t, rs.isAppLimited)
	require.False(t, s.isAppLimited(), "delivered past the mark")
	s.markAppLimited(0)
	require.True(t, s.isAppLimited(), "marks even with nothing in flight")
}

// TestSamplerBounded: the ring holds at most bbrMaxTrackedPackets records;
// beyond, the oldest is dropped and gives no sample.
func TestSamplerBounded(t *testing.T) {
	var s deliverySampler
	n := bbrMaxTrackedPackets + 10
	for i := range n {
		s.onSent(t0, wire.PacketNumber(i), 1000, wire.ByteCount(i)*1000)
	}
	require.Equal(t, bbrMaxTrackedPackets, s.outstanding())
	require.Len(t, s.ring, bbrMaxTrackedPackets)
	_, ok := s.onAcked(t0.Add(time.Second), 5, 1000, 0)
	require.False(t, ok, "dropped")
	_, ok = s.onAcked(t0.Add(time.Second), 10, 1000, 0)
	require.True(t, ok, "the oldest kept")
	_, ok = s.onAcked(t0.Add(time.Second), wire.PacketNumber(n-1), 1000, 0)
	require.True(t, ok, "the newest")
}
