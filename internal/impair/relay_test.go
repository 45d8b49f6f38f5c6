package impair

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for a condition; the conditions are met
// within milliseconds on an idle machine.
const waitTimeout = 20 * time.Second

// udpPeer is a loopback UDP socket whose reader goroutine either echoes
// datagrams back (echo) or hands them to the test (recv).
type udpPeer struct {
	conn *net.UDPConn
	recv chan datagram
}

type datagram struct {
	b    []byte
	from netip.AddrPort
}

func newPeer(t *testing.T, echo bool) *udpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	_ = c.SetReadBuffer(4 << 20)
	p := &udpPeer{conn: c, recv: make(chan datagram, 100000)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if echo {
				if _, err := c.WriteToUDPAddrPort(buf[:n], from); err != nil {
					return
				}
				continue
			}
			p.recv <- datagram{bytes.Clone(buf[:n]), from}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return p
}

func (p *udpPeer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// next returns the payload of the next datagram the peer received.
func (p *udpPeer) next(t *testing.T) []byte {
	t.Helper()
	return p.nextDatagram(t).b
}

func (p *udpPeer) nextDatagram(t *testing.T) datagram {
	t.Helper()
	select {
	case d := <-p.recv:
		return d
	case <-time.After(waitTimeout):
		t.Fatalf("no datagram within %v", waitTimeout)
		return datagram{}
	}
}

// client is a socket that talks to the relay and collects its replies.
func newClient(t *testing.T) *udpPeer { return newPeer(t, false) }

func startRelay(t *testing.T, target netip.AddrPort, cfg Config) *Relay {
	t.Helper()
	r, err := NewRelay(t.Context(), "127.0.0.1:0", target.String(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

func relayAddr(r *Relay) netip.AddrPort { return r.Addr().(*net.UDPAddr).AddrPort() }

// send writes b to the relay from c.
func send(t *testing.T, c *udpPeer, r *Relay, b []byte) {
	t.Helper()
	_, err := c.conn.WriteToUDPAddrPort(b, relayAddr(r))
	require.NoError(t, err)
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, waitTimeout, time.Millisecond, what)
}

// sendWindowed sends n datagrams from c through r in windows small enough
// for any socket buffer, waiting after each window until the relay has
// decided every datagram's fate: no kernel drop can blur the counts.
func sendWindowed(t *testing.T, c *udpPeer, r *Relay, n int, size int) {
	t.Helper()
	const window = 100
	for start := 0; start < n; start += window {
		end := min(start+window, n)
		for i := start; i < end; i++ {
			send(t, c, r, payload(i, size))
		}
		waitFor(t, "relay reads the window", func() bool {
			st := r.Stats().Up
			return st.Received == uint64(end) && st.Queued == 0
		})
	}
}

func TestRelayPassThrough(t *testing.T) {
	echo := newPeer(t, true)
	r := startRelay(t, echo.addr(), Config{})
	c1, c2 := newClient(t), newClient(t)
	sizes := []int{0, 1, 8, 100, 1350, poolBufSize, poolBufSize + 1, 9000, 65507}
	n := 0
	for i, size := range append(sizes, sizes...) {
		for _, c := range []*udpPeer{c1, c2} {
			msg := make([]byte, size)
			for j := range msg {
				msg[j] = byte(i*31 + j + int(c.addr().Port()))
			}
			send(t, c, r, msg)
			require.Equal(t, msg, c.next(t), "size %d", size)
			n++
		}
	}
	st := r.Stats()
	require.Equal(t, 2, st.Clients)
	for _, d := range []DirectionStats{st.Up, st.Down} {
		require.Equal(t, uint64(n), d.Received)
		require.Equal(t, uint64(n), d.Forwarded)
		require.Zero(t, d.DroppedLoss+d.DroppedQueue+d.Duplicated+d.Corrupted+d.Reordered+d.SendErrors)
	}
}

func TestRelayOneUpstreamPerClient(t *testing.T) {
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{})
	sources := make(map[netip.AddrPort]int)
	for range 3 {
		c := newClient(t)
		for range 2 {
			send(t, c, r, []byte("x"))
			d := sink.nextDatagram(t)
			require.NotEqual(t, c.addr(), d.from)
			sources[d.from]++
		}
	}
	require.Len(t, sources, 3, "each client gets its own upstream source address")
	for _, n := range sources {
		require.Equal(t, 2, n, "a client keeps its upstream socket")
	}
	require.Equal(t, 3, r.Stats().Clients)
}

func TestRelayLoss(t *testing.T) {
	const (
		n = 20000
		p = 0.2
	)
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{})
	require.NoError(t, r.SetDirectionConfig(Up, Config{Loss: p, Seed: 42}))
	c := newClient(t)
	sendWindowed(t, c, r, n, 16)
	st := r.Stats().Up
	require.Equal(t, uint64(n), st.Received)
	require.InDelta(t, n*p, float64(st.DroppedLoss), fiveSigma(n, p))
	require.Equal(t, uint64(n)-st.DroppedLoss, st.Forwarded)
	// What the relay forwarded is what the target got, each once.
	seen := make(map[int]bool)
	for range st.Forwarded {
		i := index(sink.next(t))
		require.False(t, seen[i], "datagram %d twice", i)
		seen[i] = true
	}
	require.Empty(t, sink.recv)
}

func TestRelayDuplicate(t *testing.T) {
	const (
		n = 5000
		p = 0.3
	)
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{Duplicate: p, Seed: 1})
	c := newClient(t)
	sendWindowed(t, c, r, n, 16)
	st := r.Stats().Up
	require.InDelta(t, n*p, float64(st.Duplicated), fiveSigma(n, p))
	require.Equal(t, uint64(n)+st.Duplicated, st.Forwarded)
	count := make(map[int]int)
	for range st.Forwarded {
		count[index(sink.next(t))]++
	}
	twice := 0
	for _, k := range count {
		if k == 2 {
			twice++
		}
	}
	require.Equal(t, n, len(count))
	require.Equal(t, int(st.Duplicated), twice)
}

func TestRelayDelay(t *testing.T) {
	const delay = 25 * time.Millisecond
	echo := newPeer(t, true)
	r := startRelay(t, echo.addr(), Config{Delay: delay, Jitter: 5 * time.Millisecond})
	c := newClient(t)
	for i := range 10 {
		start := time.Now()
		send(t, c, r, payload(i, 32))
		require.Equal(t, payload(i, 32), c.next(t))
		// Lower bound only: a busy machine may add any amount.
		require.GreaterOrEqual(t, time.Since(start), 2*delay)
	}
}

func TestRelayReorder(t *testing.T) {
	const n = 300
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{Reorder: 0.3, ReorderDelay: 30 * time.Millisecond, Seed: 2})
	c := newClient(t)
	for i := range n {
		send(t, c, r, payload(i, 16))
	}
	var order []int
	for range n {
		order = append(order, index(sink.next(t)))
	}
	require.Positive(t, r.Stats().Up.Reordered)
	require.Positive(t, inversions(order), "no datagram overtook another")
	require.ElementsMatch(t, func() []int {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}(), order)
}

func TestRelayCorrupt(t *testing.T) {
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{Corrupt: 1, Seed: 3})
	c := newClient(t)
	for i := range 50 {
		want := payload(i, 64)
		send(t, c, r, want)
		got := sink.next(t)
		require.Len(t, got, len(want))
		diff := 0
		for j := range want {
			if got[j] != want[j] {
				diff++
			}
		}
		require.Equal(t, 1, diff, "datagram %d", i)
	}
	require.Equal(t, uint64(50), r.Stats().Up.Corrupted)
}

func TestRelayQueueLimit(t *testing.T) {
	const limit = 50
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{QueueLimit: limit, Delay: time.Hour})
	c := newClient(t)
	const window = 100
	for sent := 0; sent < 2000; sent += window {
		for i := range window {
			send(t, c, r, payload(sent+i, 512))
		}
		waitFor(t, "relay reads the flood", func() bool { return r.Stats().Up.Received == uint64(sent+window) })
		st := r.Stats().Up
		require.LessOrEqual(t, st.Queued, limit)
	}
	st := r.Stats().Up
	require.Equal(t, limit, st.Queued)
	require.Equal(t, limit, st.MaxQueued)
	require.Equal(t, uint64(2000-limit), st.DroppedQueue)
	require.Zero(t, st.Forwarded)
	require.Empty(t, sink.recv)
	// Close with datagrams still queued (TestMain checks for leaks).
}

func TestRelayRate(t *testing.T) {
	const (
		rate = 200_000 // B/s
		size = 1000
		n    = 100
	)
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{RateBps: rate})
	c := newClient(t)
	start := time.Now()
	for i := range n {
		send(t, c, r, payload(i, size))
	}
	for range n {
		sink.next(t)
	}
	// Lower bound only: the bucket lets the burst through, then rate.
	burst := Config{RateBps: rate}.rateBurst()
	minTime := time.Duration((n*size - burst) / rate * float64(time.Second))
	require.GreaterOrEqual(t, time.Since(start), minTime)
}

func TestRelaySetConfigLive(t *testing.T) {
	sink := newPeer(t, false)
	r := startRelay(t, sink.addr(), Config{})
	c := newClient(t)

	require.NoError(t, r.SetConfig(Config{Loss: 1}))
	for i := range 10 {
		send(t, c, r, payload(i, 8))
	}
	waitFor(t, "10 dropped", func() bool { return r.Stats().Up.DroppedLoss == 10 })

	require.NoError(t, r.SetConfig(Config{}))
	send(t, c, r, payload(10, 8))
	require.Equal(t, 10, index(sink.next(t)), "loss 1 dropped everything before")

	err := r.SetConfig(Config{Loss: 2})
	require.ErrorIs(t, err, ErrInvalidConfig)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "Loss", ce.Field)
	cfg, err := r.Config(Up)
	require.NoError(t, err)
	require.Zero(t, cfg.Loss, "an invalid config changes nothing")
	_, err = r.Config(Direction(7))
	require.Error(t, err)
	require.Error(t, r.SetDirectionConfig(Direction(7), Config{}))
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"zero", Config{}, ""},
		{"full", Config{Loss: 1, Delay: MaxDelay, Jitter: 1, Reorder: 0.5, ReorderDelay: 1, Duplicate: 1, Corrupt: 1, RateBps: 1, QueueLimit: 1}, ""},
		{"loss<0", Config{Loss: -0.1}, "Loss"},
		{"loss NaN", Config{Loss: nan()}, "Loss"},
		{"reorder>1", Config{Reorder: 1.5}, "Reorder"},
		{"dup>1", Config{Duplicate: 1.01}, "Duplicate"},
		{"corrupt<0", Config{Corrupt: -1}, "Corrupt"},
		{"delay<0", Config{Delay: -1}, "Delay"},
		{"delay huge", Config{Delay: MaxDelay + 1}, "Delay"},
		{"jitter<0", Config{Jitter: -1}, "Jitter"},
		{"reorderdelay<0", Config{ReorderDelay: -1}, "ReorderDelay"},
		{"rate<0", Config{RateBps: -1}, "RateBps"},
		{"queue<0", Config{QueueLimit: -1}, "QueueLimit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.validate()
			if tt.field == "" {
				require.NoError(t, err)
				require.Positive(t, got.QueueLimit)
				require.Positive(t, got.ReorderDelay)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.field, ce.Field)
			require.Contains(t, err.Error(), tt.field)
			_, err = NewRelay(t.Context(), "127.0.0.1:0", "127.0.0.1:9", tt.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestNewRelayErrors(t *testing.T) {
	_, err := NewRelay(t.Context(), "127.0.0.1:0", "no-port", Config{})
	require.Error(t, err)
	_, err = NewRelay(t.Context(), "256.0.0.1:0", "127.0.0.1:9", Config{})
	require.Error(t, err)
}

func TestRelayIdleExpiry(t *testing.T) {
	echo := newPeer(t, true)
	r, err := newRelay(t.Context(), "127.0.0.1:0", echo.addr().String(), Config{}, 50*time.Millisecond)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	c := newClient(t)
	send(t, c, r, []byte("a"))
	require.Equal(t, []byte("a"), c.next(t))
	require.Equal(t, 1, r.Stats().Clients)
	waitFor(t, "idle client expires", func() bool { return r.Stats().Clients == 0 })
	send(t, c, r, []byte("b"))
	require.Equal(t, []byte("b"), c.next(t), "an expired client comes back as a new one")
	require.Equal(t, 1, r.Stats().Clients)
}

func TestRelayTargetRefuses(t *testing.T) {
	// A port nobody listens on: the upstream socket gets ECONNREFUSED,
	// which must not end the client.
	dead := newPeer(t, false)
	addr := dead.addr()
	dead.conn.Close()
	r := startRelay(t, addr, Config{})
	c := newClient(t)
	for i := range 20 {
		send(t, c, r, payload(i, 8))
	}
	waitFor(t, "all 20 handled", func() bool {
		st := r.Stats().Up
		return st.Forwarded+st.SendErrors == 20
	})
	require.Equal(t, 1, r.Stats().Clients)
}

func TestRelayClose(t *testing.T) {
	t.Run("explicit", func(t *testing.T) {
		echo, c := newPeer(t, true), newClient(t)
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the peers stay until cleanup
		r, err := NewRelay(context.Background(), "127.0.0.1:0", echo.addr().String(), Config{Delay: time.Hour})
		require.NoError(t, err)
		send(t, c, r, []byte("stays queued"))
		waitFor(t, "queued", func() bool { return r.Stats().Up.Queued == 1 })
		require.NoError(t, r.Close())
		require.NoError(t, r.Close(), "Close is idempotent")
		require.ErrorIs(t, context.Cause(r.Context()), net.ErrClosed)
		require.Zero(t, r.Stats().Clients)
		require.Equal(t, 1, r.Stats().Up.Queued)
	})
	t.Run("context", func(t *testing.T) {
		echo, c := newPeer(t, true), newClient(t)
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		ctx, cancel := context.WithCancel(context.Background())
		r, err := NewRelay(ctx, "127.0.0.1:0", echo.addr().String(), Config{})
		require.NoError(t, err)
		send(t, c, r, []byte("x"))
		require.Equal(t, []byte("x"), c.next(t))
		cancel()
		select {
		case <-r.Context().Done():
		case <-time.After(waitTimeout):
			t.Fatal("relay ignored its context")
		}
		require.ErrorIs(t, context.Cause(r.Context()), context.Canceled)
		require.NoError(t, r.Close()) // waits for the close the context began
		_, err = c.conn.WriteToUDPAddrPort([]byte("y"), relayAddr(r))
		require.NoError(t, err) // UDP: the send succeeds, nobody reads it
	})
	t.Run("concurrent", func(t *testing.T) {
		echo := newPeer(t, true)
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		r, err := NewRelay(context.Background(), "127.0.0.1:0", echo.addr().String(), Config{})
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { _ = r.Close() })
		}
		wg.Wait()
		require.True(t, errors.Is(context.Cause(r.Context()), net.ErrClosed))
	})
}

// TestRelayConcurrency is for the race detector: traffic in both
// directions from several clients while the config changes and stats are
// read.
func TestRelayConcurrency(t *testing.T) {
	echo := newPeer(t, true)
	r := startRelay(t, echo.addr(), Config{Jitter: time.Millisecond, Duplicate: 0.1, Seed: 4})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			_ = r.SetConfig(Config{Jitter: time.Duration(i%3) * time.Millisecond, Loss: 0.01})
			_ = r.Stats()
			time.Sleep(time.Millisecond) // pace the churn; not a wait for a condition
		}
	})
	for k := range 3 {
		c := newClient(t)
		wg.Go(func() {
			for i := range 200 {
				_, _ = c.conn.WriteToUDPAddrPort(payload(k*1000+i, 64), relayAddr(r))
			}
		})
	}
	waitFor(t, "traffic flows both ways", func() bool { return r.Stats().Down.Forwarded >= 300 })
	cancel()
	wg.Wait()
}

func BenchmarkRelayRoundTrip(b *testing.B) {
	for _, size := range []int{64, 1350} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			require.NoError(b, err)
			defer echo.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, maxDatagram)
				for {
					n, from, err := echo.ReadFromUDPAddrPort(buf)
					if err != nil {
						return
					}
					_, _ = echo.WriteToUDPAddrPort(buf[:n], from)
				}
			}()
			defer func() { echo.Close(); <-done }()
			r, err := NewRelay(context.Background(), "127.0.0.1:0", echo.LocalAddr().String(), Config{})
			require.NoError(b, err)
			defer r.Close()
			c, err := net.DialUDP("udp", nil, r.Addr().(*net.UDPAddr))
			require.NoError(b, err)
			defer c.Close()
			msg := make([]byte, size)
			buf := make([]byte, maxDatagram)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
