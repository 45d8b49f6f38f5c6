//go:build linux

package streambench

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/seigr/stt-tun/sttcore"
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
// iteration sends benchSize bytes over a new stream of one session under
// each congestion controller (CUBIC and BBR; a node pair each) and over a
// new TCP connection, first with the kernel's default offloads (GSO packets
// of up to 64 KiB, TCP segments or UDP datagrams, cross the veth links
// whole) and then again with every segment or datagram a packet of its own,
// as on a wire ("-seg"; see path.segment). It reports each rate in MB/s
// (10^6 bytes per second, from the first write to the receiver's EOF), the
// allocations per MB of the stream transfers (both nodes) and the share of
// their packets declared lost, and the ratios of each stream to TCP with the
// same offloads.
//
// TCP cannot pass through the UDP relay, so the cases with 20 ms of one-way
// delay measure streams alone, with smaller transfers where loss makes
// CUBIC slow (the end-to-end test has the 200 MiB figures).
//
// Run as root:
//
//	go test -run '^$' -bench Goodput -benchtime 3x -timeout 60m ./internal/streambench/
func BenchmarkGoodput(b *testing.B) {
	ccs := []sttcore.CongestionControl{sttcore.CongestionCubic, sttcore.CongestionBBR}
	for _, loss := range []int{0, 1} {
		b.Run(fmt.Sprintf("loss=%d%%", loss), func(b *testing.B) {
			p := newPath(b, loss)
			type kind struct {
				name   string
				r      route
				stream bool
			}
			var kinds []kind
			for _, cc := range ccs {
				na, nb := p.nodePair(b, cc)
				kinds = append(kinds, kind{"stream-" + cc.String(), streamRoute(na, nb, netip.AddrPortFrom(addrB, nb.LocalAddr().Port())), true})
			}
			kinds = append(kinds, kind{"tcp", tcpRoute(p, p.tcpListener(b)), false})
			rates := make([][2]benchRates, len(kinds)) // default offloads, segmented
			for b.Loop() {
				for seg := range 2 {
					p.segment(b, seg == 1)
					for i, k := range kinds {
						rates[i][seg].add(b, k.r, benchSize)
					}
				}
			}
			p.segment(b, false)
			tcp := rates[len(kinds)-1]
			for i, k := range kinds {
				for seg, suffix := range []string{"", "-seg"} {
					rates[i][seg].report(b, k.name+suffix, k.stream)
					if k.stream {
						b.ReportMetric(rates[i][seg].rate()/tcp[seg].rate(), k.name+suffix+"/tcp"+suffix)
					}
				}
			}
		})
	}
	for _, cc := range ccs {
		for _, tc := range []struct {
			loss int
			size int64
		}{{0, benchSize}, {1, benchSize / 4}, {5, benchSize / 16}} {
			if cc == sttcore.CongestionBBR {
				tc.size = benchSize // loss does not slow BBR down
			}
			b.Run(fmt.Sprintf("delay=20ms/loss=%d%%/cc=%v", tc.loss, cc), func(b *testing.B) {
				p := newPath(b, tc.loss)
				na, nb := p.nodePair(b, cc)
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
}

// benchRates sums one kind of transfer over a benchmark's iterations.
type benchRates struct {
	bytes         int64
	elapsed       time.Duration
	mallocs       uint64
	packets, lost uint64 // sent and declared lost, where the route counts them
}

// add runs one transfer of size bytes over r and accounts for it.
func (s *benchRates) add(b *testing.B, r route, size int64) {
	b.Helper()
	var before, after runtime.MemStats
	var sent0, lost0 uint64
	if r.losses != nil {
		sent0, lost0 = r.losses()
	}
	runtime.ReadMemStats(&before)
	res := transfer(r, size, newPatternReader(), nil, benchLimit, nil)
	runtime.ReadMemStats(&after)
	requireComplete(b, r, res, size)
	s.bytes += res.received
	s.elapsed += res.elapsed
	s.mallocs += after.Mallocs - before.Mallocs
	if r.losses != nil {
		sent, lost := r.losses()
		s.packets += sent - sent0
		s.lost += lost - lost0
	}
}

// rate is the goodput in MB/s.
func (s *benchRates) rate() float64 { return float64(s.bytes) / s.elapsed.Seconds() / 1e6 }

// report reports the goodput and, if stream, the allocations per MB
// carried (both ends together; the benchmark's own buffers are allocated
// once per transfer and do not count) and the percentage of the sender's
// packets declared lost.
func (s *benchRates) report(b *testing.B, name string, stream bool) {
	b.ReportMetric(s.rate(), name+"-MB/s")
	if stream {
		b.ReportMetric(float64(s.mallocs)/(float64(s.bytes)/1e6), name+"-allocs/MB")
		if s.packets > 0 {
			b.ReportMetric(100*float64(s.lost)/float64(s.packets), name+"-lost%")
		}
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
