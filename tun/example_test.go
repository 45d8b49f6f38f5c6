package tun_test

import (
	"errors"
	"log"
	"net/netip"

	"github.com/seigr/stt-tun/tun"
)

// Create a device, route a prefix through it and read a batch of packets
// with room for a 16-byte header in front of each.
func ExampleCreate() {
	dev, err := tun.Create(tun.Config{
		Name:      "stt0",
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")},
	})
	switch {
	case errors.Is(err, tun.ErrPermission), errors.Is(err, tun.ErrNoTUNDevice), errors.Is(err, tun.ErrNameInUse):
		log.Fatal(err) // the message says how to fix it
	case err != nil:
		log.Fatal(err)
	}
	defer dev.Close()

	if err := dev.AddRoute(netip.MustParsePrefix("10.1.0.0/16")); err != nil {
		log.Fatal(err)
	}

	const offset = 16
	bufs := make([][]byte, dev.BatchSize())
	for i := range bufs {
		bufs[i] = make([]byte, offset+dev.MTU())
	}
	sizes := make([]int, len(bufs))
	n, err := dev.Read(bufs, sizes, offset)
	if err != nil {
		log.Fatal(err)
	}
	for i := range n {
		packet := bufs[i][offset : offset+sizes[i]]
		_ = packet // encrypt in place behind a header written into bufs[i][:offset]
	}
}

// On a configuration reload, make the device's routes match the new list.
func ExampleDevice_SetRoutes() {
	dev, err := tun.Create(tun.Config{Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}})
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Close()

	routes := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00:1::/64")}
	if err := dev.SetRoutes(routes); err != nil {
		log.Print(err) // the routes that could be set are set; dev.Routes() lists them
	}
}
