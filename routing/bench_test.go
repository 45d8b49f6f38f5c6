package routing

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchTable returns a table of n distinct random prefixes of one family,
// spread over up to 100 peers, and 1024 addresses inside them.
func benchTable(tb testing.TB, n int, is6 bool) (*Table[*testPeer], []*testPeer, []netip.Addr) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 6))
	peers := make([]*testPeer, min(n, 100))
	for i := range peers {
		peers[i] = &testPeer{name: fmt.Sprint("peer", i)}
	}
	minBits, maxBits := 8, 32 // route-like lengths
	if is6 {
		minBits, maxBits = 16, 128
	}
	seen := make(map[netip.Prefix]bool, n)
	byPeer := make([][]netip.Prefix, len(peers))
	var all []netip.Prefix
	for len(all) < n {
		pfx := netip.PrefixFrom(randomAddr(rng, is6), minBits+rng.IntN(maxBits-minBits+1)).Masked()
		if seen[pfx] {
			continue
		}
		seen[pfx] = true
		i := len(all) % len(peers)
		byPeer[i] = append(byPeer[i], pfx)
		all = append(all, pfx)
	}
	tbl := New[*testPeer]()
	for i, p := range peers {
		if err := tbl.SetPeer(p, byPeer[i]); err != nil {
			tb.Fatal(err)
		}
	}
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = randomAddrIn(rng, all[rng.IntN(len(all))])
	}
	return tbl, peers, addrs
}

var benchSizes = []int{10, 1000, 100000}

// BenchmarkLookupDst measures the send path: one route lookup per packet
// read from the TUN device, destinations spread over the table.
func BenchmarkLookupDst(b *testing.B) {
	for _, family := range []string{"v4", "v6"} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", family, n), func(b *testing.B) {
				tbl, _, addrs := benchTable(b, n, family == "v6")
				packets := make([][]byte, len(addrs))
				for i, a := range addrs {
					packets[i] = packetTo(a)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, ok := tbl.LookupDst(packets[i%len(packets)]); !ok {
						b.Fatal("no route")
					}
					i++
				}
			})
		}
	}
}

// BenchmarkSourceAllowed measures the receive-side check, one per decrypted
// packet.
func BenchmarkSourceAllowed(b *testing.B) {
	for _, family := range []string{"v4", "v6"} {
		for _, n := range []int{1000, 100000} {
			b.Run(fmt.Sprintf("%s/%d", family, n), func(b *testing.B) {
				tbl, _, addrs := benchTable(b, n, family == "v6")
				type rx struct {
					from   *testPeer
					packet []byte
				}
				rxs := make([]rx, len(addrs))
				for i, a := range addrs {
					p, _ := tbl.Lookup(a)
					rxs[i] = rx{p, packetFrom(a)}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					r := rxs[i%len(rxs)]
					if !tbl.SourceAllowed(r.from, r.packet) {
						b.Fatal("refused")
					}
					i++
				}
			})
		}
	}
}

// BenchmarkSetPeer measures a configuration change: one peer's four
// prefixes replaced by four others, in tables of various sizes, and (bulk)
// a peer's 1000 prefixes replaced at once.
func BenchmarkSetPeer(b *testing.B) {
	sets := func(base byte, n int) [2][]netip.Prefix {
		var s [2][]netip.Prefix
		for i := range n {
			s[0] = append(s[0], netip.PrefixFrom(netip.AddrFrom4([4]byte{base, byte(i >> 8), byte(i), 0}), 24))
			s[1] = append(s[1], netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, base, byte(i >> 8), byte(i)}), 64))
		}
		return s
	}
	for _, bc := range []struct {
		name    string
		size    int
		changed int
	}{
		{"4/10", 10, 4},
		{"4/1000", 1000, 4},
		{"4/100000", 100000, 4},
		{"1000/1000", 1000, 1000},
		{"1000/100000", 100000, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tbl, _, _ := benchTable(b, bc.size, false)
			p := &testPeer{name: "changing"}
			s := sets(1, bc.changed)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := tbl.SetPeer(p, s[i%2]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkPacketAddrs measures header parsing alone.
func BenchmarkPacketAddrs(b *testing.B) {
	v4 := packetTo(netip.MustParseAddr("10.1.2.3"))
	v6 := packetTo(netip.MustParseAddr("2001:db8::1"))
	b.ReportAllocs()
	for b.Loop() {
		PacketDst(v4)
		PacketSrc(v6)
	}
}
