package sttcore

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/transport/transporttest"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// vnetPair returns two connected sessions over an in-process network with
// the given impairments; mod, when given, adjusts both nodes' configuration.
func vnetPair(t *testing.T, cfg transporttest.Config, mod ...func(*Config)) (*Node, *Node, *Session, *Session, *transporttest.Network) {
	netw := transporttest.NewNetwork(cfg)
	t.Cleanup(func() { _ = netw.Close() })
	ca, err := netw.NewConn(netip.MustParseAddrPort("10.0.0.1:7000"))
	require.NoError(t, err)
	cb, err := netw.NewConn(netip.MustParseAddrPort("10.0.0.2:7000"))
	require.NoError(t, err)
	apply := func(c *Config) {
		c.RekeyTimeout = 200 * time.Millisecond // handshakes are lost too
		for _, m := range mod {
			m(c)
		}
	}
	a, b := newNodeOn(t, ca, apply), newNodeOn(t, cb, apply)
	sa, sb := connect(t, a, b)
	return a, b, sa, sb, netw
}

// 1000 streams at once over a network that drops, delays, reorders and
// duplicates packets: every byte of every stream arrives, in order.
func TestThousandStreamsOverImpairedNetwork(t *testing.T) {
	testManyStreams(t, 1000, transporttest.Config{
		Loss: 0.02, Duplicate: 0.02, Reorder: 0.05, Delay: 5 * time.Millisecond, Jitter: 3 * time.Millisecond, Seed: 42,
	})
}

func testManyStreams(t *testing.T, streams int, cfg transporttest.Config) {
	_, _, sa, sb, netw := vnetPair(t, cfg)
	ctx := ctxT(t, 120*time.Second)

	type result struct {
		id  wire.StreamID
		sum [32]byte
		n   int
	}
	sent := make(chan result, streams)
	got := make(chan result, streams)
	errs := make(chan error, 2*streams)

	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			data := make([]byte, 1+rng.IntN(16<<10))
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			st, err := sa.OpenStream(ctx)
			if err != nil {
				errs <- err
				return
			}
			if _, err := st.Write(data); err != nil {
				errs <- err
				return
			}
			if err := st.CloseWrite(); err != nil {
				errs <- err
				return
			}
			sent <- result{st.StreamID(), sha256.Sum256(data), len(data)}
		})
	}
	wg.Go(func() {
		for range streams {
			st, err := sb.AcceptStream(ctx)
			if err != nil {
				errs <- err
				return
			}
			wg.Go(func() {
				data, err := io.ReadAll(st)
				if err != nil {
					errs <- err
					return
				}
				got <- result{st.StreamID(), sha256.Sum256(data), len(data)}
			})
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "network %+v; a: %+v; b: %+v", netw.Stats(), sa.Stats(), sb.Stats())
	}
	want := map[wire.StreamID]result{}
	for range streams {
		r := <-sent
		want[r.id] = r
	}
	total := 0
	for range streams {
		r := <-got
		require.Equal(t, want[r.id], r, "stream %d", r.id)
		total += r.n
	}
	st := netw.Stats()
	if cfg.Loss > 0 {
		require.Positive(t, st.DroppedLoss, "the network did drop packets")
	}
	if cfg.Duplicate > 0 {
		require.Positive(t, st.Duplicated)
	}
	t.Logf("%d streams, %d KiB; network: %+v", streams, total>>10, st)
	for _, s := range []*Session{sa, sb} {
		m := s.streams
		m.mu.Lock()
		t.Logf("sender side: %+v cwnd %d srtt %v", m.sph.Stats(), m.cc.GetCongestionWindow(), m.rttStats.SmoothedRTT())
		m.mu.Unlock()
	}
}

// A reader that stops blocks only its own stream: another stream of the
// same session goes on, and the stalled one holds bounded memory on both
// sides.
func TestStalledStreamBlocksOnlyItself(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	ctx := ctxT(t, 60*time.Second)

	stalled, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	// Write far more than any window: the writer must block, and time out.
	require.NoError(t, stalled.SetWriteDeadline(time.Now().Add(2*time.Second)))
	big := make([]byte, 64<<20)
	n, err := stalled.Write(big)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne interface{ Timeout() bool }
	require.True(t, errors.As(err, &ne) && ne.Timeout())
	require.Less(t, n, len(big))
	stalledPeer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)

	// Meanwhile another stream moves 32 MiB, more than the session window.
	busy, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	go func() {
		_, _ = busy.Write(make([]byte, 32<<20))
		_ = busy.CloseWrite()
	}()
	busyPeer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)
	m, err := io.Copy(io.Discard, busyPeer)
	require.NoError(t, err)
	require.Equal(t, int64(32<<20), m)

	// Bounded: the receiver holds at most the stream's largest window, the
	// sender at most its send buffer.
	require.LessOrEqual(t, stalledPeer.Stats().ReadBuffered, defaultMaxStreamWindow)
	require.LessOrEqual(t, stalled.Stats().Buffered, defaultStreamSendBuf)
	require.LessOrEqual(t, n, defaultStreamSendBuf+defaultMaxStreamWindow)
	t.Logf("stalled stream: %d bytes written before blocking, %d buffered at the receiver, %d at the sender",
		n, stalledPeer.Stats().ReadBuffered, stalled.Stats().Buffered)

	// And the stalled stream resumes when its reader reads.
	require.NoError(t, stalled.SetWriteDeadline(time.Time{}))
	go func() { _ = stalled.CloseWrite() }()
	rest, err := io.Copy(io.Discard, stalledPeer)
	require.NoError(t, err)
	require.Equal(t, int64(n), rest)
}

func TestStreamCancel(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	ctx := ctxT(t, 10*time.Second)
	st, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	_, err = st.Write([]byte("some data"))
	require.NoError(t, err)
	peer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)

	// The reader cancels: the writer's next writes fail with its code.
	peer.CancelRead(42)
	require.Eventually(t, func() bool {
		_, err := st.Write([]byte("more"))
		var se *StreamError
		return errors.As(err, &se) && se.ErrorCode == 42 && se.Remote
	}, 5*time.Second, 10*time.Millisecond)

	// The writer cancels: the reader's reads fail with its code.
	st2, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	_, err = st2.Write([]byte("partial"))
	require.NoError(t, err)
	peer2, err := sb.AcceptStream(ctx)
	require.NoError(t, err)
	st2.CancelWrite(7)
	_, err = io.ReadAll(peer2)
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, wire.ErrorCode(7), se.ErrorCode)
	require.True(t, se.Remote)
}

func TestStreamsEndWithSession(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	ctx := ctxT(t, 10*time.Second)
	st, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	_, err = st.Write([]byte("x"))
	require.NoError(t, err)
	peer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = io.ReadFull(peer, buf)
	require.NoError(t, err)

	readErr := make(chan error, 1)
	go func() { _, err := peer.Read(buf); readErr <- err }()
	require.NoError(t, sa.Close())
	select {
	case err := <-readErr:
		require.Error(t, err)
		require.NotErrorIs(t, err, io.EOF)
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return when the session closed")
	}
	_, err = sb.AcceptStream(context.Background())
	require.Error(t, err)
	_, err = st.Write([]byte("y"))
	require.Error(t, err)
}

// Each impairment alone, with many streams: a stall under one of them
// (a lost wake-up, a missed credit) shows up here by name.
func TestManyStreamsEachImpairment(t *testing.T) {
	for _, c := range []struct {
		n   int
		cfg transporttest.Config
	}{
		{200, transporttest.Config{Loss: 0.02, Seed: 42}},
		{200, transporttest.Config{Delay: 5 * time.Millisecond, Seed: 42}},
		{200, transporttest.Config{Reorder: 0.05, Seed: 42}},
		{200, transporttest.Config{Duplicate: 0.02, Seed: 42}},
		{1000, transporttest.Config{Seed: 42}},
	} {
		start := time.Now()
		testManyStreams(t, c.n, c.cfg)
		t.Logf("%d streams %+v: %v", c.n, c.cfg, time.Since(start))
	}
}
