//go:build linux

package transport

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// offloadModes are the combinations of UDP GSO and GRO a socket may run with.
var offloadModes = []struct{ gso, gro bool }{{true, true}, {true, false}, {false, true}, {false, false}}

// TestUDPOffloads sends runs of packets that GSO must cut right (equal
// sizes, a shorter one ending a run, runs longer than 64 segments, sizes
// that change) and checks that every packet arrives whole, in every mode of
// the sender and receiver.
func TestUDPOffloads(t *testing.T) {
	sizes := []int{0} // an empty datagram is delivered too
	for range 150 {
		sizes = append(sizes, 1400) // more than two GSO messages' worth
	}
	sizes = append(sizes, 700, 1400, 1400, 1, 1, 1200, 1300, 1300, 1300, 100, 0)
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		for _, tx := range offloadModes {
			for _, rx := range offloadModes {
				name := fmt.Sprintf("%s/tx_gso=%v/rx_gro=%v", addr, tx.gso, rx.gro)
				t.Run(name, func(t *testing.T) {
					a := listenUDP(t, addr)
					b := listenUDP(t, addr)
					a.SetOffloads(tx.gso, false)
					b.SetOffloads(false, rx.gro)
					_, gro := b.Offloads()
					require.Equal(t, rx.gro, gro, "this kernel has UDP GRO")

					bufs := make([][]byte, len(sizes))
					for i, n := range sizes {
						bufs[i] = make([]byte, n)
						copy(bufs[i], fmt.Sprintf("%d:", i))
						for j := len(fmt.Sprintf("%d:", i)); j < n; j++ {
							bufs[i][j] = byte(i + j)
						}
					}
					require.NoError(t, a.WriteBatch(bufs, b.LocalAddr()))
					got := readAll(t, b, len(bufs), 2048)
					require.Len(t, got, len(bufs))
					for i := range bufs {
						require.Equal(t, bufs[i], got[i], "packet %d", i)
					}
					if tx.gso && rx.gro {
						// Sent as a few GSO messages, received as a few
						// coalesced ones (loopback keeps them whole).
						require.Less(t, b.r.calls, 10, "recvmmsg calls for %d packets", len(bufs))
					}
				})
			}
		}
	}
}

// readAll reads count packets with small batches (so coalesced messages are
// handed out over several calls) and returns them in arrival order; each
// must come from the sender.
func readAll(t *testing.T, c *UDPConn, count, bufSize int) [][]byte {
	rbufs := make([][]byte, 7)
	for i := range rbufs {
		rbufs[i] = make([]byte, bufSize)
	}
	sizes := make([]int, len(rbufs))
	eps := make([]netip.AddrPort, len(rbufs))
	var got [][]byte
	for len(got) < count {
		n, err := c.ReadBatch(rbufs, sizes, eps)
		require.NoError(t, err)
		for i := range n {
			require.True(t, eps[i].Addr().IsLoopback(), "from %v", eps[i])
			got = append(got, bytes.Clone(rbufs[i][:sizes[i]]))
		}
	}
	return got
}

// TestUDPMappedAddress sends from a dual-stack socket to an IPv4 address.
func TestUDPMappedAddress(t *testing.T) {
	a := listenUDP(t, ":0")
	b := listenUDP(t, "127.0.0.1:0")
	require.NoError(t, a.WriteBatch([][]byte{[]byte("hello"), []byte("hello")}, b.LocalAddr()))
	got := readAll(t, b, 2, 100)
	require.Equal(t, "hello", string(got[0]))
	require.Error(t, b.WriteBatch([][]byte{[]byte("x")}, netip.MustParseAddrPort("[2001:db8::1]:1")),
		"an IPv4 socket cannot reach an IPv6 address")
}

// TestUDPBatchAllocs: moving a batch costs no allocation either way.
func TestUDPBatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a := listenUDP(t, "127.0.0.1:0")
	b := listenUDP(t, "127.0.0.1:0")
	out := make([][]byte, 32)
	for i := range out {
		out[i] = make([]byte, 1400)
	}
	in := make([][]byte, IdealBatchSize)
	for i := range in {
		in[i] = make([]byte, 2048)
	}
	sizes := make([]int, len(in))
	eps := make([]netip.AddrPort, len(in))
	allocs := testing.AllocsPerRun(100, func() {
		if err := a.WriteBatch(out, b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < len(out); {
			n, err := b.ReadBatch(in, sizes, eps)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	})
	require.Zero(t, allocs)
}
