package routing

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPacketAddrs(t *testing.T) {
	src4, dst4 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	src6, dst6 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:ffff::77")
	mapped := netip.MustParseAddr("::ffff:10.1.2.3")

	// withIHL turns a 20-byte IPv4 header into one of ihl words, the
	// option bytes taken from the payload.
	withIHL := func(b []byte, ihl byte) []byte { b[0] = 0x40 | ihl; return b }

	tests := []struct {
		name     string
		packet   []byte
		ok       bool
		src, dst netip.Addr
	}{
		{"v4 header only", ipv4Packet(src4, dst4, 0), true, src4, dst4},
		{"v4 with payload", ipv4Packet(src4, dst4, 1380), true, src4, dst4},
		{"v4 with options", withIHL(ipv4Packet(src4, dst4, 4), 6), true, src4, dst4},
		{"v4 with maximal options", withIHL(ipv4Packet(src4, dst4, 40), 15), true, src4, dst4},
		{"v4 options longer than packet", withIHL(ipv4Packet(src4, dst4, 3), 6), false, netip.Addr{}, netip.Addr{}},
		{"v4 IHL below 5", withIHL(ipv4Packet(src4, dst4, 0), 4), false, netip.Addr{}, netip.Addr{}},
		{"v4 IHL 0", withIHL(ipv4Packet(src4, dst4, 0), 0), false, netip.Addr{}, netip.Addr{}},
		{"v4 truncated", ipv4Packet(src4, dst4, 0)[:19], false, netip.Addr{}, netip.Addr{}},
		{"v6 header only", ipv6Packet(src6, dst6, 0), true, src6, dst6},
		{"v6 with payload", ipv6Packet(src6, dst6, 1380), true, src6, dst6},
		{"v6 mapped addresses kept as written", ipv6Packet(mapped, mapped, 8), true, mapped, mapped},
		{"v6 truncated", ipv6Packet(src6, dst6, 0)[:39], false, netip.Addr{}, netip.Addr{}},
		{"v6 20 bytes looks like v4 length", ipv6Packet(src6, dst6, 0)[:20], false, netip.Addr{}, netip.Addr{}},
		{"empty", []byte{}, false, netip.Addr{}, netip.Addr{}},
		{"nil", nil, false, netip.Addr{}, netip.Addr{}},
		{"version 0", make([]byte, 60), false, netip.Addr{}, netip.Addr{}},
		{"version 5", append([]byte{0x55}, make([]byte, 59)...), false, netip.Addr{}, netip.Addr{}},
		{"version 15", append([]byte{0xf5}, make([]byte, 59)...), false, netip.Addr{}, netip.Addr{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, ok := PacketSrc(tt.packet)
			require.Equal(t, tt.ok, ok, "PacketSrc ok")
			require.Equal(t, tt.src, src)
			dst, ok := PacketDst(tt.packet)
			require.Equal(t, tt.ok, ok, "PacketDst ok")
			require.Equal(t, tt.dst, dst)
		})
	}
}

// TestPacketAddrsTruncated cuts valid headers at every length: only the
// complete header yields addresses.
func TestPacketAddrsTruncated(t *testing.T) {
	tests := []struct {
		name      string
		packet    []byte
		headerLen int
	}{
		{"v4", ipv4Packet(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7"), 8), ipv4HeaderLen},
		{"v6", ipv6Packet(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), 8), ipv6HeaderLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for n := range len(tt.packet) + 1 {
				_, okSrc := PacketSrc(tt.packet[:n])
				_, okDst := PacketDst(tt.packet[:n])
				require.Equal(t, n >= tt.headerLen, okSrc, "PacketSrc of %d bytes", n)
				require.Equal(t, n >= tt.headerLen, okDst, "PacketDst of %d bytes", n)
			}
		})
	}
}
