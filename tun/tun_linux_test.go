package tun

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func pfxs(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantName string
		wantMTU  int
	}{
		{"defaults", Config{}, DefaultName, DefaultMTU},
		{"ipv4", Config{Name: "stt-v4", MTU: 1400, TxQueueLen: 4000, Addresses: pfxs("10.0.0.1/24")}, "stt-v4", 1400},
		{"ipv6", Config{Name: "stt-v6", Addresses: pfxs("fd00::1/64")}, "stt-v6", DefaultMTU},
		{"dual stack at the IPv6 minimum", Config{Name: "stt-dual", MTU: MinMTUIPv6,
			Addresses: pfxs("10.0.0.1/24", "fd00::1/64", "10.9.0.1/32", "fd00:9::1/128")}, "stt-dual", MinMTUIPv6},
		{"IPv4 minimum MTU", Config{Name: "stt-min", MTU: MinMTU, Addresses: pfxs("10.0.0.1/24")}, "stt-min", MinMTU},
		{"maximum MTU, 15-byte name", Config{Name: "stt-fifteen-byt", MTU: MaxMTU,
			Addresses: pfxs("10.0.0.1/24", "fd00::1/64")}, "stt-fifteen-byt", MaxMTU},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			d := ns.create(t, tt.cfg)
			require.Equal(t, tt.wantName, d.Name())
			require.Equal(t, tt.wantMTU, d.MTU())
			require.Equal(t, d.Inner().BatchSize(), d.BatchSize())
			require.GreaterOrEqual(t, d.BatchSize(), 1)
			t.Logf("batch size %d (vnet_hdr offloads %v)", d.BatchSize(), d.BatchSize() > 1)

			link := ns.link(t, tt.wantName)
			require.Equal(t, "tuntap", link.Type())
			require.Equal(t, tt.wantMTU, link.Attrs().MTU)
			wantQLen := tt.cfg.TxQueueLen
			if wantQLen == 0 {
				wantQLen = DefaultTxQueueLen
			}
			require.Equal(t, wantQLen, link.Attrs().TxQLen)
			require.True(t, isUp(link), "link is not up: %v", link.Attrs().Flags)
			require.NotZero(t, link.Attrs().RawFlags&unix.IFF_RUNNING, "link has no carrier")

			var got []netip.Prefix
			for _, a := range ns.addrs(t, link) {
				p := prefixOf(a)
				require.False(t, p.Addr().IsLinkLocalUnicast(), "unexpected link-local address %v: addrgenmode should be none", p)
				if p.Addr().Is6() {
					require.Zero(t, a.Flags&unix.IFA_F_TENTATIVE, "%v is tentative: DAD should be off", p)
					require.NotZero(t, a.Flags&unix.IFA_F_NODAD, "%v lacks IFA_F_NODAD", p)
				}
				got = append(got, p)
			}
			require.ElementsMatch(t, tt.cfg.Addresses, got)
			require.ElementsMatch(t, tt.cfg.Addresses, d.Addresses())

			// Every address must already have its local route, or packets
			// to it would be dropped (see waitIPv6LocalLocked).
			locals := map[netip.Addr]bool{}
			for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
				rs, err := ns.nl.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_LOCAL}, netlink.RT_FILTER_TABLE)
				require.NoError(t, err)
				for _, r := range rs {
					if r.Type == unix.RTN_LOCAL && r.LinkIndex == link.Attrs().Index {
						locals[routeDst(r, family).Addr()] = true
					}
				}
			}
			for _, p := range tt.cfg.Addresses {
				require.True(t, locals[p.Addr()], "no local route for %v", p.Addr())
			}
			require.Empty(t, d.Routes())
		})
	}
}

// TestCreateNameInUse checks that an existing interface of the requested
// name, TUN or not, is refused and left intact.
func TestCreateNameInUse(t *testing.T) {
	const name = "stt-busy"
	tests := []struct {
		name     string
		existing func(t *testing.T, ns *testNS)
	}{
		{"TUN made by Create", func(t *testing.T, ns *testNS) {
			d := ns.create(t, Config{Name: name, Addresses: pfxs("10.0.0.1/24")})
			require.NoError(t, d.AddRoute(netip.MustParsePrefix("10.1.0.0/16")))
		}},
		{"veth link", func(t *testing.T, ns *testNS) {
			ns.addVeth(t, name, netip.MustParsePrefix("10.0.0.1/24"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			tt.existing(t, ns)
			// Only IPv4 is compared: a veth gains its IPv6 link-local address
			// and route asynchronously.
			v4Addrs := func(l netlink.Link) []netip.Prefix {
				var ps []netip.Prefix
				for _, a := range ns.addrs(t, l) {
					if p := prefixOf(a); p.Addr().Is4() {
						ps = append(ps, p)
					}
				}
				return ps
			}
			v4Routes := func() []string {
				var rs []string
				for _, r := range ns.mainRoutes(t) {
					if r.Family == netlink.FAMILY_V4 {
						rs = append(rs, r.String())
					}
				}
				return rs
			}
			before := ns.link(t, name)
			beforeAddrs := v4Addrs(before)
			beforeRoutes := v4Routes()
			require.NotEmpty(t, beforeAddrs)

			_, err := inNS(ns, func() (*Device, error) {
				return Create(Config{Name: name, Addresses: pfxs("10.0.0.2/24")})
			})
			require.ErrorIs(t, err, ErrNameInUse)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, name, e.Name)
			require.Contains(t, err.Error(), "ip link del "+name)

			after := ns.link(t, name)
			require.Equal(t, before.Attrs().Index, after.Attrs().Index)
			require.Equal(t, before.Type(), after.Type())
			require.True(t, isUp(after))
			require.Equal(t, beforeAddrs, v4Addrs(after))
			require.Equal(t, beforeRoutes, v4Routes())
		})
	}
}

// TestCreateTUNExclusive checks the guard against a race between the name
// check and the creation: TUNSETIFF with IFF_TUN_EXCL refuses an existing
// device instead of attaching to it.
func TestCreateTUNExclusive(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-excl"})
	_, err := inNS(ns, func() (struct{}, error) {
		dev, err := createTUN("stt-excl", DefaultMTU)
		if err == nil {
			dev.Close()
		}
		return struct{}{}, err
	})
	require.ErrorIs(t, err, ErrNameInUse)
	require.ErrorIs(t, err, unix.EBUSY)
	require.True(t, isUp(ns.link(t, d.Name())))
}

// TestCreateInvalidConfigCreatesNothing checks that Create validates before
// it touches the kernel.
func TestCreateInvalidConfigCreatesNothing(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"MTU too small", Config{Name: "stt-bad", MTU: 575}, "MTU"},
		{"MTU too large", Config{Name: "stt-bad", MTU: 65536}, "MTU"},
		{"MTU too small for IPv6", Config{Name: "stt-bad", MTU: 1279, Addresses: pfxs("fd00::1/64")}, "MTU"},
		{"name too long", Config{Name: "stt-sixteen-byte"}, "Name"},
		{"name with slash", Config{Name: "stt/0"}, "Name"},
		{"duplicate address", Config{Name: "stt-bad", Addresses: pfxs("10.0.0.1/24", "10.0.0.1/16")}, "Addresses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			before := ns.linkNames(t)
			_, err := inNS(ns, func() (*Device, error) { return Create(tt.cfg) })
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.field, ce.Field)
			require.Equal(t, before, ns.linkNames(t))
		})
	}
}

// TestCreateCleansUpOnFailure makes Create fail after the device exists
// (IPv6 is disabled for new links in the namespace, so the IPv6 address is
// refused) and checks that the device and its IPv4 address are gone.
func TestCreateCleansUpOnFailure(t *testing.T) {
	ns := newTestNS(t)
	before := ns.linkNames(t)
	_, err := inNS(ns, func() (*Device, error) {
		err := os.WriteFile("/proc/sys/net/ipv6/conf/default/disable_ipv6", []byte("1"), 0)
		if err != nil {
			return nil, err
		}
		return Create(Config{Name: "stt-half", Addresses: pfxs("10.0.0.1/24", "fd00::1/64")})
	})
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e, "%v", err)
	require.Equal(t, "stt-half", e.Name)
	require.NotErrorIs(t, err, ErrPermission)
	require.Contains(t, err.Error(), "IPv6 is disabled")
	t.Logf("Create failed as intended: %v", err)

	require.Equal(t, before, ns.linkNames(t))
	for _, a := range ns.addrs(t, nil) {
		require.NotEqual(t, "10.0.0.1", a.IP.String(), "address left behind")
	}
	for _, r := range ns.mainRoutes(t) {
		require.NotEqual(t, "10.0.0.0/24", routeDst(r, r.Family).String(), "route left behind")
	}
}

func TestClose(t *testing.T) {
	ns := newTestNS(t)
	addrs := pfxs("10.0.0.1/24", "fd00::1/64")
	routes := pfxs("10.1.0.0/16", "fd00:1::/64", "0.0.0.0/0")
	d := ns.create(t, Config{Name: "stt-close", Addresses: addrs})
	for _, p := range routes {
		require.NoError(t, d.AddRoute(p))
	}
	index := ns.link(t, "stt-close").Attrs().Index
	require.ElementsMatch(t, routes, ns.staticRoutes(t, index))

	require.NoError(t, d.Close())

	_, err := ns.nl.LinkByName("stt-close")
	require.ErrorAs(t, err, new(netlink.LinkNotFoundError))
	_, err = ns.nl.LinkByIndex(index)
	require.Error(t, err)
	for _, r := range ns.mainRoutes(t) {
		require.NotEqual(t, index, r.LinkIndex, "route %v left behind", r)
		require.NotContains(t, routes, routeDst(r, r.Family))
	}
	for _, a := range ns.addrs(t, nil) {
		require.NotContains(t, addrs, prefixOf(a))
	}
	require.Empty(t, d.Routes())
	require.Empty(t, d.Addresses())

	t.Run("idempotent", func(t *testing.T) {
		require.NoError(t, d.Close())
	})
	t.Run("methods after Close", func(t *testing.T) {
		require.ErrorIs(t, d.AddRoute(routes[0]), net.ErrClosed)
		require.ErrorIs(t, d.RemoveRoute(routes[0]), net.ErrClosed)
		require.ErrorIs(t, d.SetRoutes(routes), net.ErrClosed)
		bufs, sizes := [][]byte{make([]byte, 100)}, []int{0}
		_, err := d.Read(bufs, sizes, 16)
		require.ErrorIs(t, err, os.ErrClosed)
		_, err = d.Write(bufs, 16)
		require.ErrorIs(t, err, os.ErrClosed)
	})
}

// TestCloseDuringRead checks that Close ends a blocked Read with
// os.ErrClosed and still removes the device.
func TestCloseDuringRead(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-busyread"})
	readErr := make(chan error, 1)
	go func() {
		bufs, sizes := [][]byte{make([]byte, 16+d.MTU())}, []int{0}
		for {
			if _, err := d.Read(bufs, sizes, 16); err != nil {
				readErr <- err
				return
			}
		}
	}()
	require.NoError(t, d.Close())
	select {
	case err := <-readErr:
		require.ErrorIs(t, err, os.ErrClosed)
	case <-time.After(30 * time.Second):
		t.Fatal("Read still blocked 30 s after Close")
	}
	require.NotContains(t, ns.linkNames(t), "stt-busyread")
}

// TestMethodsFromAnyThread checks that a device created in a namespace is
// configured there even when its methods run on threads outside it.
func TestMethodsFromAnyThread(t *testing.T) {
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-anythread", Addresses: pfxs("10.0.0.1/24")})
	p := netip.MustParsePrefix("10.77.0.0/16")
	// This goroutine's thread is in the test's original namespace.
	require.NoError(t, d.AddRoute(p))
	require.Equal(t, []netip.Prefix{p}, ns.staticRoutes(t, ns.link(t, d.Name()).Attrs().Index))
	_, err := netlink.LinkByName("stt-anythread")
	require.ErrorAs(t, err, new(netlink.LinkNotFoundError), "device leaked into the original namespace")
}

// TestCreateErrors provokes the environment errors for real on a thread that
// is discarded afterwards: without CAP_NET_ADMIN (capabilities are per
// thread) and without /dev/net/tun (hidden in a private mount namespace).
func TestCreateErrors(t *testing.T) {
	tests := []struct {
		name    string
		prepare func() error
		want    error
		fix     string
	}{
		{"no CAP_NET_ADMIN", dropNetAdmin, ErrPermission, "run as root or grant CAP_NET_ADMIN"},
		{"no /dev/net/tun", hideDevNet, ErrNoTUNDevice, "modprobe tun"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			before := ns.linkNames(t)
			_, err := inNS(ns, func() (*Device, error) {
				if err := tt.prepare(); err != nil {
					return nil, fmt.Errorf("prepare: %w", err)
				}
				return Create(Config{Name: "stt-err"})
			})
			t.Logf("Create: %v", err)
			require.ErrorIs(t, err, tt.want)
			require.ErrorContains(t, err, tt.fix)
			require.Equal(t, before, ns.linkNames(t))
		})
	}
}

// dropNetAdmin removes CAP_NET_ADMIN from the calling thread's effective set.
func dropNetAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[unix.CAP_NET_ADMIN/32].Effective &^= 1 << (unix.CAP_NET_ADMIN % 32)
	return unix.Capset(&hdr, &data[0])
}

// hideDevNet moves the calling thread into a private mount namespace and
// mounts an empty tmpfs over /dev/net there.
func hideDevNet() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return err
	}
	// Private first, so that the tmpfs cannot propagate to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	return unix.Mount("tmpfs", "/dev/net", "tmpfs", 0, "size=4k")
}
