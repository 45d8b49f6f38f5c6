package ackhandler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// A packet declared lost and then acknowledged was reordered, not lost: the
// packet threshold grows to the reordering seen, so the same reordering is
// not taken for loss again, and the count is kept.
func TestAdaptivePacketThreshold(t *testing.T) {
	h, _, _, rec := newTestHandler(10 * time.Millisecond)
	now := time.Unix(1000, 0)
	send := func(from, to wire.PacketNumber) {
		for pn := from; pn <= to; pn++ {
			h.SentPacket(now, pn, 1200, true, rec.frames(pn))
		}
	}
	send(0, 9)
	require.NoError(t, h.ReceivedAck(ackFrame(0, 3, 9), now))
	require.Equal(t, uint64(3), h.Stats().PacketsLost, "0, 1 and 2 are 3 or more below the largest")
	require.Equal(t, wire.PacketNumber(PacketThreshold), h.ReorderThreshold())

	// They were only late.
	require.NoError(t, h.ReceivedAck(ackFrame(0, 0, 9), now))
	require.Equal(t, uint64(3), h.Stats().SpuriousLosses)
	require.Equal(t, wire.PacketNumber(10), h.ReorderThreshold(), "9 − 0 + 1")

	// The same depth of reordering is no longer loss: 11 is 9 below 20.
	send(10, 20)
	require.NoError(t, h.ReceivedAck(ackFrame(0, 12, 20), now))
	require.Equal(t, uint64(4), h.Stats().PacketsLost, "only 10, 10 below the largest")
	rec.requireEachOnce(t, 10)

	// And the threshold is capped.
	send(21, 100)
	require.NoError(t, h.ReceivedAck(ackFrame(0, 90, 100), now))
	lostBefore := h.Stats().PacketsLost
	require.NoError(t, h.ReceivedAck(ackFrame(0, 21, 100), now))
	require.Greater(t, h.Stats().SpuriousLosses, uint64(3))
	require.Equal(t, wire.PacketNumber(MaxPacketThreshold), h.ReorderThreshold())
	require.Equal(t, lostBefore, h.Stats().PacketsLost)
}
