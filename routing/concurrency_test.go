package routing

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConcurrentReadersAndWriter hammers LookupDst and SourceAllowed from
// readers while a writer keeps changing the table; run it with -race. Each
// change is one SetPeer or RemovePeer, so readers must only ever see the
// table before or after a change: an address that stays routed to the same
// peer across a change must never be seen unrouted or routed elsewhere.
func TestConcurrentReadersAndWriter(t *testing.T) {
	const writes = 300
	a := netip.MustParseAddr
	tbl := New[*testPeer]()
	stable := &testPeer{name: "stable"}
	split := &testPeer{name: "split"}
	toggled := &testPeer{name: "toggled"}
	bulk := &testPeer{name: "bulk"}
	require.NoError(t, tbl.SetPeer(stable, mustPrefixes(t, "10.1.0.0/16", "2001:db8:1::/48")))
	whole := mustPrefixes(t, "10.0.0.0/8", "2001:db8::/32")
	halves := mustPrefixes(t, "10.0.0.0/9", "10.128.0.0/9", "2001:db8::/33", "2001:db8:8000::/33")
	require.NoError(t, tbl.SetPeer(split, whole))
	var bulkPfxs []netip.Prefix // enough prefixes that SetPeer takes the clone path
	for i := range 200 {
		bulkPfxs = append(bulkPfxs, netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64 + byte(i/64), byte(i % 64 * 4), 0}), 22))
	}

	type probe struct {
		addr     netip.Addr
		want     *testPeer // the only peer addr may route to
		optional bool      // whether addr may also be unrouted
		to, from []byte    // packets to and from addr
	}
	probes := []probe{
		{addr: a("10.200.0.1"), want: split},
		{addr: a("10.1.5.5"), want: stable},
		{addr: a("10.127.255.255"), want: split},
		{addr: a("2001:db8:8000::1"), want: split},
		{addr: a("2001:db8:1::1"), want: stable},
		{addr: a("192.168.1.1"), want: toggled, optional: true},
		{addr: a("100.64.0.1"), want: bulk, optional: true},
		{addr: a("100.67.28.9"), want: bulk, optional: true},
	}
	for i := range probes {
		probes[i].to, probes[i].from = packetTo(probes[i].addr), packetFrom(probes[i].addr)
	}

	var (
		violations atomic.Int64
		firstErr   atomic.Pointer[string]
		started    = make(chan struct{}, 2)
		done       = make(chan struct{})
		wg         sync.WaitGroup
	)
	report := func(format string, args ...any) {
		violations.Add(1)
		msg := fmt.Sprintf(format, args...)
		firstErr.CompareAndSwap(nil, &msg)
	}
	for range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				for _, pr := range probes {
					got, ok := tbl.LookupDst(pr.to)
					switch {
					case !ok && !pr.optional:
						report("destination %v unrouted", pr.addr)
					case ok && got != pr.want:
						report("destination %v routed to %v, want %v", pr.addr, got, pr.want)
					}
					if !pr.optional && !tbl.SourceAllowed(pr.want, pr.from) {
						report("source %v refused for %v", pr.addr, pr.want)
					}
					if pr.want != stable && tbl.SourceAllowed(stable, pr.from) {
						report("source %v allowed for %v", pr.addr, stable)
					}
				}
				if i == 0 {
					started <- struct{}{}
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	// stop ends the readers; deferred too, so that a failing writer does
	// not leave them spinning.
	stop := sync.OnceFunc(func() { close(done); wg.Wait() })
	defer stop()

	// Start writing only once both readers are running.
	<-started
	<-started
	for i := range writes {
		if i%2 == 0 {
			require.NoError(t, tbl.SetPeer(split, halves))
			require.NoError(t, tbl.SetPeer(toggled, mustPrefixes(t, "192.168.0.0/16")))
			require.NoError(t, tbl.SetPeer(bulk, bulkPfxs))
		} else {
			require.NoError(t, tbl.SetPeer(split, whole))
			tbl.RemovePeer(toggled)
			tbl.RemovePeer(bulk)
		}
	}
	stop()
	if msg := firstErr.Load(); msg != nil {
		t.Fatalf("%d inconsistent reads; first: %s", violations.Load(), *msg)
	}
	require.Equal(t, len(whole)+2, tbl.Len(), "the last write restores whole and removes toggled and bulk")
}
