package sttcore

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNowf(t, "condition not met", msg, args...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A node of another network, or one the responder does not accept, gets no
// packet at all back, and the responder counts the drop.
func TestStrangersGetNoAnswer(t *testing.T) {
	tests := []struct {
		name   string
		dialer func(*Config)
		server func(*Config)
		reason DropReason
	}{
		{"different shared seed", func(c *Config) { c.SharedSeed = []byte("another network's shared seed") }, nil, DropMAC1},
		{"no shared seed", func(c *Config) { c.SharedSeed = nil }, nil, DropMAC1},
		{"unknown static key", nil, func(c *Config) { c.AcceptPeer = func(stc.PublicKey) bool { return false } }, DropUnknownPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newNode(t, tt.server)
			dialer := newNode(t, func(c *Config) {
				c.RekeyTimeout = 100 * time.Millisecond // retry fast: several HELLOs go out
				if tt.dialer != nil {
					tt.dialer(c)
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			dialErr := make(chan error, 1)
			go func() {
				_, err := dialer.Dial(ctx, server.PublicKey(), server.LocalAddr().String())
				dialErr <- err
			}()
			// Let several HELLOs arrive, however slow the machine, then give up.
			waitFor(t, 10*time.Second, func() bool { return server.Stats().Drops[tt.reason] >= 2 },
				"HELLOs not dropped as %v: %v", tt.reason, server.Stats().Drops.Map())
			cancel()
			require.ErrorIs(t, <-dialErr, context.Canceled)

			require.Zero(t, dialer.Stats().PacketsReceived, "the dialer must receive nothing")
			st := server.Stats()
			require.GreaterOrEqual(t, st.Drops[tt.reason], uint64(2), "drops: %v", st.Drops.Map())
			require.Equal(t, st.Drops[tt.reason], st.Drops.Total(), "only that kind of drop")
			require.Zero(t, st.Sessions)
			require.Zero(t, st.HandshakesDone)
		})
	}
}

// Garbage of every kind is dropped, counted and never answered.
func TestGarbageIsDroppedSilently(t *testing.T) {
	server := newNode(t, nil)
	attacker := rawSocket(t, "127.0.0.1:0")
	dst := net.UDPAddrFromAddrPort(server.LocalAddr())
	inputs := [][]byte{
		{},
		{1},
		{1, 4, 0, 0},
		make([]byte, wire.HelloLen), // version 0
		append([]byte{1, 1, 0, 0}, make([]byte, wire.HelloLen-4)...), // HELLO, bad mac1
		append([]byte{1, 4, 0, 0}, make([]byte, 60)...),              // DATA to index 0
		append([]byte{2, 4, 0, 0}, make([]byte, 60)...),              // version 2
		append([]byte{1, 4, 1, 0}, make([]byte, 60)...),              // reserved set
	}
	for _, in := range inputs {
		_, err := attacker.WriteToUDP(in, dst)
		require.NoError(t, err)
	}
	waitFor(t, 5*time.Second, func() bool { return server.Stats().Drops.Total() == uint64(len(inputs)) },
		"drops %v", server.Stats().Drops.Map())
	st := server.Stats()
	require.Equal(t, uint64(6), st.Drops[DropMalformed])
	require.Equal(t, uint64(1), st.Drops[DropMAC1])
	require.Equal(t, uint64(1), st.Drops[DropUnknownIndex])
	require.NoError(t, attacker.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, _, err := attacker.ReadFromUDP(make([]byte, 100))
	require.ErrorIs(t, err, netErrTimeout, "nothing may be sent back")
}

// netErrTimeout is what a read that got nothing before its deadline wraps.
var netErrTimeout = os.ErrDeadlineExceeded

// capture returns the DATA packets a node sent while f ran.
func capture(c *testConn, f func()) [][]byte {
	c.takeSent()
	c.recording.Store(true)
	f()
	c.recording.Store(false)
	var data [][]byte
	for _, p := range c.takeSent() {
		if typ, err := wire.ParseType(p); err == nil && typ == wire.TypeData {
			data = append(data, p)
		}
	}
	return data
}

func TestReplayAndTamperingAreRejected(t *testing.T) {
	ca := newTestConn(t)
	a := newNodeOn(t, ca, nil)
	b := newNode(t, nil)
	sa, sb := connect(t, a, b)

	pkts := capture(ca, func() { require.NoError(t, sa.SendDatagram([]byte("pay me 100 coins"))) })
	require.Len(t, pkts, 1)
	require.Equal(t, "pay me 100 coins", recvString(t, sb))
	pkt := pkts[0]

	attacker := rawSocket(t, "127.0.0.1:0")
	dst := net.UDPAddrFromAddrPort(b.LocalAddr())

	// The same packet again: a replay.
	before := sb.Stats().Drops[DropReplay]
	_, err := attacker.WriteToUDP(pkt, dst)
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return sb.Stats().Drops[DropReplay] == before+1 }, "replay not counted")

	// Every single flipped bit, header or ciphertext or tag, is rejected.
	for bit := range len(pkt) * 8 {
		m := append([]byte(nil), pkt...)
		m[bit/8] ^= 1 << (bit % 8)
		_, err := attacker.WriteToUDP(m, dst)
		require.NoError(t, err)
	}
	flips := uint64(len(pkt) * 8)
	waitFor(t, 10*time.Second, func() bool {
		return b.Stats().Drops.Total() >= flips+1
	}, "flipped packets not all counted: %v", b.Stats().Drops.Map())
	st := b.Stats()
	// 1 replay, and every flip dropped for one reason or another.
	require.Equal(t, flips+1, st.Drops.Total(), "%v", st.Drops.Map())
	require.Equal(t, uint64(1), sb.Stats().DatagramsReceived, "nothing forged was delivered")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = sb.ReceiveDatagram(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// The session is unharmed: a genuine datagram still goes through.
	require.NoError(t, sa.SendDatagram([]byte("genuine")))
	require.Equal(t, "genuine", recvString(t, sb))
	require.Equal(t, b.LocalAddr(), sa.RemoteAddr())
	require.Equal(t, a.LocalAddr(), sb.RemoteAddr(), "forged packets must not move the endpoint")
}

func TestReplayedHelloIsRejected(t *testing.T) {
	ca := newTestConn(t)
	ca.recording.Store(true)
	a := newNodeOn(t, ca, nil)
	b := newNode(t, nil)
	connect(t, a, b)
	ca.recording.Store(false)
	hello := ca.takeHello()
	require.NotNil(t, hello)

	attacker := rawSocket(t, "127.0.0.1:0")
	_, err := attacker.WriteToUDP(hello, net.UDPAddrFromAddrPort(b.LocalAddr()))
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return b.Stats().Drops[DropHelloReplay] == 1 }, "drops %v", b.Stats().Drops.Map())
	require.Equal(t, uint64(1), b.Stats().HandshakesDone, "no second handshake")
	require.NoError(t, attacker.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, _, err = attacker.ReadFromUDP(make([]byte, 200))
	require.ErrorIs(t, err, netErrTimeout)

	// Even after the session is gone, the timestamp is remembered.
	s, ok := b.Session(a.PublicKey())
	require.True(t, ok)
	require.NoError(t, s.Close())
	_, err = attacker.WriteToUDP(hello, net.UDPAddrFromAddrPort(b.LocalAddr()))
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return b.Stats().Drops[DropHelloReplay] == 2 }, "drops %v", b.Stats().Drops.Map())
	require.Zero(t, b.Stats().Sessions)
}

func TestRoaming(t *testing.T) {
	ca := newTestConn(t)
	a := newNodeOn(t, ca, nil)
	b := newNode(t, nil)
	sa, sb := connect(t, a, b)
	require.NoError(t, sa.SendDatagram([]byte("before")))
	require.Equal(t, "before", recvString(t, sb))
	oldAddr := sb.RemoteAddr()

	ca.rebind()
	newAddr := a.LocalAddr()
	require.NotEqual(t, oldAddr, newAddr)

	require.NoError(t, sa.SendDatagram([]byte("after")))
	require.Equal(t, "after", recvString(t, sb))
	require.Equal(t, newAddr, sb.RemoteAddr(), "the endpoint follows the authenticated packet")
	require.NoError(t, sb.SendDatagram([]byte("reply")))
	require.Equal(t, "reply", recvString(t, sa))

	require.Equal(t, uint64(1), sb.Stats().Handshakes, "no new handshake")
	require.Equal(t, uint64(1), sb.Stats().KeyEpoch)
	require.Equal(t, uint64(1), sb.Stats().Roams)
	require.Equal(t, netip.AddrPort(newAddr), sb.Stats().Endpoint)
}
