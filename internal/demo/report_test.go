package demo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/overlay"
)

func TestPingResultString(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	for _, tt := range []struct {
		name string
		r    pingResult
		want string
	}{
		{"five", pingResult{ms(0.19), ms(0.11), ms(0.09), ms(0.08), ms(0.10)},
			"5/5 replies, rtt 0.19 0.11 0.09 0.08 0.10 ms, min/avg/max 0.08/0.11/0.19 ms"},
		{"one", pingResult{ms(0.12)}, "1/1 replies, rtt 0.12 ms"},
		{"first lost", pingResult{-1, ms(0.2), ms(0.4)},
			"2/3 replies, rtt - 0.20 0.40 ms, min/avg/max 0.20/0.30/0.40 ms, 33% loss"},
		{"all lost", pingResult{-1, -1}, "0/2 replies, 100% loss"},
		{"slow", pingResult{ms(12.34), ms(250)}, "2/2 replies, rtt 12.3 250 ms, min/avg/max 12.3/131/250 ms"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.r.String())
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{formatCount(0), "0"},
		{formatCount(999), "999"},
		{formatCount(1000), "1 000"},
		{formatCount(520431), "520 431"},
		{formatCount(1234567890), "1 234 567 890"},
		{formatBytes(512), "512 B"},
		{formatBytes(1500), "1.5 kB"},
		{formatBytes(715_000_000), "715 MB"},
		{formatBytes(1_234_000_000), "1.23 GB"},
		{formatRate(715_000_000, 3*time.Second), "1.91 Gbit/s"},
		{formatRate(100_000_000, time.Second), "800 Mbit/s"},
		{formatRate(1_000_000, time.Second), "8.00 Mbit/s"},
		{formatRate(1, 0), "- bit/s"},
		{formatMS(2100 * time.Microsecond), "2.10 ms"},
		{formatMS(42 * time.Millisecond), "42.0 ms"},
		{formatMS(1500 * time.Millisecond), "1500 ms"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, tt.got)
		})
	}
}

func TestRemovedLine(t *testing.T) {
	for _, tt := range []struct {
		name       string
		namespaces []string
		veth       bool
		devices    int
		want       string
	}{
		{"everything", []string{"stt-demo-1-0a1b-a", "stt-demo-1-0a1b-b"}, true, 2,
			"removed: namespaces stt-demo-1-0a1b-a and -b, the veth pair, both stt0 devices"},
		{"one namespace", []string{"stt-demo-1-0a1b-a"}, false, 0, "removed: namespace stt-demo-1-0a1b-a"},
		{"one device", []string{"stt-demo-1-0a1b-a", "stt-demo-1-0a1b-b"}, true, 1,
			"removed: namespaces stt-demo-1-0a1b-a and -b, the veth pair, one stt0 device"},
		{"nothing", nil, false, 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, removedLine(tt.namespaces, tt.veth, tt.devices))
		})
	}
}

func TestFigures(t *testing.T) {
	peer := func(tx, rx, wire uint64, rtt time.Duration, drops map[string]uint64) overlay.PeerStatus {
		return overlay.PeerStatus{TxPackets: tx, RxPackets: rx, WireTxBytes: wire,
			Suite: "aes-256-gcm", KeyEpoch: 1, RTT: rtt, Drops: drops}
	}
	for _, tt := range []struct {
		name string
		a, b overlay.Status
		want []string
	}{
		{"clean",
			overlay.Status{Peers: []overlay.PeerStatus{peer(520431, 260022, 760_000_000, 0, nil)}},
			overlay.Status{Peers: []overlay.PeerStatus{peer(260022, 520431, 14_000_000, 310*time.Microsecond, nil)}},
			[]string{
				"a -> b: 520 431 packets sent, 520 431 received, 760 MB on the wire; b -> a: 260 022 packets sent, 260 022 received, 14 MB on the wire",
				"session: suite aes-256-gcm, key epoch 1, handshake rtt 0.31 ms; no drops",
			}},
		{"drops",
			overlay.Status{Peers: []overlay.PeerStatus{peer(10, 9, 2000, 0, map[string]uint64{"inner_source": 1})},
				NoRoute: 2, NodeDrops: map[string]uint64{"replay": 3}},
			overlay.Status{Peers: []overlay.PeerStatus{peer(9, 10, 1800, 0, nil)}},
			[]string{
				"a -> b: 10 packets sent, 10 received, 2.0 kB on the wire; b -> a: 9 packets sent, 9 received, 1.8 kB on the wire",
				"session: suite aes-256-gcm, key epoch 1, rtt not measured; drops a: inner_source 1, no_route 2, node replay 3",
			}},
		{"no peer", overlay.Status{}, overlay.Status{},
			[]string{"engine figures: a peer is missing from the status"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, figures(tt.a, tt.b))
		})
	}
}
