package sttcore

import (
	"context"
	"fmt"
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
