package tun

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// nsCounter makes namespace names unique within this test process; the pid
// makes them unique across processes.
var nsCounter atomic.Uint64

// testNS is a network namespace of one test, with a netlink handle inside it
// for checking what the kernel holds.
type testNS struct {
	name string
	h    netns.NsHandle
	nl   *netlink.Handle
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) for network namespaces and TUN devices")
	}
	if _, err := os.Stat(cloneDevicePath); err != nil {
		t.Skipf("needs %s (modprobe tun): %v", cloneDevicePath, err)
	}
}

// newTestNS creates a uniquely named network namespace that t's cleanup
// deletes, even when the test fails.
func newTestNS(t *testing.T) *testNS {
	t.Helper()
	requireRoot(t)
	name := fmt.Sprintf("stt-tuntest-%d-%d", os.Getpid(), nsCounter.Add(1))
	h, err := onThread(func() (netns.NsHandle, error) { return netns.NewNamed(name) })
	require.NoError(t, err, "create namespace %s", name)
	t.Cleanup(func() {
		h.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	nlh, err := netlink.NewHandleAt(h)
	require.NoError(t, err)
	t.Cleanup(nlh.Close)
	return &testNS{name: name, h: h, nl: nlh}
}

// onThread runs fn on a new goroutine locked to its OS thread. It never
// unlocks: the thread ends with the goroutine, whatever namespace fn left it
// in, so no other goroutine ever runs in the wrong namespace.
func onThread[T any](fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		v, err := fn()
		ch <- result{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

// inNS runs fn on a thread inside ns. Descriptors fn opens (TUN devices,
// sockets) stay in ns when used from other threads.
func inNS[T any](ns *testNS, fn func() (T, error)) (T, error) {
	return onThread(func() (T, error) {
		if err := netns.Set(ns.h); err != nil {
			var zero T
			return zero, err
		}
		return fn()
	})
}

// create creates a device in ns that t's cleanup closes.
func (ns *testNS) create(t *testing.T, cfg Config) *Device {
	t.Helper()
	d, err := inNS(ns, func() (*Device, error) { return Create(cfg) })
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

// link returns the link named name in ns.
func (ns *testNS) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := ns.nl.LinkByName(name)
	require.NoError(t, err, "link %s in %s", name, ns.name)
	return l
}

// linkNames returns the names of all links in ns.
func (ns *testNS) linkNames(t *testing.T) []string {
	t.Helper()
	links, err := ns.nl.LinkList()
	require.NoError(t, err)
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

// addrs returns the addresses of link (nil: of all links) in ns.
func (ns *testNS) addrs(t *testing.T, link netlink.Link) []netlink.Addr {
	t.Helper()
	as, err := ns.nl.AddrList(link, netlink.FAMILY_ALL)
	require.NoError(t, err)
	return as
}

// staticRoutes returns the destinations of the main-table routes through
// the link with index ifindex that carry the protocol this package installs.
func (ns *testNS) staticRoutes(t *testing.T, ifindex int) []netip.Prefix {
	t.Helper()
	var pfxs []netip.Prefix
	for _, r := range ns.mainRoutes(t) {
		if r.LinkIndex == ifindex && r.Protocol == unix.RTPROT_STATIC {
			pfxs = append(pfxs, routeDst(r, r.Family))
		}
	}
	return pfxs
}

// mainRoutes returns every IPv4 and IPv6 route of the main table in ns.
func (ns *testNS) mainRoutes(t *testing.T) []netlink.Route {
	t.Helper()
	var all []netlink.Route
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := ns.nl.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		require.NoError(t, err)
		for i := range rs {
			rs[i].Family = family
		}
		all = append(all, rs...)
	}
	return all
}

// addVeth adds a veth pair to ns, name and name+"p", both up, with an
// optional address on name. (This kernel has no dummy driver.)
func (ns *testNS) addVeth(t *testing.T, name string, addr netip.Prefix) netlink.Link {
	t.Helper()
	l := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"}
	require.NoError(t, ns.nl.LinkAdd(l))
	require.NoError(t, ns.nl.LinkSetUp(ns.link(t, name+"p")))
	link := ns.link(t, name)
	if addr.IsValid() {
		require.NoError(t, ns.nl.AddrAdd(link, &netlink.Addr{IPNet: ipNet(addr)}))
	}
	require.NoError(t, ns.nl.LinkSetUp(link))
	return link
}

func prefixOf(a netlink.Addr) netip.Prefix {
	ip, _ := netip.AddrFromSlice(a.IP)
	ones, _ := a.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), ones)
}

func isUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }
