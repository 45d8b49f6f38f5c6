//go:build linux

package streambench

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seigr/stt-tun/sttcore"
)

const (
	// e2eSize is what the end-to-end test sends over one stream.
	e2eSize = 200 << 20
	// e2eDelay is the one-way delay the relay adds in each direction.
	e2eDelay = 20 * time.Millisecond
	// raceSlowdown scales the time limits under the race detector.
	raceSlowdown = 3
)

// TestStream200MB sends 200 MiB of pseudo-random bytes over one stream from
// node A to node B through 20 ms of one-way delay (the relay in m), with 0 %,
// 1 % and 5 % random loss in each direction (nftables in m), and checks that
// B read exactly what A wrote (SHA-256), then EOF, with no goroutine left
// once the nodes are closed.
//
// The lossy cases run with BBR (sttcore.CongestionBBR), which does not read
// random loss as congestion; 0 % runs with both controllers. With CUBIC, the
// default, loss is congestion and 40 ms of RTT makes recovery slow: on the
// 2-core development machine 200 MiB took about 8 minutes at 1 % and 19 at
// 5 %, beyond the suite's budget, so those cases are
// BenchmarkStream200MBLossy, run on demand.
func TestStream200MB(t *testing.T) {
	for _, tt := range []struct {
		cc    sttcore.CongestionControl
		loss  int
		limit time.Duration // the transfer fails past it
	}{
		// BBR takes 3 to 8 s per case on the 2-core development machine,
		// CUBIC at 0 % about as long; 7 to 30 s under the race detector.
		{sttcore.CongestionCubic, 0, 3 * time.Minute},
		{sttcore.CongestionBBR, 0, 90 * time.Second},
		{sttcore.CongestionBBR, 1, 90 * time.Second},
		{sttcore.CongestionBBR, 5, 90 * time.Second},
	} {
		if raceEnabled {
			tt.limit *= raceSlowdown
		}
		t.Run(fmt.Sprintf("cc=%v/loss=%d%%", tt.cc, tt.loss), func(t *testing.T) {
			runStream200MB(t, tt.cc, tt.loss, tt.limit)
		})
	}
}

// BenchmarkStream200MBLossy is the 200 MB proof at 1 % and 5 % loss
// with 20 ms of one-way delay, with each congestion controller: CUBIC for
// comparison (minutes per transfer), BBR as TestStream200MB runs it. Run it
// with
//
//	go test -run '^$' -bench Stream200MBLossy -benchtime 1x -timeout 90m ./internal/streambench/
func BenchmarkStream200MBLossy(b *testing.B) {
	for _, tt := range []struct {
		cc    sttcore.CongestionControl
		loss  int
		limit time.Duration
	}{
		{sttcore.CongestionCubic, 1, 20 * time.Minute},
		{sttcore.CongestionCubic, 5, 50 * time.Minute},
		{sttcore.CongestionBBR, 1, 5 * time.Minute},
		{sttcore.CongestionBBR, 5, 5 * time.Minute},
	} {
		b.Run(fmt.Sprintf("cc=%v/loss=%d%%", tt.cc, tt.loss), func(b *testing.B) {
			for b.Loop() {
				elapsed := runStream200MB(b, tt.cc, tt.loss, tt.limit)
				b.ReportMetric(float64(e2eSize)/elapsed.Seconds()/1e6, "MB/s")
			}
		})
	}
}

// runStream200MB moves 200 MiB over one stream across the lossy, delayed
// path, with both nodes under congestion controller cc, and checks every
// byte; it returns how long it took.
func runStream200MB(t testing.TB, cc sttcore.CongestionControl, loss int, limit time.Duration) time.Duration {
	// Registered first, so it runs after every other cleanup: the nodes'
	// goroutines must all have ended once they are closed.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })

	p := newPath(t, loss)
	a, b := p.nodePair(t, cc)
	via, stopRelay := p.startRelay(t, netip.AddrPortFrom(addrB, b.LocalAddr().Port()), e2eDelay)

	src := &hashingReader{r: rand.NewChaCha8([32]byte{byte(loss)}), h: sha256.New()}
	dst := sha256.New()
	r := streamRoute(a, b, via)
	res := transfer(r, e2eSize, src, dst, limit, func(n int64, elapsed time.Duration) {
		t.Logf("%v: %d MiB received", elapsed.Round(time.Second), n>>20)
	})
	relayOut := stopRelay()
	requireComplete(t, r, res, e2eSize)
	require.Equal(t, src.h.Sum(nil), dst.Sum(nil), "SHA-256 of what B read differs from what A wrote")
	t.Logf("%v, %d %% loss: %d MiB in %v: %.2f MB/s\n%s\n%s", cc, loss, e2eSize>>20, res.elapsed.Round(time.Millisecond), res.goodput(), r.state(), relayOut)
	return res.elapsed
}

// hashingReader hashes what it reads from r.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}
