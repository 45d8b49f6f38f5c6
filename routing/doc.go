// Package routing is the VPN's prefix → peer table: the longest-prefix match
// that picks the peer for a packet read from the TUN device, and the check
// that a packet received from a peer carries an inner source address the
// peer may use.
//
// It mirrors WireGuard's allowed IPs (wireguard-go device/allowedips.go):
// every peer owns a set of prefixes, a destination is sent to the peer owning
// the longest prefix that contains it, and a packet received from peer p is
// accepted only if the longest prefix containing its source address is owned
// by p. Overlapping prefixes of different peers (10.0.0.0/8 and 10.1.0.0/16)
// are allowed and resolved by the longest match. Unlike WireGuard, which
// silently moves a prefix to the peer that inserted it last, [Table.SetPeer]
// refuses to take an exact prefix away from another peer and returns an
// [*OverlapError]; [CheckOverlaps] finds the same conflicts in a
// configuration before anything is applied.
//
// Prefixes are kept in canonical form: host bits are masked, and an
// IPv4-mapped IPv6 prefix of at least 96 bits (::ffff:10.0.0.0/104) becomes
// the IPv4 prefix it denotes (10.0.0.0/8). Addresses are unmapped before every
// lookup, from [Table.Lookup] as well as from packet headers, so an IPv6
// packet whose source is ::ffff:10.0.0.1 is checked against the owner of
// 10.0.0.1: a peer cannot pose as an IPv4 address it does not own by writing
// it in mapped form.
//
// The packet helpers [PacketDst] and [PacketSrc] read addresses from raw IPv4
// and IPv6 headers. They check the version, the fixed header length and, for
// IPv4, the header length field; checking the total or payload length
// against the buffer (and trimming padding) is left to the caller, as is
// everything about the packet after the header.
//
// What this package leaves to others: it installs no kernel routes and
// knows nothing about peers beyond the comparable handle P it is given
// (typically *overlay.Peer); the overlay engine owns the peers and decides
// what to do with packets that match no peer or fail the source check.
//
// # Concurrency
//
// A Table is safe for concurrent use. Lookups ([Table.Lookup],
// [Table.LookupDst], [Table.SourceAllowed], [Table.Len]) are lock-free and
// allocation-free: they load an atomic pointer to an immutable
// [github.com/gaissmai/bart.Fast] trie, the concurrency recipe bart
// documents. Writers ([Table.SetPeer], [Table.RemovePeer]) are serialized by
// a mutex; each builds a new trie copy-on-write, sharing unchanged nodes
// with the old one, and publishes it with one atomic store. A reader
// therefore sees either all or none of one SetPeer call, never a peer with
// half its prefixes replaced, and a lookup never waits for a writer.
// [Table.Prefixes] takes the writers' mutex briefly.
package routing
