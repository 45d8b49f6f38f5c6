package tun

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestAddRemoveRoute(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-route", Addresses: pfxs("10.0.0.1/24", "fd00::1/64")})
	index := ns.link(t, d.Name()).Attrs().Index
	kernel := func() []netip.Prefix { return ns.staticRoutes(t, index) }

	steps := []struct {
		name string
		do   func() error
		want []netip.Prefix // routes the device lists and the kernel holds
	}{
		{"add IPv4", func() error { return d.AddRoute(netip.MustParsePrefix("10.1.0.0/16")) },
			pfxs("10.1.0.0/16")},
		{"add IPv6", func() error { return d.AddRoute(netip.MustParsePrefix("fd00:1::/64")) },
			pfxs("10.1.0.0/16", "fd00:1::/64")},
		{"add again is a no-op", func() error { return d.AddRoute(netip.MustParsePrefix("10.1.0.0/16")) },
			pfxs("10.1.0.0/16", "fd00:1::/64")},
		{"unmasked prefix is masked", func() error { return d.AddRoute(netip.MustParsePrefix("10.2.3.4/16")) },
			pfxs("10.1.0.0/16", "10.2.0.0/16", "fd00:1::/64")},
		{"IPv4 default route", func() error { return d.AddRoute(netip.MustParsePrefix("0.0.0.0/0")) },
			pfxs("0.0.0.0/0", "10.1.0.0/16", "10.2.0.0/16", "fd00:1::/64")},
		{"IPv6 default route", func() error { return d.AddRoute(netip.MustParsePrefix("::/0")) },
			pfxs("0.0.0.0/0", "10.1.0.0/16", "10.2.0.0/16", "::/0", "fd00:1::/64")},
		{"remove", func() error { return d.RemoveRoute(netip.MustParsePrefix("10.1.0.0/16")) },
			pfxs("0.0.0.0/0", "10.2.0.0/16", "::/0", "fd00:1::/64")},
		{"remove again is a no-op", func() error { return d.RemoveRoute(netip.MustParsePrefix("10.1.0.0/16")) },
			pfxs("0.0.0.0/0", "10.2.0.0/16", "::/0", "fd00:1::/64")},
		{"remove defaults and IPv6", func() error {
			for _, p := range pfxs("0.0.0.0/0", "::/0", "fd00:1::/64") {
				if err := d.RemoveRoute(p); err != nil {
					return err
				}
			}
			return nil
		}, pfxs("10.2.0.0/16")},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			require.NoError(t, s.do())
			require.Equal(t, s.want, d.Routes())
			require.ElementsMatch(t, s.want, kernel())
		})
	}
}

// TestAddRouteConnected checks that the connected route of an address counts
// as present and survives RemoveRoute.
func TestAddRouteConnected(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-conn", Addresses: pfxs("10.0.0.1/24")})
	index := ns.link(t, d.Name()).Attrs().Index
	connected := netip.MustParsePrefix("10.0.0.0/24")
	hasKernelRoute := func() bool {
		for _, r := range ns.mainRoutes(t) {
			if r.LinkIndex == index && r.Protocol == unix.RTPROT_KERNEL && routeDst(r, r.Family) == connected {
				return true
			}
		}
		return false
	}
	require.True(t, hasKernelRoute())
	require.NoError(t, d.AddRoute(connected))
	require.Equal(t, []netip.Prefix{connected}, d.Routes())
	require.NoError(t, d.RemoveRoute(connected))
	require.Empty(t, d.Routes())
	require.True(t, hasKernelRoute(), "RemoveRoute deleted the kernel's connected route")
}

func TestSetRoutes(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-set", Addresses: pfxs("10.0.0.1/24", "fd00::1/64")})
	index := ns.link(t, d.Name()).Attrs().Index
	steps := []struct {
		name string
		set  []netip.Prefix
		want []netip.Prefix
	}{
		{"from nothing", pfxs("10.1.0.0/16", "fd00:1::/64"), pfxs("10.1.0.0/16", "fd00:1::/64")},
		{"overlapping change", pfxs("fd00:1::/64", "10.2.0.0/16", "10.3.0.0/16"),
			pfxs("10.2.0.0/16", "10.3.0.0/16", "fd00:1::/64")},
		{"duplicates and unmasked", pfxs("10.2.0.0/16", "10.2.9.9/16", "fd00:2::5/64"),
			pfxs("10.2.0.0/16", "fd00:2::/64")},
		{"same set again", pfxs("fd00:2::/64", "10.2.0.0/16"), pfxs("10.2.0.0/16", "fd00:2::/64")},
		{"to nothing", nil, pfxs()},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			require.NoError(t, d.SetRoutes(s.set))
			require.Equal(t, s.want, d.Routes())
			require.ElementsMatch(t, s.want, ns.staticRoutes(t, index))
		})
	}
}

func TestRouteMetric(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-metric", Addresses: pfxs("10.0.0.1/24", "fd00::1/64"), RouteMetric: 100})
	index := ns.link(t, d.Name()).Attrs().Index
	require.NoError(t, d.SetRoutes(pfxs("10.1.0.0/16", "fd00:1::/64")))
	n := 0
	for _, r := range ns.mainRoutes(t) {
		if r.LinkIndex == index && r.Protocol == unix.RTPROT_STATIC {
			require.Equal(t, 100, r.Priority, "route %v", r)
			n++
		}
	}
	require.Equal(t, 2, n)
}

// TestAddRouteExists checks that a route through another interface is
// neither replaced nor silently adopted.
func TestAddRouteExists(t *testing.T) {
	tests := []struct {
		name    string
		metric  int
		wantErr bool
	}{
		{"same metric", 0, true},
		{"other metric", 50, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			other := ns.addVeth(t, "stt-other", netip.MustParsePrefix("192.0.2.1/24"))
			d := ns.create(t, Config{Name: "stt-exists", Addresses: pfxs("10.0.0.1/24"), RouteMetric: tt.metric})
			p := netip.MustParsePrefix("192.0.2.0/24")
			err := d.AddRoute(p)
			if !tt.wantErr {
				require.NoError(t, err)
				require.Equal(t, []netip.Prefix{p}, d.Routes())
				return
			}
			require.ErrorIs(t, err, ErrRouteExists)
			require.ErrorIs(t, err, unix.EEXIST)
			require.Contains(t, err.Error(), "ip route del 192.0.2.0/24")
			require.Empty(t, d.Routes())
			rs, lerr := ns.nl.RouteListFiltered(netlink.FAMILY_V4,
				&netlink.Route{LinkIndex: other.Attrs().Index}, netlink.RT_FILTER_OIF)
			require.NoError(t, lerr)
			found := false
			for _, r := range rs {
				found = found || routeDst(r, netlink.FAMILY_V4) == p
			}
			require.True(t, found, "the other interface lost its route")
		})
	}
}

func TestRouteInvalidPrefix(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-inval"})
	bad := []netip.Prefix{{}, netip.MustParsePrefix("::ffff:10.0.0.0/104")}
	for _, p := range bad {
		require.ErrorIs(t, d.AddRoute(p), ErrInvalidPrefix)
		require.ErrorIs(t, d.RemoveRoute(p), ErrInvalidPrefix)
		require.ErrorIs(t, d.SetRoutes([]netip.Prefix{p}), ErrInvalidPrefix)
	}
	require.Empty(t, d.Routes())
}
