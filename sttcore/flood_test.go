package sttcore

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/handshake"
	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// forgeHellos makes count distinct HELLOs to server from random identities
// that know the network key: the worst case, since each carries a valid mac1.
func forgeHellos(t testing.TB, server stc.PublicKey, count int) [][]byte {
	nk := stc.DeriveNetworkKey(testSeed)
	gen := stc.NewCookieGenerator(server, nk, nil)
	out := make([][]byte, count)
	for i := range out {
		ini, err := handshake.NewInitiator(handshake.NewIdentity(newKey(t)), nk, server)
		require.NoError(t, err)
		msg := wire.Hello{Sender: wire.Index(i)}
		require.NoError(t, ini.WriteHello(&msg, &handshake.Hello{Timestamp: tai64n.Stamp(time.Now()), Suites: stc.SuiteChaCha20Poly1305}))
		b := make([]byte, wire.HelloLen)
		msg.Marshal(b)
		gen.AddMACs(b)
		out[i] = b
	}
	return out
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func TestHelloFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the loopback for several seconds; skipped with -short")
	}
	server := newNode(t, nil)
	hellos := forgeHellos(t, server.PublicKey(), 512)
	heapBefore := heapInUse()

	// 200 spoofed sources on the loopback, 127.0.1.1 to 127.0.1.200.
	const sources = 200
	conns := make([]*net.UDPConn, sources)
	for i := range conns {
		conns[i] = rawSocket(t, fmt.Sprintf("127.0.1.%d:0", i+1))
	}
	dst := net.UDPAddrFromAddrPort(server.LocalAddr())
	stop := make(chan struct{})
	var sent atomic.Uint64
	var wg sync.WaitGroup
	// 5000 HELLOs a second, five times the rate that puts a node under load
	// and far beyond what its handshake worker can do; bounded in time.
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		deadline := time.Now().Add(8 * time.Second)
		for i := 0; time.Now().Before(deadline); {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for range 50 {
				if _, err := conns[i%sources].WriteToUDP(hellos[i%len(hellos)], dst); err == nil {
					sent.Add(1)
				}
				i++
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	// Let the flood build up, then a legitimate peer dials.
	waitFor(t, 10*time.Second, func() bool { return sent.Load() >= 5000 && server.Stats().ChallengesSent > 1000 },
		"the server never switched to cookies: sent %d, %+v", sent.Load(), server.Stats())
	legit := newNode(t, func(c *Config) { c.RekeyTimeout = 500 * time.Millisecond })
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := legit.Dial(ctx, server.PublicKey(), server.LocalAddr().String())
	require.NoError(t, err, "the legitimate peer did not get through within 2 s: legit %+v; server %+v drops %v",
		legit.Stats(), server.Stats(), server.Stats().Drops.Map())
	took := time.Since(start)
	require.NoError(t, s.SendDatagram([]byte("made it")))
	acc, err := server.Accept(ctxT(t, 2*time.Second))
	require.NoError(t, err)
	require.Equal(t, "made it", recvString(t, acc))

	st := server.Stats()
	require.LessOrEqual(t, st.PendingSessions, defaultMaxPendingSessions)
	require.LessOrEqual(t, st.Indices, 2*defaultMaxPendingSessions+2)
	growth := int64(heapInUse()) - int64(heapBefore)
	require.Less(t, growth, int64(64<<20), "heap grew by %d bytes", growth)
	t.Logf("flood: %d HELLOs sent, %d challenges, %d handshakes, pending %d, drops %v; legit peer in %v; heap %+d KiB",
		sent.Load(), st.ChallengesSent, st.HandshakesDone, st.PendingSessions, st.Drops.Map(), took.Round(time.Millisecond), growth>>10)
}
