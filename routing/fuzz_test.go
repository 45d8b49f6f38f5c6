package routing

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzPacketAddrs feeds arbitrary bytes to the header parsers and the
// packet lookups. They must not panic; PacketSrc and PacketDst must accept
// exactly the well-formed headers and return the addresses written in them;
// LookupDst and SourceAllowed must agree with Lookup on those addresses.
// The seed corpus is in testdata/fuzz/FuzzPacketAddrs.
func FuzzPacketAddrs(f *testing.F) {
	a := netip.MustParseAddr
	f.Add(ipv4Packet(a("10.1.2.3"), a("192.168.1.1"), 4))
	f.Add(ipv6Packet(a("2001:db8:1::1"), a("::ffff:10.1.2.3"), 4))

	tbl := New[string]()
	for peer, pfxs := range map[string][]string{
		"default": {"0.0.0.0/0", "::/0"},
		"ten":     {"10.0.0.0/8", "2001:db8::/32"},
		"host":    {"10.1.2.3/32", "2001:db8:1::1/128"},
	} {
		if err := tbl.SetPeer(peer, mustPrefixes(f, pfxs...)); err != nil {
			f.Fatal(err)
		}
	}

	f.Fuzz(func(t *testing.T, packet []byte) {
		src, okSrc := PacketSrc(packet)
		dst, okDst := PacketDst(packet)
		if okSrc != okDst {
			t.Fatalf("PacketSrc ok=%v, PacketDst ok=%v", okSrc, okDst)
		}

		var (
			wantOK           bool
			wantSrc, wantDst []byte
		)
		if len(packet) > 0 {
			switch packet[0] >> 4 {
			case 4:
				ihl := int(packet[0]&0x0f) * 4
				wantOK = ihl >= 20 && ihl <= len(packet)
				if wantOK {
					wantSrc, wantDst = packet[12:16], packet[16:20]
				}
			case 6:
				wantOK = len(packet) >= 40
				if wantOK {
					wantSrc, wantDst = packet[8:24], packet[24:40]
				}
			}
		}
		if okSrc != wantOK {
			t.Fatalf("ok=%v for %x, want %v", okSrc, packet, wantOK)
		}
		if !wantOK {
			if src.IsValid() || dst.IsValid() {
				t.Fatalf("rejected packet returned addresses %v, %v", src, dst)
			}
		} else if !bytes.Equal(src.AsSlice(), wantSrc) || !bytes.Equal(dst.AsSlice(), wantDst) {
			t.Fatalf("got src %v dst %v, want %x %x", src, dst, wantSrc, wantDst)
		}

		peer, ok := tbl.LookupDst(packet)
		wantPeer, wantRouted := tbl.Lookup(dst)
		if ok != (okDst && wantRouted) || peer != wantPeer {
			t.Fatalf("LookupDst = %q, %v; Lookup(%v) = %q, %v", peer, ok, dst, wantPeer, wantRouted)
		}
		owner, routed := tbl.Lookup(src)
		for _, p := range []string{"default", "ten", "host", ""} {
			if got, want := tbl.SourceAllowed(p, packet), okSrc && routed && owner == p; got != want {
				t.Fatalf("SourceAllowed(%q) = %v, want %v (src %v)", p, got, want, src)
			}
		}
	})
}
