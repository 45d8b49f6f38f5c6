package transport

import (
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// listenUDP opens a UDP socket on addr, closed when the test ends.
func listenUDP(t *testing.T, addr string) *UDPConn {
	t.Helper()
	c, err := ListenUDP(addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUDPBatch(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			a := listenUDP(t, addr)
			b := listenUDP(t, addr)

			const count = 300 // more than one batch
			bufs := make([][]byte, count)
			for i := range bufs {
				bufs[i] = fmt.Appendf(nil, "packet %d", i)
			}
			require.NoError(t, a.WriteBatch(bufs, b.LocalAddr()))

			rbufs := make([][]byte, b.BatchSize())
			for i := range rbufs {
				rbufs[i] = make([]byte, 2048)
			}
			sizes := make([]int, len(rbufs))
			eps := make([]netip.AddrPort, len(rbufs))
			got := map[string]bool{}
			for len(got) < count {
				n, err := b.ReadBatch(rbufs, sizes, eps)
				require.NoError(t, err)
				for i := range n {
					require.Equal(t, a.LocalAddr(), eps[i])
					got[string(rbufs[i][:sizes[i]])] = true
				}
			}
			for i := range count {
				require.True(t, got[fmt.Sprintf("packet %d", i)])
			}
		})
	}
}

func TestUDPTruncatedPacketDropped(t *testing.T) {
	a := listenUDP(t, "127.0.0.1:0")
	b := listenUDP(t, "127.0.0.1:0")
	require.NoError(t, a.WriteBatch([][]byte{make([]byte, 100), []byte("small")}, b.LocalAddr()))
	bufs := [][]byte{make([]byte, 50), make([]byte, 50)}
	sizes := make([]int, 2)
	eps := make([]netip.AddrPort, 2)
	n, err := b.ReadBatch(bufs, sizes, eps)
	require.NoError(t, err)
	if n == 0 { // the two datagrams came in separate reads
		n, err = b.ReadBatch(bufs, sizes, eps)
		require.NoError(t, err)
	}
	require.Equal(t, 1, n, "the oversized packet is dropped, not delivered cut")
	require.Equal(t, "small", string(bufs[0][:sizes[0]]))
}

func TestUDPClose(t *testing.T) {
	a, err := ListenUDP("127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error)
	go func() {
		bufs := [][]byte{make([]byte, 100)}
		_, err := a.ReadBatch(bufs, make([]int, 1), make([]netip.AddrPort, 1))
		done <- err
	}()
	require.NoError(t, a.Close())
	require.ErrorIs(t, <-done, net.ErrClosed)
	require.NoError(t, a.Close(), "idempotent")
	_, err = ListenUDP("not an address")
	require.Error(t, err)
}
