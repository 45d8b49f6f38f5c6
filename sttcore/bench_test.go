package sttcore

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkDatagram sends datagrams from one node to another over loopback
// UDP and reports the rate, the share lost (a datagram is unreliable: the
// receiving socket or queue may overflow) and allocations per datagram.
func BenchmarkDatagram(b *testing.B) {
	for _, size := range []int{64, 1200} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			a, c := newNode(b, nil), newNode(b, func(cfg *Config) { cfg.DatagramQueue = 1 << 16 })
			sa, sc := connect(b, a, c)
			payload := make([]byte, size)
			received := make(chan int, 1)
			go func() {
				n := 0
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
					_, err := sc.ReceiveDatagram(ctx)
					cancel()
					if err != nil {
						received <- n
						return
					}
					n++
				}
			}()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				require.NoError(b, sa.SendDatagram(payload))
			}
			elapsed := time.Since(start)
			got := <-received
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "datagrams/s")
			b.ReportMetric(100*float64(b.N-got)/float64(b.N), "%lost")
		})
	}
}

// countingReceiver counts the IP packets a node receives and signals each
// time the count reaches want.
type countingReceiver struct {
	n, want atomic.Int64
	reached chan struct{}
	timeout *time.Timer // reused: time.After would allocate in the measured loop
}

func (r *countingReceiver) ReceiveIP(*Session, []byte, int) {
	if r.n.Add(1) == r.want.Load() {
		r.reached <- struct{}{}
	}
}

func (*countingReceiver) FlushIP() {}

const (
	ipBatch      = 64
	ipPacketSize = 1400
	ipOffset     = 32
)

// ipBatchPair connects two loopback nodes for the tunnel's path: a sends
// batches of IP packets, b counts them.
func ipBatchPair(t testing.TB) (*Session, *countingReceiver, [][]byte) {
	a, c := newNode(t, nil), newNode(t, nil)
	r := &countingReceiver{reached: make(chan struct{}, 1), timeout: time.NewTimer(time.Hour)}
	c.HandleIP(r)
	sa, _ := connect(t, a, c)
	bufs := make([][]byte, ipBatch)
	for i := range bufs {
		bufs[i] = make([]byte, ipOffset+ipPacketSize, ipOffset+ipPacketSize+IPTailroom)
	}
	return sa, r, bufs
}

// sendAndWait sends one batch and waits until all of it arrived (loopback
// drops nothing at this pace: the socket buffers hold several batches).
func sendAndWait(t testing.TB, sa *Session, r *countingReceiver, bufs [][]byte) {
	r.want.Add(int64(len(bufs)))
	if err := sa.SendIPBatch(bufs, ipOffset); err != nil {
		t.Fatal(err)
	}
	r.timeout.Reset(5 * time.Second)
	select {
	case <-r.reached:
	case <-r.timeout.C:
		t.Fatalf("received %d of %d packets", r.n.Load(), r.want.Load())
	}
}

// BenchmarkIPBatch is the tunnel's data path in sttcore: a batch of 64
// packets of 1400 bytes sealed in place, sent with UDP GSO over loopback,
// received (GRO), opened and handed to an IPReceiver. It reports packets/s
// and allocations per packet, both nodes included.
func BenchmarkIPBatch(b *testing.B) {
	sa, r, bufs := ipBatchPair(b)
	b.SetBytes(ipBatch * ipPacketSize)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		sendAndWait(b, sa, r, bufs)
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.N*ipBatch)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*ipBatch), "allocs/packet")
}

// TestIPBatchAllocs: the tunnel's path allocates nothing per packet, on the
// sending or the receiving node.
func TestIPBatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	sa, r, bufs := ipBatchPair(t)
	sendAndWait(t, sa, r, bufs) // warm the pools
	allocs := testing.AllocsPerRun(50, func() { sendAndWait(t, sa, r, bufs) })
	require.Less(t, allocs/ipBatch, 0.05, "%.1f allocations per batch of %d", allocs, ipBatch)
}
