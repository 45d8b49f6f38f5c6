package sttcore

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
)

// Regression tests for defects found in review (each was reproduced first).

// RejectAfterMessages counts per keypair, not the session-wide counter.
func TestRejectAfterMessagesIsPerKeypair(t *testing.T) {
	mod := func(c *Config) { c.RekeyAfterMessages = 50; c.RejectAfterMessages = 100 }
	a, b := newNode(t, mod), newNode(t, mod)
	sa, sb := connect(t, a, b)
	const count = 400
	for range count {
		require.NoError(t, sa.SendDatagram([]byte("x")))
		time.Sleep(time.Millisecond) // let rekeys keep up
	}
	waitFor(t, 10*time.Second, func() bool { return sb.Stats().DatagramsReceived+sb.Stats().Drops.Total() >= count },
		"datagrams missing: %d received, drops %v", sb.Stats().DatagramsReceived, b.Stats().Drops.Map())
	require.Zero(t, b.Stats().Drops[DropExpired], "drops %v", b.Stats().Drops.Map())
	require.Greater(t, sa.Stats().Handshakes, uint64(3), "rekeys by message count")
}

// Dial on a session that a HELLO began and nothing confirmed (a replayed
// HELLO after a restart) runs a handshake instead of waiting for nothing.
func TestDialOnUnconfirmedInboundSession(t *testing.T) {
	short := func(c *Config) { c.RekeyTimeout = 200 * time.Millisecond; c.RekeyAttemptTime = 5 * time.Second }
	ca := newTestConn(t)
	ca.recording.Store(true)
	x := newNodeOn(t, ca, short)
	key := newKey(t)
	a1 := newNode(t, func(c *Config) { c.PrivateKey = key; short(c) })
	connect(t, x, a1)
	ca.recording.Store(false)
	hello := ca.takeHello()
	require.NotNil(t, hello)
	a2 := newNode(t, func(c *Config) { c.PrivateKey = key; short(c) }) // a1 restarted
	attacker := rawSocket(t, "127.0.0.1:0")
	_, err := attacker.WriteToUDP(hello, net.UDPAddrFromAddrPort(a2.LocalAddr()))
	require.NoError(t, err)
	waitFor(t, 2*time.Second, func() bool { return a2.Stats().Sessions == 1 }, "no session")
	start := time.Now()
	_, err = a2.Dial(ctxT(t, 10*time.Second), x.PublicKey(), x.LocalAddr().String())
	require.NoError(t, err)
	require.Less(t, time.Since(start), 2*time.Second)
}

// Sessions in a row to one responder never reuse a HELLO timestamp.
func TestHelloTimestampsGrowAcrossSessions(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	for range 10 {
		sa, _ := connect(t, a, b)
		require.NoError(t, sa.Close())
		waitFor(t, 2*time.Second, func() bool { return b.Stats().Sessions == 0 }, "b kept the session")
	}
	require.Zero(t, b.Stats().Drops[DropHelloReplay])
}

// Forgetting a peer's timestamp must not let its old HELLOs in again.
func TestHelloTimestampEvictionKeepsAFloor(t *testing.T) {
	b := newNode(t, nil)
	victim := stc.PublicKey{1}
	old := tai64n.Stamp(time.Unix(1000, 0))
	require.True(t, b.rememberHello(victim, old))
	// Mint identities until the victim is pushed out (each new one evicts a
	// random entry once the map is full).
	evicted := false
	for i := 0; i < 100*maxLastHello && !evicted; i++ {
		k := stc.PublicKey{2, byte(i), byte(i >> 8), byte(i >> 16)}
		require.True(t, b.rememberHello(k, tai64n.Stamp(time.Unix(2000+int64(i), 0))))
		b.mu.Lock()
		_, kept := b.lastHello[victim]
		b.mu.Unlock()
		evicted = !kept
	}
	require.True(t, evicted, "the victim was never evicted")
	require.False(t, b.rememberHello(victim, old), "its old HELLO is still refused")
	require.False(t, b.rememberHello(stc.PublicKey{9}, old), "and so is anything older than what was forgotten")
	require.True(t, b.rememberHello(victim, tai64n.Stamp(time.Unix(1e9, 0))), "a new one is accepted")
}

// A HELLO for a session that is closing starts a new session; it never puts
// keys into the dead one.
func TestHelloDoesNotReviveClosedSession(t *testing.T) {
	ca := newTestConn(t)
	a := newNodeOn(t, ca, nil)
	b := newNode(t, nil)
	sa, _ := connect(t, a, b)
	sb, ok := b.Session(a.PublicKey())
	require.True(t, ok)
	// Capture a rekey HELLO from a, and close b's session before it arrives.
	ca.recording.Store(true)
	ca.swallow.Store(true) // the test holds the only copy of this HELLO
	sa.mu.Lock()
	sa.sendHelloLocked(a.now())
	sa.mu.Unlock()
	ca.swallow.Store(false)
	ca.recording.Store(false)
	hello := ca.takeHello()
	require.NotNil(t, hello)
	sb.terminate(ErrIdleTimeout)
	b.handleHello(hello, a.LocalAddr())
	require.Nil(t, sb.kps.next, "no keypair went into the closed session")
	nb, ok := b.Session(a.PublicKey())
	require.True(t, ok, "the HELLO began a new session")
	require.NotSame(t, sb, nb)
}

// AcceptPeer may call the node: it runs without the node's lock.
func TestAcceptPeerMayCallTheNode(t *testing.T) {
	var bp atomic.Pointer[Node]
	called := make(chan struct{}, 1)
	b := newNode(t, func(c *Config) {
		c.AcceptPeer = func(stc.PublicKey) bool {
			_ = bp.Load().Stats()
			select {
			case called <- struct{}{}:
			default:
			}
			return true
		}
	})
	bp.Store(b)
	a := newNode(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.Dial(ctx, b.PublicKey(), b.LocalAddr().String())
	require.NoError(t, err)
	<-called
}

// Datagrams sent while the handshake completes are never stranded: a
// datagram staged just after the post-handshake flush would otherwise wait
// for the next handshake.
func TestNoDatagramStrandedAtEstablishment(t *testing.T) {
	for round := range 30 {
		a, b := newNode(t, nil), newNode(t, nil)
		s, err := a.Open(b.PublicKey(), b.LocalAddr())
		require.NoError(t, err)
		const count = 50
		for i := range count {
			require.NoError(t, s.SendDatagram([]byte{byte(i)}))
			if i%5 == 0 {
				time.Sleep(100 * time.Microsecond) // spread the sends across the handshake
			}
		}
		sb, err := b.Accept(ctxT(t, 5*time.Second))
		require.NoError(t, err)
		for range count {
			_, err := sb.ReceiveDatagram(ctxT(t, 5*time.Second))
			require.NoError(t, err, "round %d: a datagram was stranded; a %+v", round, s.Stats())
		}
		require.NoError(t, a.Close())
		require.NoError(t, b.Close())
	}
}
