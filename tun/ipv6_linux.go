package tun

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ipv6ReadyTimeout bounds the wait for the kernel to install the local routes
// of new IPv6 addresses.
const ipv6ReadyTimeout = 5 * time.Second

// waitIPv6LocalLocked waits until the kernel has installed the local route of
// every IPv6 address in addrs.
//
// Even with IFA_F_NODAD the kernel completes a new IPv6 address from a
// workqueue: only then does the address get its route in the local table, and
// until then packets to it arriving on the device are treated as packets to
// forward and dropped (Ip6InAddrErrors). IPv4 local routes are installed
// synchronously and need no wait. The wait follows route notifications; it
// must run on a thread in the device's namespace.
func (d *Device) waitIPv6LocalLocked(addrs []netip.Prefix) error {
	pending := make(map[netip.Addr]bool)
	for _, p := range addrs {
		if p.Addr().Is6() {
			pending[p.Addr()] = true
		}
	}
	if len(pending) == 0 {
		return nil
	}
	updates := make(chan netlink.RouteUpdate, 16)
	done := make(chan struct{})
	// Subscribe first, then look at the table, so no route goes unseen.
	if err := netlink.RouteSubscribeWithOptions(updates, done, netlink.RouteSubscribeOptions{}); err != nil {
		return fmt.Errorf("subscribe to route updates: %w", err)
	}
	defer func() {
		close(done)
		for range updates { // the subscription closes it once its socket is closed
		}
	}()
	routes, err := d.nlh.RouteListFiltered(netlink.FAMILY_V6,
		&netlink.Route{Table: unix.RT_TABLE_LOCAL}, netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("list local routes: %w", err)
	}
	for _, r := range routes {
		d.markLocal(pending, r)
	}
	timeout := time.NewTimer(ipv6ReadyTimeout)
	defer timeout.Stop()
	for len(pending) > 0 {
		select {
		case u, ok := <-updates:
			if !ok {
				return errors.New("route subscription ended early")
			}
			if u.Type == unix.RTM_NEWROUTE {
				d.markLocal(pending, u.Route)
			}
		case <-timeout.C:
			return fmt.Errorf("the kernel did not install local routes for %v within %v", pending, ipv6ReadyTimeout)
		}
	}
	return nil
}

// markLocal deletes from pending the address r is the local route of.
func (d *Device) markLocal(pending map[netip.Addr]bool, r netlink.Route) {
	if r.Type != unix.RTN_LOCAL || r.Table != unix.RT_TABLE_LOCAL || r.LinkIndex != d.index {
		return
	}
	if p := routeDst(r, netlink.FAMILY_V6); p.IsSingleIP() {
		delete(pending, p.Addr())
	}
}
