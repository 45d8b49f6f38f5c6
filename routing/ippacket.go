package routing

import (
	"net/netip"
)

// Offsets and sizes in the IPv4 (RFC 791) and IPv6 (RFC 8200) headers, named
// as in wireguard-go device/ip.go.
const (
	// offsetVersion is the byte holding the version in its high nibble, in
	// both headers; in IPv4 its low nibble is the header length (IHL) in
	// 32-bit words.
	offsetVersion = 0

	ipv4HeaderLen = 20 // fixed part of the IPv4 header, without options
	ipv4OffsetSrc = 12
	ipv4OffsetDst = ipv4OffsetSrc + 4

	ipv6HeaderLen = 40
	ipv6OffsetSrc = 8
	ipv6OffsetDst = ipv6OffsetSrc + 16
)

// PacketDst returns the destination address of the raw IPv4 or IPv6 packet,
// as written in its header (an IPv4-mapped address stays mapped). It reports
// false for a packet that is not IPv4 or IPv6 or is too short to hold its
// header (see [PacketSrc]). It never allocates.
func PacketDst(packet []byte) (netip.Addr, bool) {
	switch ipVersion(packet) {
	case 4:
		return netip.AddrFrom4([4]byte(packet[ipv4OffsetDst : ipv4OffsetDst+4])), true
	case 6:
		return netip.AddrFrom16([16]byte(packet[ipv6OffsetDst : ipv6OffsetDst+16])), true
	}
	return netip.Addr{}, false
}

// PacketSrc returns the source address of the raw IPv4 or IPv6 packet, as
// written in its header. It reports false unless the packet is an IPv4
// packet whose header length field is at least 5 words and fits in the
// packet, or an IPv6 packet at least as long as the 40-byte fixed header.
// The total or payload length is not checked. It never allocates.
func PacketSrc(packet []byte) (netip.Addr, bool) {
	switch ipVersion(packet) {
	case 4:
		return netip.AddrFrom4([4]byte(packet[ipv4OffsetSrc : ipv4OffsetSrc+4])), true
	case 6:
		return netip.AddrFrom16([16]byte(packet[ipv6OffsetSrc : ipv6OffsetSrc+16])), true
	}
	return netip.Addr{}, false
}

// ipVersion returns 4 or 6 when packet holds a complete IPv4 or IPv6 header
// of that version, and 0 otherwise.
func ipVersion(packet []byte) int {
	if len(packet) == 0 {
		return 0
	}
	switch packet[offsetVersion] >> 4 {
	case 4:
		ihl := int(packet[offsetVersion]&0x0f) * 4
		if ihl < ipv4HeaderLen || ihl > len(packet) {
			return 0
		}
		return 4
	case 6:
		if len(packet) < ipv6HeaderLen {
			return 0
		}
		return 6
	}
	return 0
}
