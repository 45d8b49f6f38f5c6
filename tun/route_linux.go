package tun

import (
	"errors"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ipv6DefaultMetric is the metric the kernel gives an IPv6 route added with
// metric 0 (IP6_RT_PRIO_USER).
const ipv6DefaultMetric = 1024

// AddRoute routes pfx through the device (on-link, in the main table, with
// Config.RouteMetric). pfx is masked first (10.1.2.3/16 means 10.1.0.0/16).
// It is idempotent: a prefix already added, or a route the kernel already has
// to pfx through this device with the same metric (such as the connected
// route of an address), is not an error. In the latter case the route is
// listed by Routes but left in place by RemoveRoute and Close.
//
// Errors: *Error wrapping ErrInvalidPrefix, ErrRouteExists (a route to pfx
// with that metric goes through another interface), ErrPermission,
// net.ErrClosed, or the kernel's error.
func (d *Device) AddRoute(pfx netip.Prefix) error {
	pfx, err := checkPrefix("add route", d.name, pfx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return d.closedError("add route", pfx)
	}
	return d.addRouteLocked(pfx)
}

func (d *Device) addRouteLocked(pfx netip.Prefix) error {
	if _, ok := d.routes[pfx]; ok {
		return nil
	}
	err := d.nlh.RouteAdd(d.route(pfx))
	if err == nil {
		d.routes[pfx] = true
		d.log.Debug("route added", "prefix", pfx)
		return nil
	}
	if !errors.Is(err, unix.EEXIST) {
		return newError("add route", d.name, pfx, err)
	}
	ours, lerr := d.haveRouteLocked(pfx)
	if lerr != nil {
		return newError("add route", d.name, pfx, errors.Join(err, lerr))
	}
	if !ours {
		return &Error{Op: "add route", Name: d.name, Prefix: pfx, Kind: ErrRouteExists, Err: err}
	}
	d.routes[pfx] = false
	d.log.Debug("route already present", "prefix", pfx)
	return nil
}

// RemoveRoute removes the route to pfx that AddRoute or SetRoutes added.
// Removing a prefix that was not added, or whose route someone else already
// deleted, is not an error. Errors: *Error wrapping ErrInvalidPrefix,
// ErrPermission, net.ErrClosed, or the kernel's error.
func (d *Device) RemoveRoute(pfx netip.Prefix) error {
	pfx, err := checkPrefix("remove route", d.name, pfx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return d.closedError("remove route", pfx)
	}
	return d.removeRouteLocked(pfx)
}

func (d *Device) removeRouteLocked(pfx netip.Prefix) error {
	owned, ok := d.routes[pfx]
	if !ok {
		return nil
	}
	if owned {
		if err := d.nlh.RouteDel(d.route(pfx)); err != nil && !errors.Is(err, unix.ESRCH) {
			return newError("remove route", d.name, pfx, err)
		}
	}
	delete(d.routes, pfx)
	d.log.Debug("route removed", "prefix", pfx)
	return nil
}

// SetRoutes makes the set of routes the device added equal pfxs (each
// masked; duplicates are fine): it removes the routes not in pfxs, then adds
// the missing ones. It carries on past a failing prefix and returns all the
// errors joined, so that after a partial failure Routes tells what is
// installed. Errors as for AddRoute and RemoveRoute.
func (d *Device) SetRoutes(pfxs []netip.Prefix) error {
	want := make(map[netip.Prefix]bool, len(pfxs))
	for _, p := range pfxs {
		m, err := checkPrefix("set routes", d.name, p)
		if err != nil {
			return err
		}
		want[m] = true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return d.closedError("set routes", netip.Prefix{})
	}
	var errs []error
	for p := range d.routes {
		if !want[p] {
			errs = append(errs, d.removeRouteLocked(p))
		}
	}
	for p := range want {
		errs = append(errs, d.addRouteLocked(p))
	}
	return errors.Join(errs...)
}

// Routes returns the prefixes routed through the device by AddRoute and
// SetRoutes, sorted.
func (d *Device) Routes() []netip.Prefix {
	d.mu.Lock()
	defer d.mu.Unlock()
	pfxs := make([]netip.Prefix, 0, len(d.routes))
	for p := range d.routes {
		pfxs = append(pfxs, p)
	}
	slices.SortFunc(pfxs, netip.Prefix.Compare)
	return pfxs
}

// route is the kernel route for pfx through the device.
func (d *Device) route(pfx netip.Prefix) *netlink.Route {
	r := &netlink.Route{
		LinkIndex: d.index,
		Dst:       ipNet(pfx),
		Protocol:  unix.RTPROT_STATIC,
		Priority:  d.metric,
		Table:     unix.RT_TABLE_MAIN,
	}
	if pfx.Addr().Is4() {
		r.Scope = netlink.SCOPE_LINK
	}
	return r
}

// haveRouteLocked reports whether the main table has a route to pfx through
// the device with the device's metric.
func (d *Device) haveRouteLocked(pfx netip.Prefix) (bool, error) {
	family, metric := netlink.FAMILY_V4, d.metric
	if pfx.Addr().Is6() {
		family = netlink.FAMILY_V6
		if metric == 0 {
			metric = ipv6DefaultMetric
		}
	}
	routes, err := d.nlh.RouteListFiltered(family,
		&netlink.Route{LinkIndex: d.index, Table: unix.RT_TABLE_MAIN},
		netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		return false, err
	}
	for _, r := range routes {
		if routeDst(r, family) == pfx && r.Priority == metric {
			return true, nil
		}
	}
	return false, nil
}

// routeDst returns a kernel route's destination as a prefix (nil means the
// default route).
func routeDst(r netlink.Route, family int) netip.Prefix {
	if r.Dst == nil {
		if family == netlink.FAMILY_V6 {
			return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	a, ok := netip.AddrFromSlice(r.Dst.IP)
	if !ok {
		return netip.Prefix{}
	}
	ones, _ := r.Dst.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones)
}
