//go:build linux

package streambench

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

const (
	// benchSize is what each benchmark transfer carries, over a stream and
	// over TCP alike.
	benchSize = 64 << 20
	// benchLimit bounds one benchmark transfer.
	benchLimit = 10 * time.Minute
	// benchDelay is the one-way delay of the relay cases.
	benchDelay = 20 * time.Millisecond
)

// BenchmarkGoodput measures the goodput of one sttcore stream and of kernel
// TCP over the same path, with the same nftables loss, in the same run. Each
// iteration sends benchSize bytes over a new stream of one session, then
// over a new TCP connection twice: with the kernel's default offloads (64
// KiB GSO packets cross the veth links whole) and with every segment a
// packet of its own, as on a wire (see path.segmentTCP). It reports each
// rate in MB/s (10^6 bytes per second, from the first write to the
// receiver's EOF), the allocations per MB of the stream transfer (both
// nodes), and the ratios stream/tcp and stream/tcp-seg.
//
// TCP cannot pass through the UDP relay, so the cases with 20 ms of one-way
// delay measure streams alone, with smaller transfers where loss makes
// them slow (the end-to-end test has the 200 MiB figures).
//
// Run as root:
//
//	go test -run '^$' -bench Goodput -benchtime 3x -timeout 60m ./internal/streambench/
func BenchmarkGoodput(b *testing.B) {
	for _, loss := range []int{0, 1} {
		b.Run(fmt.Sprintf("loss=%d%%", loss), func(b *testing.B) {
			p := newPath(b, loss)
			na, nb := p.nodePair(b)
			stream := streamRoute(na, nb, netip.AddrPortFrom(addrB, nb.LocalAddr().Port()))
			tcp := tcpRoute(p, p.tcpListener(b))
			var st, tt, ts benchRates
			for b.Loop() {
				st.add(b, stream, benchSize)
				p.segmentTCP(b, false)
				tt.add(b, tcp, benchSize)
				p.segmentTCP(b, true)
				ts.add(b, tcp, benchSize)
			}
			p.segmentTCP(b, false)
			st.report(b, "stream", true)
			tt.report(b, "tcp", false)
			ts.report(b, "tcp-seg", false)
			b.ReportMetric(st.rate()/tt.rate(), "stream/tcp")
			b.ReportMetric(st.rate()/ts.rate(), "stream/tcp-seg")
		})
	}
	for _, tc := range []struct {
		loss int
		size int64
	}{{0, benchSize}, {1, benchSize / 4}, {5, benchSize / 16}} {
		b.Run(fmt.Sprintf("delay=20ms/loss=%d%%", tc.loss), func(b *testing.B) {
			p := newPath(b, tc.loss)
			na, nb := p.nodePair(b)
			via, stop := p.startRelay(b, netip.AddrPortFrom(addrB, nb.LocalAddr().Port()), benchDelay)
			b.Cleanup(func() { stop() })
			stream := streamRoute(na, nb, via)
			var st benchRates
			for b.Loop() {
				st.add(b, stream, tc.size)
			}
			st.report(b, "stream", true)
		})
	}
}

// benchRates sums one kind of transfer over a benchmark's iterations.
type benchRates struct {
	bytes   int64
	elapsed time.Duration
	mallocs uint64
}

// add runs one transfer of size bytes over r and accounts for it.
func (s *benchRates) add(b *testing.B, r route, size int64) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := transfer(r, size, newPatternReader(), nil, benchLimit, nil)
	runtime.ReadMemStats(&after)
	requireComplete(b, r, res, size)
	s.bytes += res.received
	s.elapsed += res.elapsed
	s.mallocs += after.Mallocs - before.Mallocs
}

// rate is the goodput in MB/s.
func (s *benchRates) rate() float64 { return float64(s.bytes) / s.elapsed.Seconds() / 1e6 }

// report reports the goodput and, if allocs, the allocations per MB carried
// (both ends together; the benchmark's own buffers are allocated once per
// transfer and do not count).
func (s *benchRates) report(b *testing.B, name string, allocs bool) {
	b.ReportMetric(s.rate(), name+"-MB/s")
	if allocs {
		b.ReportMetric(float64(s.mallocs)/(float64(s.bytes)/1e6), name+"-allocs/MB")
	}
}

// patternReader endlessly repeats ioBufSize random bytes, so that the
// sender's data costs a copy and nothing else.
type patternReader struct {
	pattern []byte
	off     int
}

func newPatternReader() *patternReader {
	p := make([]byte, ioBufSize)
	rng := rand.NewChaCha8([32]byte{})
	_, _ = rng.Read(p)
	return &patternReader{pattern: p}
}

func (r *patternReader) Read(p []byte) (int, error) {
	n := copy(p, r.pattern[r.off:])
	r.off = (r.off + n) % len(r.pattern)
	return n, nil
}
