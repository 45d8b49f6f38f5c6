//go:build linux

package streambench

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/netnstest"
	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// The path's addresses (RFC 5737 documentation ranges: they exist only in
// the test's namespaces).
var (
	addrA  = netip.MustParseAddr("192.0.2.1")    // a, toward m
	addrMA = netip.MustParseAddr("192.0.2.2")    // m, toward a
	addrMB = netip.MustParseAddr("198.51.100.1") // m, toward b
	addrB  = netip.MustParseAddr("198.51.100.2") // b, toward m
)

const (
	// relayPort is where the relay listens on m. The namespace is the
	// test's own, so no other program can hold the port.
	relayPort = 4000
	// relayStartTimeout bounds the wait for the relay process to listen.
	relayStartTimeout = 30 * time.Second
	// defaultGSOMaxSize is the kernel's default gso_max_size for veth
	// (GSO_LEGACY_MAX_SIZE); linkMTU is the veth links' MTU.
	defaultGSOMaxSize = 65536
	linkMTU           = 1500
	// pollInterval is how often a wait for a condition looks again.
	pollInterval = 10 * time.Millisecond
)

// path is the three-namespace path of the package documentation.
type path struct {
	a, m, b    *netnstest.NS
	aToM       string // a's interface
	mToA, mToB string // m's interfaces toward a and toward b
}

// newPath builds a ── m ── b with m forwarding and lossPercent random loss in
// each direction (nftables on both of m's interfaces).
func newPath(t testing.TB, lossPercent int) *path {
	t.Helper()
	p := &path{a: netnstest.New(t, "sb-a"), m: netnstest.New(t, "sb-m"), b: netnstest.New(t, "sb-b")}
	p.aToM, p.mToA = netnstest.Link(t, p.a, []netip.Prefix{netip.PrefixFrom(addrA, 24)}, p.m, []netip.Prefix{netip.PrefixFrom(addrMA, 24)})
	p.mToB, _ = netnstest.Link(t, p.m, []netip.Prefix{netip.PrefixFrom(addrMB, 24)}, p.b, []netip.Prefix{netip.PrefixFrom(addrB, 24)})
	p.m.Sysctl(t, "net.ipv4.ip_forward", "1")
	p.a.Exec(t, "ip", "route", "add", "default", "via", addrMA.String())
	p.b.Exec(t, "ip", "route", "add", "default", "via", addrMB.String())
	p.setLoss(t, lossPercent)
	return p
}

// setLoss replaces the random loss of both directions.
func (p *path) setLoss(t testing.TB, percent int) {
	t.Helper()
	p.m.Loss(t, p.mToA, percent)
	p.m.Loss(t, p.mToB, percent)
}

// startRelay runs an impairing relay in m, listening on m's address toward a
// and forwarding to target with delay added in each direction. It returns
// the address A's node must send to, and a function that stops the relay and
// returns what it printed.
func (p *path) startRelay(t testing.TB, target netip.AddrPort, delay time.Duration) (netip.AddrPort, func() string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	listen := netip.AddrPortFrom(addrMA, relayPort)
	proc := p.m.Start(t, "env",
		relayEnv+"=1",
		relayListenEnv+"="+listen.String(),
		relayTargetEnv+"="+target.String(),
		relayDelayEnv+"="+delay.String(),
		exe)
	deadline := time.Now().Add(relayStartTimeout)
	for !strings.Contains(proc.Output(), relayReady) {
		select {
		case <-proc.Done():
			t.Fatalf("relay exited before listening: %v\n%s", proc.Wait(context.Background()), proc.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay not listening after %v:\n%s", relayStartTimeout, proc.Output())
		}
		time.Sleep(pollInterval)
	}
	return listen, func() string {
		require.NoError(t, proc.Stop(), "relay must exit 0 on SIGTERM:\n%s", proc.Output())
		return proc.Output()
	}
}

// newNode starts an sttcore node on addr inside ns (its socket stays in ns),
// sending streams under congestion controller cc, and closes it at cleanup.
func newNode(t testing.TB, ns *netnstest.NS, addr netip.Addr, seed []byte, cc sttcore.CongestionControl) *sttcore.Node {
	t.Helper()
	key, err := stc.GeneratePrivateKey()
	require.NoError(t, err)
	var n *sttcore.Node
	require.NoError(t, ns.Do(func() (err error) {
		n, err = sttcore.Listen(netip.AddrPortFrom(addr, 0).String(), &sttcore.Config{PrivateKey: key, SharedSeed: seed, CongestionControl: cc})
		return err
	}))
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

// nodePair starts node A in a and node B in b, of one network, both with
// congestion controller cc.
func (p *path) nodePair(t testing.TB, cc sttcore.CongestionControl) (a, b *sttcore.Node) {
	t.Helper()
	seed, err := stc.GenerateSharedSeed()
	require.NoError(t, err)
	return newNode(t, p.a, addrA, seed, cc), newNode(t, p.b, addrB, seed, cc)
}

// segment says whether what a sends from now on crosses the path one
// packet per segment or datagram (gso_max_size of one MTU on a's interface,
// so the kernel splits GSO packets before the veth), or, as by default, in
// GSO packets of up to 64 KiB that stay whole all the way to b: TCP's
// segments, and the UDP GSO batches an sttcore node sends (up to 32
// datagrams). It matters for loss: nftables counts a GSO packet as one
// packet, so 1 % loss of GSO packets is far fewer loss events than 1 % of
// the segments or datagrams a wire would carry. For TCP it takes effect on
// connections opened afterwards.
func (p *path) segment(t testing.TB, on bool) {
	t.Helper()
	size := defaultGSOMaxSize
	if on {
		size = linkMTU
	}
	p.a.Exec(t, "ip", "link", "set", "dev", p.aToM, "gso_max_size", strconv.Itoa(size))
}

// tcpListener returns a TCP listener on b, closed at cleanup.
func (p *path) tcpListener(t testing.TB) net.Listener {
	t.Helper()
	return p.b.Listen(t, "tcp4", netip.AddrPortFrom(addrB, 0).String())
}
