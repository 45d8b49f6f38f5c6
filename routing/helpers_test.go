package routing

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// testPeer is the peer handle used in tests; peers are compared by pointer.
type testPeer struct{ name string }

func (p *testPeer) String() string {
	if p == nil {
		return "<none>"
	}
	return p.name
}

func mustPrefixes(tb testing.TB, ss ...string) []netip.Prefix {
	tb.Helper()
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			tb.Fatalf("bad test prefix %q: %v", s, err)
		}
		out = append(out, pfx)
	}
	return out
}

// ipv4Packet returns an IPv4 header (no options) from src to dst followed by
// payloadLen zero bytes.
func ipv4Packet(src, dst netip.Addr, payloadLen int) []byte {
	b := make([]byte, ipv4HeaderLen+payloadLen)
	b[0] = 0x45 // version 4, IHL 5
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8] = 64 // TTL
	b[9] = 17 // UDP
	s, d := src.As4(), dst.As4()
	copy(b[ipv4OffsetSrc:], s[:])
	copy(b[ipv4OffsetDst:], d[:])
	return b
}

// ipv6Packet returns an IPv6 header from src to dst followed by payloadLen
// zero bytes.
func ipv6Packet(src, dst netip.Addr, payloadLen int) []byte {
	b := make([]byte, ipv6HeaderLen+payloadLen)
	b[0] = 0x60 // version 6
	binary.BigEndian.PutUint16(b[4:], uint16(payloadLen))
	b[6] = 59 // no next header
	b[7] = 64 // hop limit
	s, d := src.As16(), dst.As16()
	copy(b[ipv6OffsetSrc:], s[:])
	copy(b[ipv6OffsetDst:], d[:])
	return b
}

// packetTo returns a minimal packet of addr's family from an unrelated
// source to addr. A mapped addr gets an IPv6 packet.
func packetTo(addr netip.Addr) []byte {
	if addr.Is4() {
		return ipv4Packet(netip.AddrFrom4([4]byte{198, 51, 100, 1}), addr, 0)
	}
	return ipv6Packet(netip.MustParseAddr("2001:db8:ffff::1"), addr, 0)
}

// packetFrom returns a minimal packet of addr's family from addr.
func packetFrom(addr netip.Addr) []byte {
	if addr.Is4() {
		return ipv4Packet(addr, netip.AddrFrom4([4]byte{198, 51, 100, 1}), 0)
	}
	return ipv6Packet(addr, netip.MustParseAddr("2001:db8:ffff::1"), 0)
}

// randomAddr returns a random IPv4 or IPv6 address.
func randomAddr(rng *rand.Rand, is6 bool) netip.Addr {
	if is6 {
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], rng.Uint64())
		binary.BigEndian.PutUint64(a[8:], rng.Uint64())
		return netip.AddrFrom16(a)
	}
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], rng.Uint32())
	return netip.AddrFrom4(a)
}

// randomAddrIn returns a random address inside pfx.
func randomAddrIn(rng *rand.Rand, pfx netip.Prefix) netip.Addr {
	r := randomAddr(rng, pfx.Addr().Is6()).AsSlice()
	base := pfx.Masked().Addr().AsSlice()
	for i := range base {
		bitsHere := min(max(pfx.Bits()-8*i, 0), 8)
		mask := byte(0xff << (8 - bitsHere))
		base[i] = base[i]&mask | r[i]&^mask
	}
	a, _ := netip.AddrFromSlice(base)
	return a
}

// randomPrefix returns a random prefix whose length is drawn so that short,
// colliding prefixes and host routes are both common.
func randomPrefix(rng *rand.Rand, is6 bool) netip.Prefix {
	a := randomAddr(rng, is6)
	var bits int
	switch rng.IntN(8) {
	case 0:
		bits = rng.IntN(9) // 0..8: collisions and default routes
	case 1:
		bits = a.BitLen() // host route
	default:
		bits = rng.IntN(a.BitLen() + 1)
	}
	return netip.PrefixFrom(a, bits)
}
