package sttcore

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/stc"
)

func TestApplicationFrames(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	got := make(chan string, 4)
	require.NoError(t, b.HandleFrame(0x90, func(s *Session, data []byte) {
		require.Equal(t, a.PublicKey(), s.RemotePublicKey())
		got <- "0x90:" + string(data)
	}))
	require.Error(t, b.HandleFrame(0x30, func(*Session, []byte) {}), "0x30 is not an application type")
	sa, _ := connect(t, a, b)

	require.NoError(t, sa.SendFrame(0x90, []byte("hello")))
	select {
	case m := <-got:
		require.Equal(t, "0x90:hello", m)
	case <-time.After(5 * time.Second):
		t.Fatal("frame not delivered")
	}
	// A type without a handler is ignored, and removal works.
	require.NoError(t, sa.SendFrame(0x91, []byte("nobody listens")))
	require.NoError(t, b.HandleFrame(0x90, nil))
	require.NoError(t, sa.SendFrame(0x90, []byte("after removal")))
	require.NoError(t, sa.SendDatagram([]byte("sync")))
	sb, ok := b.Session(a.PublicKey())
	require.True(t, ok)
	require.Equal(t, "sync", recvString(t, sb)) // sent after the frames, so they were processed
	select {
	case m := <-got:
		t.Fatalf("unexpected frame %q", m)
	default:
	}
	require.Error(t, sa.SendFrame(0x10, nil))
}

func TestIPFrames(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	var mu sync.Mutex
	var packets [][]byte
	b.HandleIP(IPHandler(func(s *Session, p []byte) {
		mu.Lock()
		packets = append(packets, append([]byte(nil), p...))
		mu.Unlock()
	}))
	sa, _ := connect(t, a, b)
	pkt := []byte{0x45, 0, 0, 20, 1, 2, 3, 4, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	require.NoError(t, sa.SendIP(pkt))
	waitFor(t, 5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(packets) == 1 }, "IP packet not delivered")
	require.Equal(t, pkt, packets[0])
}

// batchReceiver records what an IPReceiver is given.
type batchReceiver struct {
	mu      sync.Mutex
	packets [][]byte
	offsets []int
	flushes int
	pending int // packets received since the last flush
	maxRun  int
}

func (r *batchReceiver) ReceiveIP(s *Session, buf []byte, offset int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.packets = append(r.packets, append([]byte(nil), buf[offset:]...))
	r.offsets = append(r.offsets, offset)
	r.pending++
	r.maxRun = max(r.maxRun, r.pending)
	clear(buf[:offset]) // the room in front is the receiver's to use
}

func (r *batchReceiver) FlushIP() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushes++
	r.pending = 0
}

func (r *batchReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.packets)
}

// SendIPBatch seals packets in their own buffers and the peer's IPReceiver
// gets them in batches, each followed by a flush, with IPHeadroom in front.
func TestSendIPBatch(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	r := &batchReceiver{}
	b.HandleIP(r)
	sa, _ := connect(t, a, b)

	const offset, count = 32, 100
	bufs := make([][]byte, count)
	want := make([][]byte, count)
	for i := range bufs {
		pkt := []byte{0x45, 0, 0, 20, 1, 2, 3, 4, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, byte(i)}
		want[i] = pkt
		bufs[i] = append(make([]byte, offset, offset+len(pkt)+IPTailroom), pkt...)
	}
	sent := sa.Stats().PacketsSent
	require.NoError(t, sa.SendIPBatch(bufs, offset))
	waitFor(t, 5*time.Second, func() bool { return r.count() == count }, "packets not delivered")
	r.mu.Lock()
	require.ElementsMatch(t, want, r.packets)
	for _, off := range r.offsets {
		require.GreaterOrEqual(t, off, IPHeadroom)
	}
	require.Positive(t, r.flushes)
	require.Less(t, r.flushes, count, "one flush per batch, not per packet")
	require.Zero(t, r.pending, "every batch ends with a flush")
	r.mu.Unlock()
	// The session goroutine may send a keepalive meanwhile (the handshake's
	// confirmation), never more.
	require.InDelta(t, sent+count, sa.Stats().PacketsSent, 1)

	// Bad calls: too little head room; a packet without tail room is not
	// sent, the others are.
	require.Error(t, sa.SendIPBatch(bufs, IPHeadroom-1))
	short := append(make([]byte, offset), want[0]...)
	ok := append(make([]byte, offset, offset+len(want[1])+IPTailroom), want[1]...)
	short = short[:len(short):len(short)]
	require.ErrorIs(t, sa.SendIPBatch([][]byte{short, ok}, offset), ErrDatagramTooLarge)
	waitFor(t, 5*time.Second, func() bool { return r.count() == count+1 }, "the good packet not delivered")

	// After the session ended, the buffers are left as they were.
	require.NoError(t, sa.Close())
	buf := append(make([]byte, offset, offset+len(want[0])+IPTailroom), want[0]...)
	before := append([]byte(nil), buf...)
	require.ErrorIs(t, sa.SendIPBatch([][]byte{buf}, offset), net.ErrClosed)
	require.Equal(t, before, buf)
}

func TestDatagramsStagedUntilHandshake(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	// Sessions are usable before they are established: datagrams sent at once
	// wait for the handshake instead of being lost.
	ctx := ctxT(t, 10*time.Second)
	done := make(chan *Session)
	go func() {
		s, err := a.Dial(ctx, b.PublicKey(), b.LocalAddr().String())
		require.NoError(t, err)
		done <- s
	}()
	var sa *Session
	waitFor(t, 5*time.Second, func() bool {
		var ok bool
		sa, ok = a.Session(b.PublicKey())
		return ok
	}, "no session")
	for _, m := range []string{"one", "two", "three"} {
		require.NoError(t, sa.SendDatagram([]byte(m)))
	}
	require.Same(t, sa, <-done)
	sb, err := b.Accept(ctx)
	require.NoError(t, err)
	got := map[string]bool{}
	for range 3 {
		got[recvString(t, sb)] = true
	}
	require.Equal(t, map[string]bool{"one": true, "two": true, "three": true}, got)
}

func TestHandshakeTimeout(t *testing.T) {
	a := newNode(t, func(c *Config) {
		c.RekeyTimeout = 50 * time.Millisecond
		c.RekeyAttemptTime = 300 * time.Millisecond
	})
	// Nobody listens there: Dial gives up after RekeyAttemptTime.
	silent := rawSocket(t, "127.0.0.1:0")
	peer, _ := stc.GeneratePrivateKey()
	start := time.Now()
	_, err := a.Dial(context.Background(), peer.PublicKey(), silent.LocalAddr().String())
	require.ErrorIs(t, err, ErrHandshakeTimeout)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	require.Zero(t, a.Stats().Sessions)
	require.Zero(t, a.Stats().Indices, "no index left behind")

	// And the retries went out with backoff: several HELLOs, not one per 50 ms tick.
	require.NoError(t, silent.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	n := 0
	buf := make([]byte, 200)
	for {
		if _, _, err := silent.ReadFromUDP(buf); err != nil {
			break
		}
		n++
	}
	require.GreaterOrEqual(t, n, 2)
	require.LessOrEqual(t, n, 6, "50, 100, 200 ms backoff: at most a handful in 300 ms")
}

func TestKeepalives(t *testing.T) {
	timers := func(c *Config) {
		c.KeepaliveTimeout = 100 * time.Millisecond
		c.IdleTimeout = -1
	}
	a := newNode(t, timers)
	b := newNode(t, timers)
	sa, sb := connect(t, a, b)
	sa.SetPersistentKeepalive(100 * time.Millisecond)

	// Persistent keepalive: a sends on its own while idle.
	before := sb.Stats().PacketsReceived
	waitFor(t, 5*time.Second, func() bool { return sb.Stats().PacketsReceived >= before+3 }, "no persistent keepalives")

	// Passive keepalive: b received data and sends a keepalive back by itself.
	beforeA := sa.Stats().PacketsReceived
	require.NoError(t, sa.SendDatagram([]byte("data")))
	recvString(t, sb)
	waitFor(t, 5*time.Second, func() bool { return sa.Stats().PacketsReceived > beforeA }, "no passive keepalive")
	require.Zero(t, sa.Stats().DatagramsReceived, "keepalives carry no datagram")
}

func TestIdleTimeout(t *testing.T) {
	a := newNode(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	b := newNode(t, func(c *Config) { c.IdleTimeout = -1 })
	sa, _ := connect(t, a, b)
	select {
	case <-sa.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session did not time out")
	}
	require.ErrorIs(t, context.Cause(sa.Context()), ErrIdleTimeout)
	require.ErrorIs(t, sa.SendDatagram([]byte("x")), net.ErrClosed)
	require.ErrorIs(t, sa.SendDatagram([]byte("x")), ErrIdleTimeout)
}

func TestNodeClose(t *testing.T) {
	a := newNode(t, nil)
	b, err := Listen("127.0.0.1:0", &Config{PrivateKey: newKey(t), SharedSeed: testSeed})
	require.NoError(t, err)
	sa, sb := connect(t, a, b)
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "Close is idempotent")

	_, err = sb.ReceiveDatagram(context.Background())
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = b.Accept(context.Background())
	require.ErrorIs(t, err, ErrNodeClosed)
	_, err = b.Dial(context.Background(), a.PublicKey(), a.LocalAddr().String())
	require.ErrorIs(t, err, net.ErrClosed)
	// The peer heard about it.
	select {
	case <-sa.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("peer not told")
	}
	var ce *CloseError
	require.True(t, errors.As(context.Cause(sa.Context()), &ce))
	require.True(t, ce.Remote)
}

func TestConfigErrors(t *testing.T) {
	_, err := NewNode(nil, nil)
	require.ErrorContains(t, err, "PrivateKey")
	_, err = Listen("127.0.0.1:0", &Config{})
	require.ErrorContains(t, err, "PrivateKey is not set")
	_, err = Listen("127.0.0.1:0", &Config{PrivateKey: newKey(t), SharedSeed: []byte("short")})
	require.ErrorContains(t, err, "SharedSeed")
	_, err = Listen("127.0.0.1:0", &Config{PrivateKey: newKey(t), RekeyAfterTime: time.Hour})
	require.ErrorContains(t, err, "RejectAfterTime")
	_, err = Listen("256.0.0.1:0", &Config{PrivateKey: newKey(t)})
	require.Error(t, err)
}

func TestDialErrors(t *testing.T) {
	a := newNode(t, nil)
	_, err := a.Dial(context.Background(), a.PublicKey(), "127.0.0.1:1")
	require.ErrorIs(t, err, ErrSelf)
	_, err = a.Dial(context.Background(), stc.PublicKey{}, "127.0.0.1:1")
	require.ErrorIs(t, err, stc.ErrWeakKey)
	k, _ := stc.GeneratePrivateKey()
	_, err = a.Dial(context.Background(), k.PublicKey(), "no port")
	require.Error(t, err)
	require.ErrorIs(t, (&Session{}).checkDatagramSize(make([]byte, MaxDatagramSize+1)), ErrDatagramTooLarge)
}
