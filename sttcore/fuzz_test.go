package sttcore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// FuzzReceivePacket feeds arbitrary packets to a node's receive path, with a
// live session so that indices exist: nothing may panic, every packet must be
// either dropped and counted or accepted, and no malformed packet may end the
// session or be answered with a handshake.
func FuzzReceivePacket(f *testing.F) {
	ca := newTestConn(f)
	a := newNodeOn(f, ca, nil)
	b := newNode(f, nil)
	sa, sb := connect(f, a, b)
	for _, p := range capture(ca, func() { require.NoError(f, sa.SendDatagram([]byte("seed datagram"))) }) {
		f.Add(p)
	}
	recvString(f, sb)
	f.Add([]byte{1, 1, 0, 0})
	f.Add(append([]byte{1, 2, 0, 0}, make([]byte, wire.ResponseLen-4)...))
	f.Add(append([]byte{1, 3, 0, 0}, make([]byte, wire.ChallengeLen-4)...))
	src := a.LocalAddr()
	f.Fuzz(func(t *testing.T, pkt []byte) {
		before := b.Stats()
		rx := rxState{now: time.Now()} // the fuzzer's own, beside b's receive goroutine
		b.receivePacket(&rx, append([]byte(nil), pkt...), src)
		rx.flush()
		after := b.Stats()
		require.Equal(t, before.PacketsReceived+1, after.PacketsReceived)
		require.NoError(t, sb.Context().Err(), "a fuzzed packet ended the session")
		// Either dropped and counted, queued for the handshake worker, or an
		// authentic replay-free DATA packet (only the seed qualifies, once).
		dropped := after.Drops.Total() > before.Drops.Total()
		typ, err := wire.ParseType(pkt)
		if err != nil {
			require.True(t, dropped, "malformed packet not counted")
		}
		if err == nil && typ == wire.TypeData && !dropped {
			require.Greater(t, sb.Stats().PacketsReceived, uint64(0))
		}
	})
}
