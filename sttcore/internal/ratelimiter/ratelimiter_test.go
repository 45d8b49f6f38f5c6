package ratelimiter

import (
	"encoding/binary"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when told; safe for concurrent use.
type fakeClock struct {
	base time.Time
	ns   atomic.Int64
}

func newFakeClock() *fakeClock {
	return &fakeClock{base: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time          { return c.base.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// v4 and v6 return the i-th of a run of distinct IPv4 addresses and of
// addresses in distinct IPv6 /64s.
func v4(i uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 0x0a000000+i)
	return netip.AddrFrom4(b)
}

func v6(i uint32) netip.Addr {
	b := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 0x01}
	binary.BigEndian.PutUint32(b[4:8], i)
	return netip.AddrFrom16(b)
}

func TestBurstAndRefill(t *testing.T) {
	type step struct {
		advance time.Duration
		want    []bool // answers to Allow right after advancing
	}
	yes := func(n int) []bool {
		s := make([]bool, n)
		for i := range s {
			s[i] = true
		}
		return s
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"defaults", Config{}, []step{
			{0, append(yes(5), false, false)},
			{50 * time.Millisecond, []bool{true, false}}, // one packet per 1/20 s
			{49 * time.Millisecond, []bool{false}},
			{time.Millisecond, []bool{true, false}},
			{100 * time.Millisecond, []bool{true, true, false}},
			{10 * time.Second, append(yes(5), false)}, // refill stops at the burst
		}},
		{"negative values mean defaults", Config{PacketsPerSecond: -1, Burst: -1, MaxEntries: -1}, []step{
			{0, append(yes(5), false)},
			{50 * time.Millisecond, []bool{true, false}},
		}},
		{"one per second, burst 2", Config{PacketsPerSecond: 1, Burst: 2}, []step{
			{0, []bool{true, true, false}},
			{999 * time.Millisecond, []bool{false}},
			{time.Millisecond, []bool{true, false}},
			{5 * time.Second, []bool{true, true, false}},
		}},
		{"burst 1", Config{PacketsPerSecond: 10, Burst: 1}, []step{
			{0, []bool{true, false}},
			{200 * time.Millisecond, []bool{true, false}},
		}},
		{"extreme values do not overflow", Config{PacketsPerSecond: math.MaxInt, Burst: math.MaxInt}, []step{
			{0, yes(1000)},
			{100 * 365 * 24 * time.Hour, yes(1000)},
		}},
	}
	addrs := []netip.Addr{
		netip.MustParseAddr("192.0.2.1"),
		netip.MustParseAddr("198.51.100.7"),
		netip.MustParseAddr("2001:db8:1:2::1"),
		netip.MustParseAddr("2001:db8:1:3::1"),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tt.cfg.Now = clock.Now
			l := New(tt.cfg)
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				// Each address has its own bucket: interleaving them changes nothing.
				for j, want := range s.want {
					for _, a := range addrs {
						require.Equal(t, want, l.Allow(a), "step %d, packet %d from %s", i, j, a)
					}
				}
			}
			require.Equal(t, len(addrs), l.Len())
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool // whether a and b share a bucket
	}{
		{"same IPv4", "192.0.2.1", "192.0.2.1", true},
		{"neighbouring IPv4", "192.0.2.1", "192.0.2.2", false},
		{"same IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"neighbouring IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"IPv6 differing in bit 64", "2001:db8:0:0:8000::1", "2001:db8::1", true},
		{"IPv6 differing in bit 63", "2001:db8:0:1::1", "2001:db8::1", false},
		{"IPv4-mapped is IPv4", "::ffff:192.0.2.1", "192.0.2.1", true},
		{"IPv4-mapped, other address", "::ffff:192.0.2.1", "192.0.2.2", false},
		{"IPv4 and IPv6 with equal bits", "0.0.0.0", "::1", false},
		{"IPv4-compatible is IPv6", "::192.0.2.1", "192.0.2.1", false},
		{"zones ignored", "fe80::1%eth0", "fe80::2%eth1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := New(Config{Burst: 3, Now: clock.Now})
			a, b := netip.MustParseAddr(tt.a), netip.MustParseAddr(tt.b)
			for range 3 {
				require.True(t, l.Allow(a))
			}
			require.False(t, l.Allow(a), "bucket of %s must be empty", a)
			require.Equal(t, !tt.same, l.Allow(b))
			wantLen := 2
			if tt.same {
				wantLen = 1
			}
			require.Equal(t, wantLen, l.Len())
		})
	}
}

func TestZeroAddr(t *testing.T) {
	l := New(Config{Now: newFakeClock().Now})
	require.False(t, l.Allow(netip.Addr{}))
	require.Zero(t, l.Len())
}

// TestBounded sends one packet from each of 1,000,000 distinct addresses
// (IPv4 and IPv6 /64s, alternately), 5 µs apart, and checks that the table
// never holds more than MaxEntries, refuses new addresses while full, and
// takes new ones again once sweeps remove the stale ones.
func TestBounded(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{Now: clock.Now})
	allowed, refused, maxLen := 0, 0, 0
	for i := range uint32(1_000_000) {
		a := v4(i)
		if i%2 == 1 {
			a = v6(i)
		}
		if l.Allow(a) {
			allowed++
		} else {
			refused++
		}
		maxLen = max(maxLen, l.Len())
		clock.Advance(5 * time.Microsecond)
	}
	require.Equal(t, DefaultMaxEntries, maxLen, "the table must fill up to MaxEntries and no further")
	require.Greater(t, refused, 0, "the table never filled")
	require.Greater(t, allowed, 2*DefaultMaxEntries, "sweeps never made room")
	// Once every entry is stale, one sweep empties the table.
	clock.Advance(2 * time.Second)
	require.True(t, l.Allow(v4(0)))
	require.Equal(t, 1, l.Len())
}

func TestSweep(t *testing.T) {
	type step struct {
		at      time.Duration // since the Limiter was made; steps are in order
		addr    string
		want    bool
		wantLen int // Len after the step
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"stale entries removed", Config{MaxEntries: 3}, []step{
			{0, "10.0.0.1", true, 1},
			{0, "10.0.0.2", true, 2},
			{0, "2001:db8::1", true, 3},
			{1100 * time.Millisecond, "10.0.0.9", true, 1},
		}},
		{"an entry idle exactly 1 s stays", Config{}, []step{
			{0, "10.0.0.1", true, 1},
			{time.Second, "10.0.0.2", true, 2},
		}},
		{"recently used entries stay", Config{}, []step{
			{0, "10.0.0.1", true, 1},
			{500 * time.Millisecond, "10.0.0.2", true, 2},
			{1100 * time.Millisecond, "10.0.0.3", true, 2}, // .1 swept, .2 idle 0.6 s
		}},
		{"idle entries with a partial bucket stay", Config{PacketsPerSecond: 1, Burst: 3}, []step{
			{0, "10.0.0.1", true, 1},
			{0, "10.0.0.1", true, 1},
			{0, "10.0.0.1", true, 1},
			{0, "10.0.0.1", false, 1},
			{2 * time.Second, "10.0.0.2", true, 2}, // .1 holds 2 of 3 tokens: kept
			{2 * time.Second, "10.0.0.1", true, 2},
			{2 * time.Second, "10.0.0.1", true, 2},
			{2 * time.Second, "10.0.0.1", false, 2}, // the sweep did not refill it
			{10 * time.Second, "10.0.0.3", true, 1},
		}},
		{"a full table refuses new addresses only", Config{MaxEntries: 2}, []step{
			{0, "10.0.0.1", true, 1},
			{0, "10.0.0.2", true, 2},
			{0, "10.0.0.3", false, 2},
			{0, "2001:db8::3", false, 2},
			{0, "10.0.0.1", true, 2},
			{1500 * time.Millisecond, "10.0.0.3", true, 1},
		}},
		{"at most one sweep a second", Config{MaxEntries: 2}, []step{
			{0, "10.0.0.1", true, 1},
			{500 * time.Millisecond, "10.0.0.2", true, 2},
			{1200 * time.Millisecond, "10.0.0.3", true, 2},  // sweep: .1 goes
			{1800 * time.Millisecond, "10.0.0.4", false, 2}, // .2 is stale, but no sweep until 2.2 s
			{2200 * time.Millisecond, "10.0.0.4", true, 2},  // sweep: .2 goes, .3 idle 1 s stays
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tt.cfg.Now = clock.Now
			l := New(tt.cfg)
			var at time.Duration
			for i, s := range tt.steps {
				clock.Advance(s.at - at)
				at = s.at
				require.Equal(t, s.want, l.Allow(netip.MustParseAddr(s.addr)), "step %d: %s at %v", i, s.addr, s.at)
				require.Equal(t, s.wantLen, l.Len(), "step %d: Len", i)
			}
		})
	}
}

// TestClockBackwards checks that a clock that runs backwards neither refills
// a bucket nor drains it.
func TestClockBackwards(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{PacketsPerSecond: 1, Burst: 2, Now: clock.Now})
	a := netip.MustParseAddr("192.0.2.1")
	clock.Advance(10 * time.Second)
	require.True(t, l.Allow(a))
	clock.Advance(-5 * time.Second)
	require.True(t, l.Allow(a))
	require.False(t, l.Allow(a))
	clock.Advance(5*time.Second + time.Second)
	require.True(t, l.Allow(a))
	require.False(t, l.Allow(a))
}

// TestConcurrent is meant for the race detector. Eight goroutines share one
// address under a frozen clock, so exactly Burst packets may pass in all;
// then they flood distinct addresses while the clock moves, and the table
// must stay within MaxEntries.
func TestConcurrent(t *testing.T) {
	const goroutines = 8
	clock := newFakeClock()
	l := New(Config{MaxEntries: 512, Now: clock.Now})

	shared := netip.MustParseAddr("2001:db8::1")
	var passed atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range 1000 {
				if l.Allow(shared) {
					passed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(DefaultBurst), passed.Load())

	var tooMany atomic.Int64
	for g := range uint32(goroutines) {
		wg.Go(func() {
			for i := range uint32(5000) {
				l.Allow(v4(g<<16 | i))
				l.Allow(v6(g<<16 | i%64))
				if l.Len() > 512 {
					tooMany.Add(1)
				}
				if i%16 == 0 {
					clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, tooMany.Load(), "Len exceeded MaxEntries")
	require.Positive(t, l.Len())
}

func TestAllowAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	clock := newFakeClock()
	l := New(Config{Now: clock.Now})
	a4, a6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	l.Allow(a4)
	l.Allow(a6)
	allocs := testing.AllocsPerRun(1000, func() {
		clock.Advance(time.Millisecond)
		l.Allow(a4)
		l.Allow(a6)
	})
	require.Zero(t, allocs)
}

func BenchmarkAllow(b *testing.B) {
	b.Run("existing", func(b *testing.B) {
		l := New(Config{})
		a := netip.MustParseAddr("192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			l.Allow(a)
		}
	})
	b.Run("existing parallel", func(b *testing.B) {
		l := New(Config{})
		b.ReportAllocs()
		var next atomic.Uint32
		b.RunParallel(func(pb *testing.PB) {
			a := v6(next.Add(1))
			for pb.Next() {
				l.Allow(a)
			}
		})
	})
	b.Run("new addresses", func(b *testing.B) {
		// A flood of distinct addresses: the table fills, refuses, and is
		// swept every second of fake time.
		clock := newFakeClock()
		l := New(Config{Now: clock.Now})
		b.ReportAllocs()
		var i uint32
		for b.Loop() {
			l.Allow(v4(i))
			i++
			clock.Advance(5 * time.Microsecond)
		}
	})
}
