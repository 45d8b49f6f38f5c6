//go:build linux

package netnstest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// linkUpTimeout bounds the wait for both ends of a new veth pair to report
// operstate UP (the kernel's linkwatch may defer that by up to a second).
const linkUpTimeout = 10 * time.Second

// Link joins a and b with a veth pair, assigns aAddrs to a's end and bAddrs
// to b's (IPv6 addresses with nodad, so they are usable at once), brings both
// ends up and waits until they are. The interface names are unique, at most
// 15 bytes ("stt<8 hex>a" and "...b"), and returned. The pair is deleted at
// cleanup (deleting either namespace deletes it too). a and b may be the same
// namespace.
func Link(t testing.TB, a *NS, aAddrs []netip.Prefix, b *NS, bAddrs []netip.Prefix) (aIf, bIf string) {
	t.Helper()
	var (
		out []byte
		err error
	)
	for range nameAttempts {
		id := rand.Uint32()
		aIf, bIf = fmt.Sprintf("stt%08xa", id), fmt.Sprintf("stt%08xb", id)
		out, err = runIP("-n", a.Name, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b.Name)
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("netnstest: veth %s(%s) - %s(%s): %v\n%s", aIf, a.Name, bIf, b.Name, err, out)
	}
	t.Cleanup(func() {
		// Fails harmlessly when a namespace cleanup got there first.
		_, _ = runIP("-n", a.Name, "link", "del", aIf)
	})
	for _, end := range []struct {
		ns    *NS
		ifc   string
		addrs []netip.Prefix
	}{{a, aIf, aAddrs}, {b, bIf, bAddrs}} {
		for _, p := range end.addrs {
			args := []string{"-n", end.ns.Name, "addr", "add", p.String(), "dev", end.ifc}
			if p.Addr().Is6() {
				args = append(args, "nodad")
			}
			if out, err := runIP(args...); err != nil {
				t.Fatalf("netnstest: ip %v: %v\n%s", args, err, out)
			}
		}
		if out, err := runIP("-n", end.ns.Name, "link", "set", end.ifc, "up"); err != nil {
			t.Fatalf("netnstest: set %s up in %s: %v\n%s", end.ifc, end.ns.Name, err, out)
		}
	}
	waitUp(t, a, aIf)
	waitUp(t, b, bIf)
	return aIf, bIf
}

// waitUp polls until ifname in ns reports operstate UP.
func waitUp(t testing.TB, ns *NS, ifname string) {
	t.Helper()
	deadline := time.Now().Add(linkUpTimeout)
	for {
		out, err := runIP("-n", ns.Name, "-o", "link", "show", "dev", ifname)
		if err == nil && bytes.Contains(out, []byte(" state UP ")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("netnstest: %s in %s not up after %v: %v\n%s", ifname, ns.Name, linkUpTimeout, err, out)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}
