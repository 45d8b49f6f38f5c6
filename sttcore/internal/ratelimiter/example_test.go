package ratelimiter_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/ratelimiter"
)

func ExampleLimiter() {
	// 20 packets/s after a burst of 2; a frozen clock keeps the example exact.
	frozen := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := ratelimiter.New(ratelimiter.Config{Burst: 2, Now: func() time.Time { return frozen }})

	// Two addresses in one IPv6 /64 share a bucket.
	for _, s := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3", "192.0.2.1"} {
		fmt.Println(s, l.Allow(netip.MustParseAddr(s)))
	}
	fmt.Println(l.Len())
	// Output:
	// 2001:db8::1 true
	// 2001:db8::2 true
	// 2001:db8::3 false
	// 192.0.2.1 true
	// 2
}
