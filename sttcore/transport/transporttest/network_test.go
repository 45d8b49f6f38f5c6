package transporttest

import (
	"math"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestExactDeliveryWithoutImpairment(t *testing.T) {
	n := newNetwork(t, Config{})
	a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
	const count = 300 // more than one batch
	require.NoError(t, a.WriteBatch(numbered(0, count, 100), b.LocalAddr()))
	got := readN(t, b, count)
	require.Equal(t, seq(0, count), nums(got), "in order, each once")
	for _, r := range got {
		require.Equal(t, 100, r.size)
		require.Equal(t, addrA, r.from)
	}
	// And back, to the address the packets came from.
	require.NoError(t, b.WriteBatch(numbered(7, 1, 8), got[0].from))
	require.Equal(t, []received{{7, 8, addrB}}, readN(t, a, 1))
	s := n.Stats()
	require.Equal(t, Stats{Sent: count + 1, Delivered: count + 1}, s)
}

func TestReadBatch(t *testing.T) {
	tests := []struct {
		name     string
		sizes    []int // of the packets written
		bufLens  []int // of the buffers offered to one ReadBatch
		wantN    int
		wantNums []uint64
		short    uint64 // packets dropped for a short buffer
	}{
		{"fills all buffers", []int{10, 10, 10, 10, 10}, []int{64, 64}, 2, []uint64{0, 1}, 0},
		{"returns what is there", []int{10, 10}, []int{64, 64, 64, 64}, 2, []uint64{0, 1}, 0},
		{"exact fit", []int{64}, []int{64}, 1, []uint64{0}, 0},
		{"drops a packet too large for its buffer", []int{100, 10, 10}, []int{64, 64}, 2, []uint64{1, 2}, 1},
		{"skips every packet too large", []int{100, 100, 10}, []int{64}, 1, []uint64{2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNetwork(t, Config{})
			a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
			for i, size := range tt.sizes {
				require.NoError(t, a.WriteBatch(numbered(i, 1, size), addrB))
			}
			bufs := make([][]byte, len(tt.bufLens))
			for i, l := range tt.bufLens {
				bufs[i] = make([]byte, l)
			}
			sizes := make([]int, len(bufs))
			eps := make([]netip.AddrPort, len(bufs))
			got, err := b.ReadBatch(bufs, sizes, eps)
			require.NoError(t, err)
			require.Equal(t, tt.wantN, got)
			var gotNums []uint64
			for i := range got {
				gotNums = append(gotNums, uint64(bufs[i][7]))
				require.Equal(t, tt.sizes[gotNums[i]], sizes[i])
				require.Equal(t, addrA, eps[i])
			}
			require.Equal(t, tt.wantNums, gotNums)
			require.Equal(t, tt.short, n.Stats().DroppedShortBuffer)
		})
	}

	t.Run("no buffers", func(t *testing.T) {
		n := newNetwork(t, Config{})
		b := newConnAt(t, n, addrB)
		_, err := b.ReadBatch(nil, nil, nil)
		require.Error(t, err)
		_, err = b.ReadBatch([][]byte{make([]byte, 10)}, []int{0}, nil)
		require.Error(t, err)
	})

	t.Run("blocks until a packet arrives", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := newNetwork(t, Config{})
			a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
			done := make(chan []received)
			go func() { done <- readN(t, b, 1) }()
			synctest.Wait()
			select {
			case <-done:
				require.FailNow(t, "ReadBatch returned with nothing to read")
			default:
			}
			require.NoError(t, a.WriteBatch(numbered(5, 1, 8), addrB))
			require.Equal(t, []received{{5, 8, addrA}}, <-done)
		})
	})
}

// requireWithin5Sigma checks a binomial count against its expectation.
func requireWithin5Sigma(t testing.TB, got uint64, trials int, p float64, what string) {
	t.Helper()
	mean := float64(trials) * p
	sigma := math.Sqrt(float64(trials) * p * (1 - p))
	require.InDelta(t, mean, float64(got), 5*sigma+1e-9, "%s: %d of %d at p=%v", what, got, trials, p)
}

func TestLoss(t *testing.T) {
	const trials = 20000
	for _, p := range []float64{0, 0.01, 0.1, 0.5, 1} {
		for _, seed := range []uint64{1, 2, 3} {
			n := newNetwork(t, Config{Loss: p, Seed: seed, QueueLimit: trials})
			a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
			for i := 0; i < trials; i += 500 {
				require.NoError(t, a.WriteBatch(numbered(i, 500, 8), addrB))
			}
			s := n.Stats()
			requireWithin5Sigma(t, s.DroppedLoss, trials, p, "lost")
			require.Equal(t, uint64(trials), s.Delivered+s.DroppedLoss)
			requireConserved(t, s)
			got := nums(readN(t, b, int(s.Delivered)))
			for i := 1; i < len(got); i++ {
				require.Less(t, got[i-1], got[i], "loss alone neither reorders nor duplicates")
			}
			require.NoError(t, n.Close())
		}
	}
}

func TestDuplication(t *testing.T) {
	const trials = 20000
	n := newNetwork(t, Config{Duplicate: 0.2, Seed: 9, QueueLimit: 2 * trials})
	a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
	for i := 0; i < trials; i += 500 {
		require.NoError(t, a.WriteBatch(numbered(i, 500, 8), addrB))
	}
	s := n.Stats()
	requireWithin5Sigma(t, s.Duplicated, trials, 0.2, "duplicated")
	require.Equal(t, trials+s.Duplicated, s.Delivered)
	requireConserved(t, s)

	seen := make(map[uint64]int)
	for _, r := range readN(t, b, int(s.Delivered)) {
		seen[r.num]++
	}
	require.Len(t, seen, trials, "every packet arrived")
	twice := 0
	for _, k := range seen {
		require.LessOrEqual(t, k, 2)
		if k == 2 {
			twice++
		}
	}
	require.Equal(t, int(s.Duplicated), twice, "the receiver saw every duplicate")
}

func TestReordering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const trials = 2000
		n := newNetwork(t, Config{Reorder: 0.1, Seed: 4, QueueLimit: trials})
		a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
		for i := 0; i < trials; i += 100 {
			require.NoError(t, a.WriteBatch(numbered(i, 100, 8), addrB))
		}
		s := n.Stats()
		requireWithin5Sigma(t, s.Reordered, trials, 0.1, "reordered")
		require.Equal(t, s.Reordered, s.InFlight, "held back, and only those")
		got := nums(readN(t, b, trials))

		late := 0 // packets that arrived after a packet sent later
		var highest uint64
		for i, k := range got {
			if i > 0 && k < highest {
				late++
			}
			highest = max(highest, k)
		}
		require.Equal(t, int(s.Reordered), late)
		require.ElementsMatch(t, seq(0, trials), got, "every packet arrived once")
		require.Equal(t, uint64(trials), n.Stats().Delivered)
	})
}

func TestDelay(t *testing.T) {
	t.Run("fake clock", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const delay, jitter = 50 * time.Millisecond, 10 * time.Millisecond
			n := newNetwork(t, Config{Delay: delay, Jitter: jitter, Seed: 1})
			a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
			start := time.Now()
			require.NoError(t, a.WriteBatch(numbered(0, 100, 8), addrB))
			require.Equal(t, uint64(100), n.Stats().InFlight)
			var arrivals []time.Duration
			for range 100 {
				readN(t, b, 1)
				arrivals = append(arrivals, time.Since(start))
			}
			for _, d := range arrivals {
				require.GreaterOrEqual(t, d, delay)
				require.Less(t, d, delay+jitter)
			}
			require.NotEqual(t, arrivals[0], arrivals[99], "jitter spreads arrivals")
		})
	})
	t.Run("real clock", func(t *testing.T) {
		const delay = 20 * time.Millisecond
		n := newNetwork(t, Config{Delay: delay})
		a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
		start := time.Now()
		require.NoError(t, a.WriteBatch(numbered(0, 3, 8), addrB))
		require.Equal(t, seq(0, 3), nums(readN(t, b, 3)), "a fixed delay keeps the order")
		require.GreaterOrEqual(t, time.Since(start), delay, "never early")
	})
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Loss: 0.1, Duplicate: 0.1, Reorder: 0.1, Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}
	run := func(seed uint64) (got []uint64, s Stats) {
		synctest.Test(t, func(t *testing.T) {
			cfg := cfg
			cfg.Seed = seed
			n := newNetwork(t, cfg)
			a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
			for i := 0; i < 1000; i += 10 {
				require.NoError(t, a.WriteBatch(numbered(i, 10, 8), addrB))
				time.Sleep(time.Millisecond)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			s = n.Stats()
			require.Zero(t, s.InFlight)
			got = nums(readN(t, b, int(s.Delivered)))
		})
		return got, s
	}
	got1, s1 := run(42)
	got2, s2 := run(42)
	got3, _ := run(43)
	require.Equal(t, s1, s2)
	require.Equal(t, got1, got2, "the same seed gives the same packets in the same order")
	require.NotEqual(t, got1, got3, "another seed, other decisions")
	require.NotZero(t, s1.DroppedLoss)
	require.NotZero(t, s1.Duplicated)
	require.NotZero(t, s1.Reordered)
}

func TestRebind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newNetwork(t, Config{})
		server, client := newConnAt(t, n, addrA), newConnAt(t, n, addrB)

		require.NoError(t, client.WriteBatch(numbered(1, 1, 8), addrA))
		require.Equal(t, []received{{1, 8, addrB}}, readN(t, server, 1))

		// A packet to the client is still on its way when the NAT rebinds.
		n.SetLink(addrA, addrB, Config{Delay: 10 * time.Millisecond})
		require.NoError(t, server.WriteBatch(numbered(2, 1, 8), addrB))

		newAddr := n.Rebind(client)
		require.True(t, newAddr.IsValid())
		require.NotEqual(t, addrB, newAddr)
		require.Equal(t, addrB.Addr(), newAddr.Addr())
		require.Equal(t, addrB, client.LocalAddr(), "the host's own address does not change")
		require.Equal(t, newAddr, client.PublicAddr())

		require.NoError(t, client.WriteBatch(numbered(3, 1, 8), addrA))
		got := readN(t, server, 1)
		require.Equal(t, []received{{3, 8, newAddr}}, got, "the server sees the new address")

		require.NoError(t, server.WriteBatch(numbered(4, 1, 8), addrB))       // to the old address
		require.NoError(t, server.WriteBatch(numbered(5, 1, 8), got[0].from)) // to the new one
		require.Equal(t, []received{{5, 8, addrA}}, readN(t, client, 1), "replies to the new address arrive")
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		s := n.Stats()
		require.Equal(t, uint64(2), s.DroppedNoRoute, "the old address reaches nobody, in flight or not")
		require.Equal(t, uint64(3), s.Delivered)
		requireConserved(t, s)

		_, err := n.NewConn(addrB)
		require.ErrorIs(t, err, ErrAddrInUse, "the client still holds its local address")
		_, err = n.NewConn(newAddr)
		require.ErrorIs(t, err, ErrAddrInUse)

		again := n.Rebind(client)
		require.NotEqual(t, newAddr, again)
		require.NoError(t, client.Close())
		require.False(t, n.Rebind(client).IsValid(), "a closed Conn cannot be rebound")
		other := NewNetwork(Config{})
		defer other.Close()
		require.False(t, other.Rebind(server).IsValid(), "nor one of another network")
	})
}

func TestPartition(t *testing.T) {
	n := newNetwork(t, Config{})
	a, b, c := newConnAt(t, n, addrA), newConnAt(t, n, addrB), newConnAt(t, n, addrC)
	n.Partition(addrB, addrA, true) // either order
	require.NoError(t, a.WriteBatch(numbered(0, 3, 8), addrB))
	require.NoError(t, b.WriteBatch(numbered(0, 3, 8), addrA))
	require.NoError(t, a.WriteBatch(numbered(10, 1, 8), addrC))
	require.Equal(t, []uint64{10}, nums(readN(t, c, 1)), "other pairs are unaffected")
	s := n.Stats()
	require.Equal(t, uint64(6), s.DroppedPartition)
	require.Equal(t, uint64(1), s.Delivered)

	n.Partition(a.LocalAddr(), b.LocalAddr(), false)
	require.NoError(t, a.WriteBatch(numbered(20, 1, 8), addrB))
	require.Equal(t, []uint64{20}, nums(readN(t, b, 1)))
	requireConserved(t, n.Stats())
}

func TestQueueLimit(t *testing.T) {
	n := newNetwork(t, Config{QueueLimit: 8})
	a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
	require.NoError(t, a.WriteBatch(numbered(0, 20, 8), addrB))
	s := n.Stats()
	require.Equal(t, uint64(8), s.Delivered)
	require.Equal(t, uint64(12), s.DroppedQueue)
	require.Equal(t, seq(0, 8), nums(readN(t, b, 8)), "the first ones, as a socket buffer keeps")
	require.NoError(t, a.WriteBatch(numbered(20, 1, 8), addrB))
	require.Equal(t, []uint64{20}, nums(readN(t, b, 1)), "room again once read")
}

func TestMTUAndLinks(t *testing.T) {
	n := newNetwork(t, Config{MTU: 100})
	a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
	require.NoError(t, a.WriteBatch([][]byte{make([]byte, 101), make([]byte, 100)}, addrB))
	got := readN(t, b, 1)
	require.Equal(t, 100, got[0].size)
	require.Equal(t, uint64(1), n.Stats().DroppedMTU)

	// A link override applies in its direction only, until cleared.
	n.SetLink(addrA, addrB, Config{Loss: 1})
	require.NoError(t, a.WriteBatch(numbered(0, 5, 8), addrB))
	require.NoError(t, b.WriteBatch(numbered(0, 5, 101), addrA), "the reverse keeps MTU 100")
	require.Equal(t, uint64(5), n.Stats().DroppedLoss)
	require.Equal(t, uint64(6), n.Stats().DroppedMTU)
	n.SetLink(addrB, addrA, Config{}) // the default MTU of 65535
	require.NoError(t, b.WriteBatch(numbered(0, 1, 1000), addrA))
	require.Equal(t, 1000, readN(t, a, 1)[0].size)
	n.ClearLink(addrA, addrB)
	require.NoError(t, a.WriteBatch(numbered(9, 1, 8), addrB))
	require.Equal(t, []uint64{9}, nums(readN(t, b, 1)))

	// SetConfig changes the network live.
	n.SetConfig(Config{Loss: 1})
	require.NoError(t, a.WriteBatch(numbered(0, 1, 8), addrB))
	require.Equal(t, uint64(6), n.Stats().DroppedLoss)
	requireConserved(t, n.Stats())
}

func TestNoRoute(t *testing.T) {
	n := newNetwork(t, Config{})
	a := newConnAt(t, n, addrA)
	require.NoError(t, a.WriteBatch(numbered(0, 2, 8), addrB), "like UDP, a write to nobody succeeds")
	require.Equal(t, uint64(2), n.Stats().DroppedNoRoute)
}

func TestNewConnAddresses(t *testing.T) {
	n := newNetwork(t, Config{})
	ip := netip.MustParseAddr("192.0.2.1")
	c1 := newConnAt(t, n, netip.AddrPortFrom(ip, 0))
	c2 := newConnAt(t, n, netip.AddrPortFrom(ip, 0))
	require.NotEqual(t, c1.LocalAddr(), c2.LocalAddr())
	require.Equal(t, ip, c1.LocalAddr().Addr())
	require.NotZero(t, c1.LocalAddr().Port())

	_, err := n.NewConn(c1.LocalAddr())
	require.ErrorIs(t, err, ErrAddrInUse)
	_, err = n.NewConn(netip.AddrPort{})
	require.Error(t, err)

	mapped := newConnAt(t, n, netip.MustParseAddrPort("[::ffff:192.0.2.9]:53"))
	require.Equal(t, netip.MustParseAddrPort("192.0.2.9:53"), mapped.LocalAddr(), "4in6 counts as IPv4")
	require.NoError(t, c1.WriteBatch(numbered(1, 1, 8), netip.MustParseAddrPort("[::ffff:192.0.2.9]:53")))
	require.Equal(t, []uint64{1}, nums(readN(t, mapped, 1)))

	require.NoError(t, c2.Close())
	again := newConnAt(t, n, c2.LocalAddr())
	require.Equal(t, c2.LocalAddr(), again.LocalAddr(), "a closed Conn's address is free")
	require.Equal(t, 128, again.BatchSize())
}

func TestClose(t *testing.T) {
	n := NewNetwork(Config{Delay: time.Hour})
	a, b := newConnAt(t, n, addrA), newConnAt(t, n, addrB)
	require.NoError(t, a.WriteBatch(numbered(0, 5, 8), addrB)) // in flight for an hour

	read := make(chan error)
	go func() {
		_, err := b.ReadBatch([][]byte{make([]byte, 64)}, []int{0}, []netip.AddrPort{{}})
		read <- err
	}()
	require.NoError(t, b.Close())
	require.ErrorIs(t, <-read, net.ErrClosed, "a blocked ReadBatch returns")
	require.NoError(t, b.Close(), "idempotent")
	_, err := b.ReadBatch([][]byte{make([]byte, 64)}, []int{0}, []netip.AddrPort{{}})
	require.ErrorIs(t, err, net.ErrClosed)
	require.ErrorIs(t, b.WriteBatch(numbered(0, 1, 8), addrA), net.ErrClosed)

	// Packets queued at Close are discarded.
	c := newConnAt(t, n, addrC)
	require.NoError(t, c.WriteBatch(numbered(0, 1, 8), addrC))
	require.NoError(t, c.Close())
	_, err = c.ReadBatch([][]byte{make([]byte, 64)}, []int{0}, []netip.AddrPort{{}})
	require.ErrorIs(t, err, net.ErrClosed)

	go func() {
		_, err := a.ReadBatch([][]byte{make([]byte, 64)}, []int{0}, []netip.AddrPort{{}})
		read <- err
	}()
	require.NoError(t, n.Close())
	require.ErrorIs(t, <-read, net.ErrClosed, "closing the network closes its Conns")
	require.NoError(t, n.Close(), "idempotent")
	_, err = n.NewConn(addrB)
	require.ErrorIs(t, err, net.ErrClosed)
	require.ErrorIs(t, a.WriteBatch(numbered(0, 1, 8), addrB), net.ErrClosed)
	require.Zero(t, n.Stats().InFlight, "packets in flight are discarded")
	goleak.VerifyNone(t) // the delivery goroutine is gone
}

// TestConcurrentUse is for the race detector: writers on several Conns, one
// reader, and the control methods, all at once, through the scheduler.
func TestConcurrentUse(t *testing.T) {
	const writers, perWriter = 4, 500
	n := newNetwork(t, Config{Delay: time.Millisecond, Jitter: time.Millisecond, QueueLimit: writers * perWriter})
	b := newConnAt(t, n, addrB)
	done := make(chan error, writers)
	for w := range writers {
		a := newConnAt(t, n, netip.AddrPortFrom(addrA.Addr(), uint16(1000+w)))
		go func() {
			for i := 0; i < perWriter; i += 50 {
				if err := a.WriteBatch(numbered(w*perWriter+i, 50, 8), addrB); err != nil {
					done <- err
					return
				}
				n.Rebind(a)
			}
			done <- nil
		}()
	}
	stop := make(chan struct{})
	violations := make(chan int)
	go func() {
		bad := 0
		for {
			select {
			case <-stop:
				violations <- bad
				return
			default:
				n.SetConfig(Config{Delay: time.Millisecond, Jitter: time.Millisecond})
				n.Partition(addrA, addrC, true)
				if !conserved(n.Stats()) {
					bad++
				}
			}
		}
	}()
	got := readN(t, b, writers*perWriter)
	close(stop)
	require.Zero(t, <-violations, "every Stats snapshot accounts for every packet")
	for range writers {
		require.NoError(t, <-done)
	}
	require.ElementsMatch(t, seq(0, writers*perWriter), nums(got))
}
