package routing

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckOverlaps(t *testing.T) {
	pp := func(peer string, pfxs ...string) PeerPrefixes[string] {
		out := PeerPrefixes[string]{Peer: peer}
		for _, s := range pfxs {
			out.Prefixes = append(out.Prefixes, netip.MustParsePrefix(s))
		}
		return out
	}
	conflict := func(pfx, first, firstAs, second, secondAs string) Conflict[string] {
		return Conflict[string]{
			Prefix:       netip.MustParsePrefix(pfx),
			First:        first,
			Second:       second,
			FirstPrefix:  netip.MustParsePrefix(firstAs),
			SecondPrefix: netip.MustParsePrefix(secondAs),
			SamePeer:     first == second,
		}
	}
	tests := []struct {
		name  string
		peers []PeerPrefixes[string]
		want  []Conflict[string]
	}{
		{"empty", nil, nil},
		{"disjoint", []PeerPrefixes[string]{
			pp("a", "10.0.0.0/8", "2001:db8::/32"),
			pp("b", "192.168.0.0/16", "2001:db9::/32"),
		}, nil},
		{"overlapping but different allowed", []PeerPrefixes[string]{
			pp("a", "10.0.0.0/8", "0.0.0.0/0", "::/0"),
			pp("b", "10.1.0.0/16", "10.1.1.1/32", "2001:db8::/32"),
		}, nil},
		{"same prefix two peers", []PeerPrefixes[string]{
			pp("a", "10.0.0.0/8"),
			pp("b", "192.168.0.0/16", "10.0.0.0/8"),
		}, []Conflict[string]{conflict("10.0.0.0/8", "a", "10.0.0.0/8", "b", "10.0.0.0/8")}},
		{"same prefix after masking", []PeerPrefixes[string]{
			pp("a", "10.0.0.1/8"),
			pp("b", "10.200.0.0/8"),
		}, []Conflict[string]{conflict("10.0.0.0/8", "a", "10.0.0.1/8", "b", "10.200.0.0/8")}},
		{"same prefix in v4-mapped form", []PeerPrefixes[string]{
			pp("a", "::ffff:10.0.0.0/104"),
			pp("b", "10.0.0.0/8"),
		}, []Conflict[string]{conflict("10.0.0.0/8", "a", "::ffff:10.0.0.0/104", "b", "10.0.0.0/8")}},
		{"duplicate within one peer", []PeerPrefixes[string]{
			pp("a", "2001:db8::/32", "10.0.0.0/8", "2001:db8::1/32"),
		}, []Conflict[string]{conflict("2001:db8::/32", "a", "2001:db8::/32", "a", "2001:db8::1/32")}},
		{"three claims give two conflicts against the first", []PeerPrefixes[string]{
			pp("a", "10.0.0.0/8"),
			pp("b", "10.0.0.0/8"),
			pp("c", "10.0.0.0/8"),
		}, []Conflict[string]{
			conflict("10.0.0.0/8", "a", "10.0.0.0/8", "b", "10.0.0.0/8"),
			conflict("10.0.0.0/8", "a", "10.0.0.0/8", "c", "10.0.0.0/8"),
		}},
		{"two peers with the same name are still two entries", []PeerPrefixes[string]{
			pp("x", "10.0.0.0/8"),
			pp("x", "10.0.0.0/8"),
		}, []Conflict[string]{{
			Prefix: netip.MustParsePrefix("10.0.0.0/8"), First: "x", Second: "x",
			FirstPrefix: netip.MustParsePrefix("10.0.0.0/8"), SecondPrefix: netip.MustParsePrefix("10.0.0.0/8"),
		}}},
		{"invalid prefixes skipped", []PeerPrefixes[string]{
			{Peer: "a", Prefixes: []netip.Prefix{{}, netip.MustParsePrefix("10.0.0.0/8")}},
			{Peer: "b", Prefixes: []netip.Prefix{{}}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, CheckOverlaps(tt.peers))
		})
	}
}

// TestCheckOverlapsAgreesWithSetPeer: a configuration CheckOverlaps accepts
// loads into a Table peer by peer, and each conflict it reports is one
// SetPeer refuses.
func TestCheckOverlapsAgreesWithSetPeer(t *testing.T) {
	peers := []PeerPrefixes[string]{
		{Peer: "a", Prefixes: mustPrefixes(t, "10.0.0.0/8", "2001:db8::/32")},
		{Peer: "b", Prefixes: mustPrefixes(t, "10.1.0.0/16", "::ffff:10.0.0.0/104")},
		{Peer: "c", Prefixes: mustPrefixes(t, "192.168.0.0/16", "2001:db8::5/32")},
	}
	conflicts := CheckOverlaps(peers)
	require.Len(t, conflicts, 2)

	tbl := New[string]()
	var refused []netip.Prefix
	for _, p := range peers {
		err := tbl.SetPeer(p.Peer, p.Prefixes)
		var oe *OverlapError[string]
		if err != nil {
			require.ErrorAs(t, err, &oe)
			require.Equal(t, "a", oe.Other)
			refused = append(refused, oe.Prefix)
		}
	}
	require.Equal(t, []netip.Prefix{conflicts[0].Prefix, conflicts[1].Prefix}, refused)
}

func TestConflictError(t *testing.T) {
	c := Conflict[string]{
		Prefix: netip.MustParsePrefix("10.0.0.0/8"), First: "alice", Second: "bob",
		FirstPrefix: netip.MustParsePrefix("10.0.0.0/8"), SecondPrefix: netip.MustParsePrefix("10.1.2.3/8"),
	}
	require.Equal(t, "routing: prefix 10.0.0.0/8 is claimed by both peer alice (as 10.0.0.0/8) and peer bob (as 10.1.2.3/8)", c.Error())
	c.Second, c.SamePeer = "alice", true
	require.Equal(t, "routing: peer alice lists prefix 10.0.0.0/8 twice (as 10.0.0.0/8 and 10.1.2.3/8)", c.Error())
}
