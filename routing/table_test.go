package routing

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// routes maps a peer name to its prefixes, for building test tables.
type routes map[string][]string

// buildTable returns a table holding rs and the peers by name.
func buildTable(t *testing.T, rs routes) (*Table[*testPeer], map[string]*testPeer) {
	t.Helper()
	tbl := New[*testPeer]()
	peers := make(map[string]*testPeer, len(rs))
	for name, pfxs := range rs {
		p := &testPeer{name: name}
		peers[name] = p
		require.NoError(t, tbl.SetPeer(p, mustPrefixes(t, pfxs...)))
	}
	return tbl, peers
}

// peerName returns the name of the peer addr routes to, or "" for none.
func peerName(tbl *Table[*testPeer], addr netip.Addr) string {
	p, ok := tbl.Lookup(addr)
	if !ok {
		return ""
	}
	return p.name
}

var lpmRoutes = routes{
	"default": {"0.0.0.0/0", "::/0"},
	"b":       {"10.0.0.0/8", "2001:db8::/32"},
	"c":       {"10.1.0.0/16", "2001:db8:1::/48"},
	"d":       {"10.1.2.3/32", "2001:db8:1::1/128", "192.168.1.0/24"},
	"e":       {"10.1.2.0/31", "172.16.0.0/12"},
}

func TestLookup(t *testing.T) {
	noDefault := routes{
		"b": {"10.0.0.0/8", "2001:db8::/32"},
		"c": {"10.1.0.0/16"},
	}
	tests := []struct {
		name   string
		routes routes
		addr   string
		want   string // peer name, "" for no route
	}{
		{"v4 default route", lpmRoutes, "8.8.8.8", "default"},
		{"v6 default route", lpmRoutes, "2606:4700::1111", "default"},
		{"v4 /8", lpmRoutes, "10.200.0.1", "b"},
		{"v4 /16 inside /8", lpmRoutes, "10.1.200.1", "c"},
		{"v4 /31 inside /16", lpmRoutes, "10.1.2.1", "e"},
		{"v4 host route inside /16", lpmRoutes, "10.1.2.3", "d"},
		{"v4 neighbour of host route", lpmRoutes, "10.1.2.4", "c"},
		{"v4 /24", lpmRoutes, "192.168.1.255", "d"},
		{"v4 next to /24", lpmRoutes, "192.168.2.0", "default"},
		{"v4 /12 last address", lpmRoutes, "172.31.255.255", "e"},
		{"v4 just past /12", lpmRoutes, "172.32.0.0", "default"},
		{"v6 /32", lpmRoutes, "2001:db8:2::1", "b"},
		{"v6 /48 inside /32", lpmRoutes, "2001:db8:1:ffff::1", "c"},
		{"v6 host route", lpmRoutes, "2001:db8:1::1", "d"},
		{"v6 neighbour of host route", lpmRoutes, "2001:db8:1::2", "c"},
		{"v6 zone ignored", lpmRoutes, "2001:db8:1::1%eth0", "d"},
		{"v4-mapped v6 unmapped", lpmRoutes, "::ffff:10.1.2.3", "d"},
		{"v4-mapped v6 to v4 default", lpmRoutes, "::ffff:8.8.8.8", "default"},
		{"v4 family does not match v6 route", noDefault, "32.1.13.184", ""},
		{"v4 no route", noDefault, "11.0.0.1", ""},
		{"v6 no route", noDefault, "2001:db9::1", ""},
		{"v6 does not match v4 prefix", noDefault, "::a00:1", ""},
		{"v4-mapped v6 no route", noDefault, "::ffff:11.0.0.1", ""},
		{"v4-mapped v6 route", noDefault, "::ffff:10.1.0.1", "c"},
		{"empty table", routes{}, "10.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl, _ := buildTable(t, tt.routes)
			addr := netip.MustParseAddr(tt.addr)
			require.Equal(t, tt.want, peerName(tbl, addr))

			// The packet path must agree with Lookup.
			var want *testPeer
			if tt.want != "" {
				want, _ = tbl.Lookup(addr)
			}
			got, ok := tbl.LookupDst(packetTo(addr.WithZone("")))
			require.Equal(t, tt.want != "", ok)
			require.Same(t, want, got)
			require.Equal(t, tt.want != "", tbl.SourceAllowed(want, packetFrom(addr.WithZone(""))))
		})
	}
}

func TestLookupInvalidAddr(t *testing.T) {
	tbl, _ := buildTable(t, lpmRoutes)
	p, ok := tbl.Lookup(netip.Addr{})
	require.False(t, ok)
	require.Nil(t, p)
}

func TestZeroTable(t *testing.T) {
	var tbl Table[*testPeer]
	p := &testPeer{name: "p"}
	_, ok := tbl.Lookup(netip.MustParseAddr("10.0.0.1"))
	require.False(t, ok)
	_, ok = tbl.LookupDst(packetTo(netip.MustParseAddr("10.0.0.1")))
	require.False(t, ok)
	require.False(t, tbl.SourceAllowed(p, packetFrom(netip.MustParseAddr("10.0.0.1"))))
	require.Zero(t, tbl.Len())
	require.Nil(t, tbl.Prefixes(p))
	tbl.RemovePeer(p)

	require.NoError(t, tbl.SetPeer(p, mustPrefixes(t, "10.0.0.0/8")))
	got, ok := tbl.Lookup(netip.MustParseAddr("10.0.0.1"))
	require.True(t, ok)
	require.Same(t, p, got)
}

func TestSetPeerReplaces(t *testing.T) {
	tbl, peers := buildTable(t, routes{
		"a": {"10.0.0.0/8", "2001:db8::/32", "192.168.0.0/16"},
		"b": {"10.1.0.0/16"},
	})
	a := peers["a"]
	require.Equal(t, 4, tbl.Len())

	require.NoError(t, tbl.SetPeer(a, mustPrefixes(t, "192.168.0.0/16", "172.16.0.0/12")))
	require.Equal(t, mustPrefixes(t, "172.16.0.0/12", "192.168.0.0/16"), tbl.Prefixes(a))
	require.Equal(t, 3, tbl.Len())
	require.Equal(t, "", peerName(tbl, netip.MustParseAddr("10.200.0.1")), "old prefix must be gone")
	require.Equal(t, "", peerName(tbl, netip.MustParseAddr("2001:db8::1")), "old prefix must be gone")
	require.Equal(t, "b", peerName(tbl, netip.MustParseAddr("10.1.0.1")), "other peer untouched")
	require.Equal(t, "a", peerName(tbl, netip.MustParseAddr("172.20.0.1")), "new prefix")
	require.Equal(t, "a", peerName(tbl, netip.MustParseAddr("192.168.7.7")), "kept prefix")

	// Setting the same prefixes again changes nothing.
	require.NoError(t, tbl.SetPeer(a, mustPrefixes(t, "172.16.0.0/12", "192.168.0.0/16")))
	require.Equal(t, mustPrefixes(t, "172.16.0.0/12", "192.168.0.0/16"), tbl.Prefixes(a))
	require.Equal(t, 3, tbl.Len())

	// A prefix moves only once its owner has given it up.
	require.ErrorIs(t, tbl.SetPeer(peers["b"], mustPrefixes(t, "10.1.0.0/16", "192.168.0.0/16")), ErrOverlap)
	require.NoError(t, tbl.SetPeer(a, mustPrefixes(t, "172.16.0.0/12")))
	require.NoError(t, tbl.SetPeer(peers["b"], mustPrefixes(t, "10.1.0.0/16", "192.168.0.0/16")))
	require.Equal(t, "b", peerName(tbl, netip.MustParseAddr("192.168.7.7")))
}

func TestSetPeerCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"host bits masked", []string{"10.1.2.3/8", "2001:db8::1/32"}, []string{"10.0.0.0/8", "2001:db8::/32"}},
		{"duplicates merged", []string{"10.0.0.0/8", "10.9.9.9/8", "10.0.0.0/8"}, []string{"10.0.0.0/8"}},
		{"sorted v4 before v6", []string{"::/0", "192.168.0.0/16", "10.0.0.0/8", "10.0.0.0/7"}, []string{"10.0.0.0/7", "10.0.0.0/8", "192.168.0.0/16", "::/0"}},
		{"v4-mapped unmapped", []string{"::ffff:10.0.0.0/104", "::ffff:192.168.1.1/128"}, []string{"10.0.0.0/8", "192.168.1.1/32"}},
		{"v4-mapped /96 is v4 default", []string{"::ffff:0.0.0.0/96"}, []string{"0.0.0.0/0"}},
		{"short v6 prefix over mapped range stays v6", []string{"::ffff:0.0.0.0/95"}, []string{"::fffe:0:0/95"}},
		{"mapped duplicate of v4", []string{"::ffff:10.0.0.0/104", "10.0.0.0/8"}, []string{"10.0.0.0/8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl := New[*testPeer]()
			p := &testPeer{name: "p"}
			require.NoError(t, tbl.SetPeer(p, mustPrefixes(t, tt.in...)))
			require.Equal(t, mustPrefixes(t, tt.want...), tbl.Prefixes(p))
			require.Equal(t, len(tt.want), tbl.Len())
		})
	}
}

func TestSetPeerOverlapError(t *testing.T) {
	base := routes{
		"a": {"10.0.0.0/8", "2001:db8::/32"},
		"b": {"192.168.0.0/16"},
	}
	tests := []struct {
		name       string
		peer       string // existing peer, or a new one
		set        []string
		wantPrefix string
		wantOther  string
	}{
		{"new peer, same prefix", "new", []string{"10.0.0.0/8"}, "10.0.0.0/8", "a"},
		{"new peer, host bits differ", "new", []string{"172.16.0.0/12", "10.9.9.9/8"}, "10.0.0.0/8", "a"},
		{"new peer, v4-mapped form", "new", []string{"::ffff:10.0.0.0/104"}, "10.0.0.0/8", "a"},
		{"new peer, v6", "new", []string{"2001:db8::/32"}, "2001:db8::/32", "a"},
		{"existing peer replacing", "b", []string{"172.16.0.0/12", "10.0.0.0/8"}, "10.0.0.0/8", "a"},
		{"existing peer keeping own, taking other", "a", []string{"10.0.0.0/8", "192.168.0.0/16"}, "192.168.0.0/16", "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl, peers := buildTable(t, base)
			p, ok := peers[tt.peer]
			if !ok {
				p = &testPeer{name: tt.peer}
			}
			before := snapshot(tbl, peers, p)

			err := tbl.SetPeer(p, mustPrefixes(t, tt.set...))
			require.Error(t, err)
			require.ErrorIs(t, err, ErrOverlap)
			var oe *OverlapError[*testPeer]
			require.ErrorAs(t, err, &oe)
			require.Equal(t, netip.MustParsePrefix(tt.wantPrefix), oe.Prefix)
			require.Same(t, peers[tt.wantOther], oe.Other)
			require.Contains(t, err.Error(), tt.wantPrefix)

			require.Equal(t, before, snapshot(tbl, peers, p), "a failed SetPeer must change nothing")
		})
	}
}

// tableState is everything observable about a table for the given peers.
type tableState struct {
	Len      int
	Prefixes map[string][]netip.Prefix
	Lookups  map[string]string
}

func snapshot(tbl *Table[*testPeer], peers map[string]*testPeer, extra *testPeer) tableState {
	s := tableState{Len: tbl.Len(), Prefixes: map[string][]netip.Prefix{}, Lookups: map[string]string{}}
	for name, p := range peers {
		s.Prefixes[name] = tbl.Prefixes(p)
	}
	s.Prefixes["extra:"+extra.name] = tbl.Prefixes(extra)
	for _, a := range []string{"10.0.0.1", "10.255.255.255", "172.16.0.1", "192.168.1.1", "2001:db8::1", "::ffff:10.0.0.1"} {
		s.Lookups[a] = peerName(tbl, netip.MustParseAddr(a))
	}
	return s
}

func TestSetPeerOverlappingDifferentPrefixesAllowed(t *testing.T) {
	tbl, peers := buildTable(t, routes{
		"wide":   {"10.0.0.0/8", "0.0.0.0/0", "::/0"},
		"narrow": {"10.1.0.0/16", "10.0.0.0/9", "2001:db8::/32"},
		"host":   {"10.1.1.1/32", "::1/128"},
	})
	require.Equal(t, 8, tbl.Len())
	require.Equal(t, "host", peerName(tbl, netip.MustParseAddr("10.1.1.1")))
	require.Equal(t, "narrow", peerName(tbl, netip.MustParseAddr("10.1.1.2")))
	require.Equal(t, "narrow", peerName(tbl, netip.MustParseAddr("10.127.0.1")))
	require.Equal(t, "wide", peerName(tbl, netip.MustParseAddr("10.128.0.1")))
	require.Equal(t, "host", peerName(tbl, netip.MustParseAddr("::1")))
	require.Len(t, peers, 3)
}

func TestSetPeerInvalidPrefix(t *testing.T) {
	tbl, peers := buildTable(t, routes{"a": {"10.0.0.0/8"}})
	before := snapshot(tbl, peers, peers["a"])
	for _, pfxs := range [][]netip.Prefix{
		{netip.Prefix{}},
		{netip.MustParsePrefix("192.168.0.0/16"), netip.PrefixFrom(netip.MustParseAddr("10.0.0.1"), 33)},
		{netip.PrefixFrom(netip.MustParseAddr("::1"), -1)},
	} {
		err := tbl.SetPeer(peers["a"], pfxs)
		require.ErrorIs(t, err, ErrInvalidPrefix)
		require.EqualError(t, err, fmt.Sprintf("routing: invalid prefix (entry %d of %d)", len(pfxs), len(pfxs)))
		require.NotErrorIs(t, err, ErrOverlap)
		require.Equal(t, before, snapshot(tbl, peers, peers["a"]))
	}
}

func TestRemovePeer(t *testing.T) {
	tbl, peers := buildTable(t, lpmRoutes)
	require.Equal(t, 11, tbl.Len())

	tbl.RemovePeer(peers["d"])
	require.Nil(t, tbl.Prefixes(peers["d"]))
	require.Equal(t, 8, tbl.Len())
	require.Equal(t, "c", peerName(tbl, netip.MustParseAddr("10.1.2.3")), "falls back to the next longest prefix")
	require.Equal(t, "c", peerName(tbl, netip.MustParseAddr("2001:db8:1::1")))
	require.Equal(t, "default", peerName(tbl, netip.MustParseAddr("192.168.1.1")))
	require.False(t, tbl.SourceAllowed(peers["d"], packetFrom(netip.MustParseAddr("10.1.2.3"))))

	// Removing twice, or removing an unknown peer, does nothing.
	tbl.RemovePeer(peers["d"])
	tbl.RemovePeer(&testPeer{name: "unknown"})
	require.Equal(t, 8, tbl.Len())

	// A removed prefix can be claimed by another peer.
	require.NoError(t, tbl.SetPeer(peers["b"], mustPrefixes(t, "10.0.0.0/8", "2001:db8::/32", "10.1.2.3/32")))
	require.Equal(t, "b", peerName(tbl, netip.MustParseAddr("10.1.2.3")))

	for _, p := range peers {
		tbl.RemovePeer(p)
	}
	require.Zero(t, tbl.Len())
	_, ok := tbl.Lookup(netip.MustParseAddr("8.8.8.8"))
	require.False(t, ok)
}

func TestSetPeerEmptyRemoves(t *testing.T) {
	tbl, peers := buildTable(t, routes{"a": {"10.0.0.0/8"}, "b": {"10.1.0.0/16"}})
	require.NoError(t, tbl.SetPeer(peers["a"], nil))
	require.Nil(t, tbl.Prefixes(peers["a"]))
	require.Equal(t, 1, tbl.Len())
	require.Equal(t, "", peerName(tbl, netip.MustParseAddr("10.2.0.1")))
	require.Equal(t, "b", peerName(tbl, netip.MustParseAddr("10.1.0.1")))
}

func TestPrefixesReturnsCopy(t *testing.T) {
	tbl, peers := buildTable(t, routes{"a": {"10.0.0.0/8", "192.168.0.0/16"}})
	got := tbl.Prefixes(peers["a"])
	got[0] = netip.MustParsePrefix("1.0.0.0/8")
	require.Equal(t, mustPrefixes(t, "10.0.0.0/8", "192.168.0.0/16"), tbl.Prefixes(peers["a"]))

	// The caller's slice is not kept either.
	in := mustPrefixes(t, "172.16.0.0/12")
	require.NoError(t, tbl.SetPeer(peers["a"], in))
	in[0] = netip.MustParsePrefix("1.0.0.0/8")
	require.Equal(t, mustPrefixes(t, "172.16.0.0/12"), tbl.Prefixes(peers["a"]))
}

func TestSourceAllowed(t *testing.T) {
	tbl, peers := buildTable(t, lpmRoutes)
	v4 := func(s string) []byte { return packetFrom(netip.MustParseAddr(s)) }
	v6 := v4
	withVersion := func(b []byte, v byte) []byte { b[0] = v<<4 | b[0]&0x0f; return b }
	tests := []struct {
		name   string
		peer   string
		packet []byte
		want   bool
	}{
		{"v4 own prefix", "b", v4("10.200.0.1"), true},
		{"v4 own host route", "d", v4("10.1.2.3"), true},
		{"v4 inside own prefix but longer match elsewhere", "b", v4("10.1.0.1"), false},
		{"v4 other peer's prefix", "c", v4("10.200.0.1"), false},
		{"v4 default route owner", "default", v4("8.8.8.8"), true},
		{"v6 own prefix", "b", v6("2001:db8:2::1"), true},
		{"v6 longer match elsewhere", "b", v6("2001:db8:1::5"), false},
		{"v6 mapped source checked as v4", "d", v6("::ffff:10.1.2.3"), true},
		{"v6 mapped source of other peer", "default", v6("::ffff:10.1.2.3"), false},
		{"v4 header cut short", "b", v4("10.200.0.1")[:ipv4HeaderLen-1], false},
		{"v6 header cut short", "b", v6("2001:db8:2::1")[:ipv6HeaderLen-1], false},
		{"empty packet", "b", nil, false},
		{"unknown version", "b", withVersion(v4("10.200.0.1"), 5), false},
		{"v6 version on v4 header", "b", withVersion(v4("10.200.0.1"), 6), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tbl.SourceAllowed(peers[tt.peer], tt.packet))
		})
	}

	var empty Table[*testPeer]
	require.False(t, empty.SourceAllowed(nil, v4("10.0.0.1")), "no route is never allowed, even for the zero peer")
}

func TestLookupDstMalformed(t *testing.T) {
	tbl, _ := buildTable(t, lpmRoutes) // has default routes: anything parsed would match
	good4 := packetTo(netip.MustParseAddr("10.1.2.3"))
	good6 := packetTo(netip.MustParseAddr("2001:db8:1::1"))
	for i := range len(good4) {
		_, ok := tbl.LookupDst(good4[:i])
		require.False(t, ok, "v4 packet of %d bytes", i)
	}
	for i := range len(good6) {
		_, ok := tbl.LookupDst(good6[:i])
		require.False(t, ok, "v6 packet of %d bytes", i)
	}
	p, ok := tbl.LookupDst(good4)
	require.True(t, ok)
	require.Equal(t, "d", p.name)
	p, ok = tbl.LookupDst(good6)
	require.True(t, ok)
	require.Equal(t, "d", p.name)
}

// clonePeer has a Clone method, which bart would use to deep-copy values on
// copy-on-write; the table must keep peer identity regardless.
type clonePeer struct{ n int }

func (c *clonePeer) Clone() *clonePeer { return &clonePeer{n: c.n} }

func TestPeerIdentityKeptThroughUpdates(t *testing.T) {
	tbl := New[*clonePeer]()
	a, b := &clonePeer{n: 1}, &clonePeer{n: 2}
	require.NoError(t, tbl.SetPeer(a, mustPrefixes(t, "10.0.0.0/8", "10.1.0.0/16")))
	for i := range 40 { // enough single and bulk updates to exercise both update strategies
		pfxs := mustPrefixes(t, "192.168.0.0/16")
		for j := range i {
			pfxs = append(pfxs, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(j), 0}), 24))
		}
		require.NoError(t, tbl.SetPeer(b, pfxs))
		got, ok := tbl.Lookup(netip.MustParseAddr("10.1.0.1"))
		require.True(t, ok)
		require.Same(t, a, got)
		got, ok = tbl.Lookup(netip.MustParseAddr("192.168.0.1"))
		require.True(t, ok)
		require.Same(t, b, got)
	}
}

func TestComparableValuePeers(t *testing.T) {
	// P need not be a pointer: any comparable handle works.
	tbl := New[string]()
	require.NoError(t, tbl.SetPeer("alice", mustPrefixes(t, "10.0.0.0/8")))
	err := tbl.SetPeer("bob", mustPrefixes(t, "10.0.0.0/8"))
	var oe *OverlapError[string]
	require.True(t, errors.As(err, &oe))
	require.Equal(t, "alice", oe.Other)
	require.True(t, tbl.SourceAllowed("alice", packetFrom(netip.MustParseAddr("10.1.1.1"))))
	require.False(t, tbl.SourceAllowed("bob", packetFrom(netip.MustParseAddr("10.1.1.1"))))
}
