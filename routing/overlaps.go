package routing

import (
	"fmt"
	"net/netip"
)

// PeerPrefixes is one peer's claim, as given to [CheckOverlaps]: the peer's
// name or handle and the prefixes it is configured with.
type PeerPrefixes[P any] struct {
	Peer     P
	Prefixes []netip.Prefix
}

// Conflict is a prefix claimed twice, found by [CheckOverlaps].
type Conflict[P any] struct {
	// Prefix is the contested prefix in canonical form.
	Prefix netip.Prefix
	// First and Second are the earlier and the later claimant, in input
	// order. They are the same peer when SamePeer is set.
	First, Second P
	// FirstPrefix and SecondPrefix are the claims as written in the input;
	// they differ from Prefix (and from each other) when written with host
	// bits set or in IPv4-mapped IPv6 form.
	FirstPrefix, SecondPrefix netip.Prefix
	// SamePeer reports a duplicate within one peer's list.
	SamePeer bool
}

func (c Conflict[P]) Error() string {
	if c.SamePeer {
		return fmt.Sprintf("routing: peer %v lists prefix %s twice (as %s and %s)",
			c.First, c.Prefix, c.FirstPrefix, c.SecondPrefix)
	}
	return fmt.Sprintf("routing: prefix %s is claimed by both peer %v (as %s) and peer %v (as %s)",
		c.Prefix, c.First, c.FirstPrefix, c.Second, c.SecondPrefix)
}

// CheckOverlaps validates a configuration before it is applied to a
// [Table]. It returns every prefix that is claimed more than once after
// canonicalisation: listed twice by one peer, or claimed by two peers (which
// [Table.SetPeer] would refuse with an [*OverlapError]). Each repeated claim
// is reported against the first claim of that prefix, in input order, so a
// prefix claimed three times gives two conflicts. Overlapping but different
// prefixes (10.0.0.0/8 and 10.1.0.0/16) are allowed and not reported, and
// invalid prefixes are skipped (SetPeer rejects them). It returns nil when
// there is no conflict.
func CheckOverlaps[P any](peers []PeerPrefixes[P]) []Conflict[P] {
	type claim struct {
		peer    int // index into peers
		written netip.Prefix
	}
	var (
		first     = make(map[netip.Prefix]claim)
		conflicts []Conflict[P]
	)
	for i, pp := range peers {
		for _, written := range pp.Prefixes {
			pfx, ok := canonicalPrefix(written)
			if !ok {
				continue
			}
			c, seen := first[pfx]
			if !seen {
				first[pfx] = claim{peer: i, written: written}
				continue
			}
			conflicts = append(conflicts, Conflict[P]{
				Prefix:       pfx,
				First:        peers[c.peer].Peer,
				Second:       pp.Peer,
				FirstPrefix:  c.written,
				SecondPrefix: written,
				SamePeer:     c.peer == i,
			})
		}
	}
	return conflicts
}
