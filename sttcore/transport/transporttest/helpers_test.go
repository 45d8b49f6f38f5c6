package transporttest

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	addrA = netip.MustParseAddrPort("10.0.0.1:1000")
	addrB = netip.MustParseAddrPort("10.0.0.2:2000")
	addrC = netip.MustParseAddrPort("[2001:db8::3]:3000")
)

// newNetwork returns a network that the test closes when it ends.
func newNetwork(t testing.TB, cfg Config) *Network {
	n := NewNetwork(cfg)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

func newConnAt(t testing.TB, n *Network, addr netip.AddrPort) *Conn {
	c, err := n.NewConn(addr)
	require.NoError(t, err)
	return c
}

// numbered returns count packets of size bytes (at least 8), the i-th
// starting with i, big-endian, after first.
func numbered(first, count, size int) [][]byte {
	bufs := make([][]byte, count)
	for i := range bufs {
		bufs[i] = make([]byte, size)
		binary.BigEndian.PutUint64(bufs[i], uint64(first+i))
	}
	return bufs
}

// received is one packet that a test read.
type received struct {
	num  uint64
	size int
	from netip.AddrPort
}

// readN reads exactly count packets from c, failing the test if they do not
// come within a generous deadline (the Conn is then closed to unblock the
// reader). Under synctest the deadline is on the fake clock.
func readN(t testing.TB, c *Conn, count int) []received {
	t.Helper()
	type result struct {
		got []received
		err error
	}
	done := make(chan result, 1)
	go func() {
		bufs := make([][]byte, c.BatchSize())
		for i := range bufs {
			bufs[i] = make([]byte, 2048)
		}
		sizes := make([]int, len(bufs))
		eps := make([]netip.AddrPort, len(bufs))
		var got []received
		for len(got) < count {
			k := min(len(bufs), count-len(got)) // never read more than asked
			n, err := c.ReadBatch(bufs[:k], sizes, eps)
			if err != nil {
				done <- result{got, err}
				return
			}
			for i := range n {
				got = append(got, received{binary.BigEndian.Uint64(bufs[i]), sizes[i], eps[i]})
			}
		}
		done <- result{got, nil}
	}()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case r := <-done:
		require.NoError(t, r.err)
		return r.got
	case <-timer.C:
		c.Close()
		r := <-done
		require.FailNow(t, "timed out reading", "got %d of %d packets", len(r.got), count)
		return nil
	}
}

func nums(rs []received) []uint64 {
	out := make([]uint64, len(rs))
	for i, r := range rs {
		out[i] = r.num
	}
	return out
}

func seq(first, count int) []uint64 {
	out := make([]uint64, count)
	for i := range out {
		out[i] = uint64(first + i)
	}
	return out
}

// requireConserved checks that every packet written, and every copy made,
// is accounted for exactly once.
func requireConserved(t testing.TB, s Stats) {
	t.Helper()
	require.True(t, conserved(s), "%+v", s)
}

func conserved(s Stats) bool {
	return s.Sent+s.Duplicated ==
		s.Delivered+s.InFlight+s.DroppedLoss+s.DroppedQueue+s.DroppedPartition+s.DroppedMTU+s.DroppedNoRoute
}
