package routing_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/seigr/stt-tun/routing"
)

type peer struct{ name string }

func Example() {
	alice, bob := &peer{"alice"}, &peer{"bob"}
	p := netip.MustParsePrefix

	tbl := routing.New[*peer]()
	if err := tbl.SetPeer(alice, []netip.Prefix{p("10.0.0.0/8"), p("fd00::/64")}); err != nil {
		panic(err)
	}
	// Overlapping prefixes are fine: the longest match wins.
	if err := tbl.SetPeer(bob, []netip.Prefix{p("10.1.0.0/16")}); err != nil {
		panic(err)
	}
	// The exact same prefix is refused, and nothing changes.
	err := tbl.SetPeer(bob, []netip.Prefix{p("10.1.0.0/16"), p("10.0.0.0/8")})
	var overlap *routing.OverlapError[*peer]
	if errors.As(err, &overlap) {
		fmt.Printf("%v (owner %s)\n", err, overlap.Other.name)
	}

	for _, s := range []string{"10.1.2.3", "10.9.9.9", "fd00::1", "192.0.2.1"} {
		if to, ok := tbl.Lookup(netip.MustParseAddr(s)); ok {
			fmt.Printf("%s -> %s\n", s, to.name)
		} else {
			fmt.Printf("%s -> no route\n", s)
		}
	}

	// An IPv4 header from 10.1.2.3 to 10.9.9.9, as read from the TUN device
	// or decrypted from a peer.
	packet := []byte{
		0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
		10, 1, 2, 3, // source
		10, 9, 9, 9, // destination
	}
	to, _ := tbl.LookupDst(packet)
	fmt.Println("send to", to.name)
	fmt.Println("accept from bob:", tbl.SourceAllowed(bob, packet))
	fmt.Println("accept from alice:", tbl.SourceAllowed(alice, packet))
	// Output:
	// routing: prefix 10.0.0.0/8 is already routed to another peer (owner alice)
	// 10.1.2.3 -> bob
	// 10.9.9.9 -> alice
	// fd00::1 -> alice
	// 192.0.2.1 -> no route
	// send to alice
	// accept from bob: true
	// accept from alice: false
}

func ExampleCheckOverlaps() {
	p := netip.MustParsePrefix
	conflicts := routing.CheckOverlaps([]routing.PeerPrefixes[string]{
		{Peer: "alice", Prefixes: []netip.Prefix{p("10.0.0.0/8"), p("fd00::/64")}},
		{Peer: "bob", Prefixes: []netip.Prefix{p("10.1.0.0/16"), p("10.1.2.3/8")}},
		{Peer: "carol", Prefixes: []netip.Prefix{p("192.0.2.0/24"), p("192.0.2.0/24")}},
	})
	for _, c := range conflicts {
		fmt.Println(c)
	}
	// Output:
	// routing: prefix 10.0.0.0/8 is claimed by both peer alice (as 10.0.0.0/8) and peer bob (as 10.1.2.3/8)
	// routing: peer carol lists prefix 192.0.2.0/24 twice (as 192.0.2.0/24 and 192.0.2.0/24)
}
