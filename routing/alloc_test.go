package routing

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHotPathAllocs holds the per-packet calls to zero allocations.
func TestHotPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tbl, peers := buildTable(t, lpmRoutes)
	a := netip.MustParseAddr
	tests := []struct {
		name   string
		packet []byte
		peer   *testPeer // for SourceAllowed
	}{
		{"v4", packetTo(a("10.1.2.3")), peers["d"]},
		{"v6", packetTo(a("2001:db8:1::1")), peers["d"]},
		{"v4-mapped", packetTo(a("::ffff:10.1.2.3")), peers["d"]},
		{"v4 with payload", ipv4Packet(a("10.1.2.3"), a("10.200.0.1"), 1400), peers["d"]},
		{"refused source", packetFrom(a("10.1.2.3")), peers["b"]},
		{"truncated", []byte{0x45, 0}, peers["b"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Zero(t, testing.AllocsPerRun(1000, func() { tbl.LookupDst(tt.packet) }), "LookupDst")
			require.Zero(t, testing.AllocsPerRun(1000, func() { tbl.SourceAllowed(tt.peer, tt.packet) }), "SourceAllowed")
			require.Zero(t, testing.AllocsPerRun(1000, func() { PacketDst(tt.packet) }), "PacketDst")
			require.Zero(t, testing.AllocsPerRun(1000, func() { PacketSrc(tt.packet) }), "PacketSrc")
		})
	}
	zoned := a("2001:db8:1::1%eth0")
	require.Zero(t, testing.AllocsPerRun(1000, func() { tbl.Lookup(zoned) }), "Lookup")
}
