package transporttest

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// pingBatch writes one batch from a to b and reads it back.
type pingBatch struct {
	a, b  *Conn
	out   [][]byte
	in    [][]byte
	sizes []int
	eps   []netip.AddrPort
}

func newPingBatch(tb testing.TB, n *Network, size int) *pingBatch {
	p := &pingBatch{a: newConnAt(tb, n, addrA), b: newConnAt(tb, n, addrB)}
	p.out = numbered(0, p.a.BatchSize(), size)
	p.in = make([][]byte, p.b.BatchSize())
	for i := range p.in {
		p.in[i] = make([]byte, size)
	}
	p.sizes = make([]int, len(p.in))
	p.eps = make([]netip.AddrPort, len(p.in))
	return p
}

func (p *pingBatch) run(tb testing.TB) {
	if err := p.a.WriteBatch(p.out, addrB); err != nil {
		tb.Fatal(err)
	}
	for got := 0; got < len(p.out); {
		n, err := p.b.ReadBatch(p.in, p.sizes, p.eps)
		if err != nil {
			tb.Fatal(err)
		}
		got += n
	}
}

func TestWriteReadAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	n := newNetwork(t, Config{})
	p := newPingBatch(t, n, 1350)
	p.run(t) // fill the packet pool
	require.Zero(t, testing.AllocsPerRun(100, func() { p.run(t) }))
}

// BenchmarkWriteReadBatch moves batches of 128 packets from one Conn to
// another on an unimpaired network.
func BenchmarkWriteReadBatch(b *testing.B) {
	for _, size := range []int{64, 1350} {
		b.Run(map[int]string{64: "64B", 1350: "1350B"}[size], func(b *testing.B) {
			n := newNetwork(b, Config{})
			p := newPingBatch(b, n, size)
			b.ReportAllocs()
			b.SetBytes(int64(size * len(p.out)))
			for b.Loop() {
				p.run(b)
			}
			b.ReportMetric(float64(b.N*len(p.out))/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
