package sttcore

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seigr/stt-tun/sttcore/stc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testSeed = []byte("the shared seed of the test network")

func newKey(t testing.TB) stc.PrivateKey {
	k, err := stc.GeneratePrivateKey()
	require.NoError(t, err)
	return k
}

// newNode starts a node on a loopback UDP port and closes it at cleanup.
func newNode(t testing.TB, mod func(*Config)) *Node {
	cfg := &Config{PrivateKey: newKey(t), SharedSeed: testSeed}
	if mod != nil {
		mod(cfg)
	}
	n, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connect dials b from a and accepts on b.
func connect(t testing.TB, a, b *Node) (*Session, *Session) {
	ctx := ctxT(t, 10*time.Second)
	sa, err := a.Dial(ctx, b.PublicKey(), b.LocalAddr().String())
	require.NoError(t, err)
	sb, err := b.Accept(ctx)
	require.NoError(t, err)
	require.Equal(t, a.PublicKey(), sb.RemotePublicKey())
	return sa, sb
}

func recvString(t testing.TB, s *Session) string {
	b, err := s.ReceiveDatagram(ctxT(t, 5*time.Second))
	require.NoError(t, err)
	return string(b)
}

func TestTwoNodes(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)

	// One round trip: exactly one HELLO and one RESPONSE were exchanged, then
	// the initiator's confirming packet.
	require.Equal(t, uint64(1), a.Stats().HandshakesDone)
	require.Equal(t, uint64(1), b.Stats().HandshakesDone)

	const count = 100
	for i := range count {
		require.NoError(t, sa.SendDatagram(fmt.Appendf(nil, "a->b %d", i)))
		require.NoError(t, sb.SendDatagram(fmt.Appendf(nil, "b->a %d", i)))
	}
	gotA, gotB := map[string]bool{}, map[string]bool{}
	for range count {
		gotB[recvString(t, sb)] = true
		gotA[recvString(t, sa)] = true
	}
	for i := range count {
		require.True(t, gotB[fmt.Sprintf("a->b %d", i)])
		require.True(t, gotA[fmt.Sprintf("b->a %d", i)])
	}

	stA, stB := sa.Stats(), sb.Stats()
	require.True(t, stA.Established)
	require.True(t, stB.Established)
	require.Equal(t, uint64(count), stA.DatagramsSent)
	require.Equal(t, uint64(count), stA.DatagramsReceived)
	require.Equal(t, uint64(count), stB.DatagramsReceived)
	require.Equal(t, uint64(1), stA.KeyEpoch)
	require.Equal(t, uint64(1), stB.KeyEpoch)
	require.Equal(t, stA.Suite, stB.Suite)
	require.Equal(t, b.LocalAddr(), stA.Endpoint)
	require.Equal(t, a.LocalAddr(), stB.Endpoint)
	require.Positive(t, stA.RTT, "the initiator measures HELLO to RESPONSE")
	require.Positive(t, stB.RTT, "the responder measures RESPONSE to the first packet")
	// Every packet one side sent, the other received: datagrams, plus the
	// initiator's confirming keepalive.
	require.Equal(t, stA.PacketsSent, stB.PacketsReceived)
	require.Equal(t, stB.PacketsSent, stA.PacketsReceived)
	require.Equal(t, stA.BytesSent, stB.BytesReceived)
	require.Equal(t, uint64(count+1), stA.PacketsSent)
	require.Zero(t, stA.Drops.Total())
	require.Zero(t, stB.Drops.Total())
	require.Zero(t, a.Stats().Drops.Total())
	require.Zero(t, b.Stats().Drops.Total())
	// 33 bytes of overhead per datagram (header 16, frame type 1, tag 16),
	// and 32 for the keepalive.
	want := 32
	for i := range count {
		want += len(fmt.Sprintf("a->b %d", i)) + 33
	}
	require.Equal(t, uint64(want), stA.BytesSent)

	// A second Dial returns the same session.
	again, err := a.Dial(ctxT(t, time.Second), b.PublicKey(), b.LocalAddr().String())
	require.NoError(t, err)
	require.Same(t, sa, again)
}

func TestCloseTellsPeer(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	require.NoError(t, sa.CloseWithError(7, "bye"))

	_, err := sb.ReceiveDatagram(ctxT(t, 5*time.Second))
	require.ErrorIs(t, err, net.ErrClosed)
	var ce *CloseError
	require.ErrorAs(t, context.Cause(sb.Context()), &ce)
	require.Equal(t, CloseError{Remote: true, Code: 7, Reason: "bye"}, *ce)
	require.ErrorIs(t, sa.SendDatagram([]byte("x")), net.ErrClosed)
	_, ok := b.Session(a.PublicKey())
	require.False(t, ok)
	require.Equal(t, 0, a.Stats().Indices)

	// And the pair can open a new session afterwards.
	sa2, sb2 := connect(t, a, b)
	require.NotSame(t, sa, sa2)
	require.NoError(t, sa2.SendDatagram([]byte("again")))
	require.Equal(t, "again", recvString(t, sb2))
}
