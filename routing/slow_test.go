package routing

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// slowTable is the obvious reference for Table: a list of (prefix, peer)
// pairs scanned linearly for the longest match, as wireguard-go's
// allowedips_rand_test.go checks its trie against a SlowRouter.
type slowTable[P comparable] struct {
	entries []slowEntry[P]
}

type slowEntry[P comparable] struct {
	pfx  netip.Prefix
	peer P
}

// slowCanonical is canonicalPrefix written the long way.
func slowCanonical(pfx netip.Prefix) netip.Prefix {
	a := pfx.Addr()
	if a.Is4In6() && pfx.Bits() >= 96 {
		a16 := a.As16()
		return netip.PrefixFrom(netip.AddrFrom4([4]byte(a16[12:])), pfx.Bits()-96).Masked()
	}
	return pfx.Masked()
}

// setPeer mirrors Table.SetPeer; it reports false, changing nothing, when
// another peer owns one of pfxs.
func (s *slowTable[P]) setPeer(p P, pfxs []netip.Prefix) bool {
	for _, in := range pfxs {
		pfx := slowCanonical(in)
		for _, e := range s.entries {
			if e.pfx == pfx && e.peer != p {
				return false
			}
		}
	}
	s.removePeer(p)
	for _, in := range pfxs {
		pfx := slowCanonical(in)
		if !slices.Contains(s.entries, slowEntry[P]{pfx, p}) {
			s.entries = append(s.entries, slowEntry[P]{pfx, p})
		}
	}
	return true
}

func (s *slowTable[P]) removePeer(p P) {
	s.entries = slices.DeleteFunc(s.entries, func(e slowEntry[P]) bool { return e.peer == p })
}

func (s *slowTable[P]) lookup(addr netip.Addr) (P, bool) {
	addr = addr.Unmap()
	var (
		best  P
		bits  = -1
		found bool
	)
	for _, e := range s.entries {
		if e.pfx.Contains(addr) && e.pfx.Bits() > bits {
			best, bits, found = e.peer, e.pfx.Bits(), true
		}
	}
	return best, found
}

func (s *slowTable[P]) prefixes(p P) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range s.entries {
		if e.peer == p {
			out = append(out, e.pfx)
		}
	}
	slices.SortFunc(out, netip.Prefix.Compare)
	return out
}

const (
	randPeers           = 100
	randPrefixesPerPeer = 60 // 6000 prefixes in all, half IPv4, half IPv6
	randLookups         = 10000
	randRounds          = 4
)

// TestTableRandom checks Table against slowTable over random prefixes of
// random peers (including default routes, host routes, duplicates and
// conflicts), random addresses and addresses inside stored prefixes, through
// rounds of peer removals and replacements.
func TestTableRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	peers := make([]*testPeer, randPeers)
	for i := range peers {
		peers[i] = &testPeer{name: string(rune('A'+i%26)) + string(rune('0'+i/26))}
	}
	tbl := New[*testPeer]()
	var slow slowTable[*testPeer]

	var conflicts int
	setPeer := func(p *testPeer) {
		pfxs := make([]netip.Prefix, rng.IntN(randPrefixesPerPeer+1))
		for i := range pfxs {
			pfxs[i] = randomPrefix(rng, i%2 == 1)
			if rng.IntN(50) == 0 { // sometimes in IPv4-mapped form
				if pfx := pfxs[i]; pfx.Addr().Is4() {
					pfxs[i] = netip.PrefixFrom(netip.AddrFrom16(pfx.Addr().As16()), pfx.Bits()+96)
				}
			}
		}
		err := tbl.SetPeer(p, pfxs)
		if slow.setPeer(p, pfxs) {
			require.NoError(t, err)
			return
		}
		conflicts++
		var oe *OverlapError[*testPeer]
		require.ErrorAs(t, err, &oe)
		// The reported prefix is one of the requested ones, and its owner
		// is another peer.
		require.True(t, slices.ContainsFunc(pfxs, func(in netip.Prefix) bool { return slowCanonical(in) == oe.Prefix }))
		owner, ok := findOwner(&slow, oe.Prefix)
		require.True(t, ok, "reported prefix %v must be owned", oe.Prefix)
		require.Same(t, owner, oe.Other)
		require.NotSame(t, p, oe.Other)
	}

	check := func(round int) {
		stored := slow.entries
		for n := range randLookups {
			var addr netip.Addr
			switch {
			case n%3 == 0 && len(stored) > 0:
				addr = randomAddrIn(rng, stored[rng.IntN(len(stored))].pfx)
			case n%3 == 1:
				addr = randomAddr(rng, false)
			default:
				addr = randomAddr(rng, true)
			}
			if n%97 == 0 && addr.Is4() {
				addr = netip.AddrFrom16(addr.As16()) // mapped
			}
			want, wantOK := slow.lookup(addr)
			got, ok := tbl.Lookup(addr)
			require.Equal(t, wantOK, ok, "round %d: Lookup(%v)", round, addr)
			require.Same(t, want, got, "round %d: Lookup(%v): want %v, got %v", round, addr, want, got)

			got, ok = tbl.LookupDst(packetTo(addr))
			require.Equal(t, wantOK, ok, "round %d: LookupDst(%v)", round, addr)
			require.Same(t, want, got, "round %d: LookupDst(%v)", round, addr)

			p := peers[rng.IntN(len(peers))]
			if rng.IntN(2) == 0 && wantOK {
				p = want
			}
			require.Equal(t, wantOK && p == want, tbl.SourceAllowed(p, packetFrom(addr)),
				"round %d: SourceAllowed(%v, %v)", round, p, addr)
		}
		require.Equal(t, len(slow.entries), tbl.Len(), "round %d: Len", round)
		for _, p := range peers {
			require.Equal(t, slow.prefixes(p), tbl.Prefixes(p), "round %d: Prefixes(%v)", round, p)
		}
	}

	for _, p := range peers {
		setPeer(p)
	}
	check(0)
	for round := 1; round <= randRounds; round++ {
		for range randPeers / 10 {
			p := peers[rng.IntN(len(peers))]
			tbl.RemovePeer(p)
			slow.removePeer(p)
		}
		for range randPeers / 4 {
			setPeer(peers[rng.IntN(len(peers))])
		}
		check(round)
	}
	require.NotZero(t, conflicts, "the random prefixes must exercise the conflict path")

	for _, p := range peers {
		tbl.RemovePeer(p)
	}
	require.Zero(t, tbl.Len())
}

func findOwner[P comparable](s *slowTable[P], pfx netip.Prefix) (P, bool) {
	for _, e := range s.entries {
		if e.pfx == pfx {
			return e.peer, true
		}
	}
	var zero P
	return zero, false
}
