package sttcore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStreamEcho(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	ctx := ctxT(t, 10*time.Second)

	st, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	_, err = st.Write([]byte("hello, stream"))
	require.NoError(t, err)
	require.NoError(t, st.CloseWrite())

	peer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)
	require.Equal(t, st.StreamID(), peer.StreamID())
	got, err := io.ReadAll(peer)
	require.NoError(t, err)
	require.Equal(t, "hello, stream", string(got))

	_, err = peer.Write([]byte("and back"))
	require.NoError(t, err)
	require.NoError(t, peer.Close())
	back, err := io.ReadAll(st)
	require.NoError(t, err)
	require.Equal(t, "and back", string(back))

	require.Equal(t, uint64(1), sa.Stats().StreamsOpened)
	require.Equal(t, uint64(1), sb.Stats().StreamsAccepted)
	require.Positive(t, sa.Stats().CongestionWindow)
	require.Equal(t, StreamStats{ID: st.StreamID(), BytesWritten: 13, BytesRead: 8}, st.Stats())
	require.NoError(t, st.Close())
	require.Eventually(t, func() bool { return sa.Stats().StreamsOpen == 0 && sb.Stats().StreamsOpen == 0 },
		5*time.Second, 10*time.Millisecond, "finished streams are forgotten on both sides")
}

func TestStreamBulk(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	ctx := ctxT(t, 30*time.Second)
	const size = 20 << 20
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(data)

	start := time.Now()
	copyOverStream(t, ctx, sa, sb, data)
	m := sa.streams
	m.mu.Lock()
	t.Logf("%d MiB in %v; sender %+v cwnd %d srtt %v", size>>20, time.Since(start), m.sph.Stats(), m.cc.GetCongestionWindow(), m.rttStats.SmoothedRTT())
	m.mu.Unlock()
	t.Logf("receiver drops %v, node drops %v", sb.Stats().Drops.Map(), b.Stats().Drops.Map())
}

// copyOverStream sends data over a new stream from sa and checks that sb's
// peer reads exactly it (length and SHA-256), then EOF.
func copyOverStream(t *testing.T, ctx context.Context, sa, sb *Session, data []byte) {
	t.Helper()
	st, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(st, bytes.NewReader(data))
		if err == nil {
			err = st.CloseWrite()
		}
		done <- err
	}()
	peer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)
	h := sha256.New()
	n, err := io.Copy(h, peer)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	require.Equal(t, sha256.Sum256(data), [32]byte(h.Sum(nil)))
	require.NoError(t, <-done)
}
