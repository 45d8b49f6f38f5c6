package tun

import (
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"strings"
)

const (
	// DefaultName is the interface name used when Config.Name is empty.
	DefaultName = "stt0"
	// DefaultMTU is the MTU used when Config.MTU is zero: 1500 less the
	// outer IPv6 and UDP headers (48 bytes) and the STT DATA overhead (a
	// 16-byte header, the frame type and a 16-byte tag), so that a full-size
	// packet crosses a 1500-byte IPv6 or IPv4 underlay unfragmented.
	DefaultMTU = 1419
	// MinMTU is the smallest MTU accepted: the IPv4 minimum reassembly size.
	MinMTU = 576
	// MinMTUIPv6 is the smallest MTU accepted when the device has an IPv6
	// address; below it the kernel disables IPv6 on the link (RFC 8200).
	MinMTUIPv6 = 1280
	// MaxMTU is the largest MTU a Linux TUN device accepts.
	MaxMTU = 65535
	// MaxNameLen is the longest interface name in bytes (IFNAMSIZ-1).
	MaxNameLen = 15
	// DefaultTxQueueLen is the device's queue length when
	// Config.TxQueueLen is zero: packets the kernel holds for stt-tun to
	// read. The kernel's default for a TUN device, 500, is 10 ms of a
	// 500 Mbit/s UDP stream. A sender that catches up after a pause (iperf3
	// does) sends faster than a tunnel end reads: in the benchmarks 1000
	// packets overflowed in about half of the runs (up to 1.2 % of the
	// stream), 4000, 80 ms of that stream, almost never
	// (docs/performance.md). The cost is delay when the tunnel is
	// overloaded for long: a full queue of 1419-byte packets is 23 ms at
	// 2 Gbit/s.
	DefaultTxQueueLen = 4000
	// MaxTxQueueLen is the largest TxQueueLen accepted.
	MaxTxQueueLen = 1 << 20
)

// Config describes the TUN device Create makes. Its zero value is valid: a
// device named DefaultName with MTU DefaultMTU, DefaultTxQueueLen, no
// addresses and the kernel's default route metric.
type Config struct {
	// Name is the interface name, at most MaxNameLen bytes, without '/',
	// ':', '%' or white space. If empty, DefaultName is used.
	Name string

	// MTU is the link MTU, MinMTU to MaxMTU, and at least MinMTUIPv6 if any
	// address is IPv6. If zero, DefaultMTU is used.
	MTU int

	// Addresses are the interface addresses with their prefix lengths, IPv4
	// and IPv6, e.g. 10.0.0.1/24 and fd00::1/64. The kernel adds the
	// connected route of each prefix.
	Addresses []netip.Prefix

	// TxQueueLen is the length of the device's queue: how many packets the
	// kernel holds for stt-tun to read before it drops them. If zero,
	// DefaultTxQueueLen is used.
	TxQueueLen int

	// RouteMetric is the metric (priority) of the routes AddRoute and
	// SetRoutes install. If zero, the kernel default applies: 0 for IPv4,
	// 1024 for IPv6.
	RouteMetric int

	// Logger receives the device's few log lines (creation, link events,
	// route changes). If nil, nothing is logged.
	Logger *slog.Logger
}

// ConfigError reports an invalid Config field. It matches ErrInvalidConfig
// with errors.Is.
type ConfigError struct {
	Field  string // the Config field, e.g. "MTU"
	Value  string // the offending value as text
	Reason string // what is wrong and how to fix it
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("tun: invalid configuration: %s %s: %s", e.Field, e.Value, e.Reason)
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// withDefaults returns a copy of c with defaults filled in, or a *ConfigError
// for the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.TxQueueLen == 0 {
		c.TxQueueLen = DefaultTxQueueLen
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Addresses = append([]netip.Prefix(nil), c.Addresses...)
	if err := validateName(c.Name); err != nil {
		return c, err
	}
	hasIPv6 := false
	seen := make(map[netip.Addr]bool, len(c.Addresses))
	for _, p := range c.Addresses {
		if err := validateAddress(p); err != nil {
			return c, err
		}
		if seen[p.Addr()] {
			return c, &ConfigError{"Addresses", p.String(), "address listed twice; list each address once"}
		}
		seen[p.Addr()] = true
		hasIPv6 = hasIPv6 || p.Addr().Is6()
	}
	switch {
	case c.MTU < MinMTU || c.MTU > MaxMTU:
		return c, &ConfigError{"MTU", fmt.Sprint(c.MTU),
			fmt.Sprintf("out of range; set an MTU from %d to %d (0 selects %d)", MinMTU, MaxMTU, DefaultMTU)}
	case hasIPv6 && c.MTU < MinMTUIPv6:
		return c, &ConfigError{"MTU", fmt.Sprint(c.MTU),
			fmt.Sprintf("too small for IPv6; set an MTU of at least %d or remove the IPv6 addresses", MinMTUIPv6)}
	}
	if c.TxQueueLen < 0 || c.TxQueueLen > MaxTxQueueLen {
		return c, &ConfigError{"TxQueueLen", fmt.Sprint(c.TxQueueLen),
			fmt.Sprintf("out of range; set a queue length from 1 to %d (0 selects %d)", MaxTxQueueLen, DefaultTxQueueLen)}
	}
	if c.RouteMetric < 0 || int64(c.RouteMetric) > math.MaxUint32 {
		return c, &ConfigError{"RouteMetric", fmt.Sprint(c.RouteMetric),
			"out of range; set a metric from 0 to 4294967295"}
	}
	return c, nil
}

func validateName(name string) error {
	switch {
	case len(name) > MaxNameLen:
		return &ConfigError{"Name", fmt.Sprintf("%q", name),
			fmt.Sprintf("%d bytes long; use a name of at most %d bytes", len(name), MaxNameLen)}
	case name == "." || name == "..":
		return &ConfigError{"Name", fmt.Sprintf("%q", name), "reserved; choose a name such as " + DefaultName}
	case strings.ContainsFunc(name, func(r rune) bool {
		return r == '/' || r == ':' || r == '%' || r <= ' ' || r == 0x7f
	}):
		return &ConfigError{"Name", fmt.Sprintf("%q", name),
			"contains '/', ':', '%', white space or a control character; use letters, digits, '-', '_' and '.'"}
	}
	return nil
}

func validateAddress(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case !p.IsValid():
		return &ConfigError{"Addresses", p.String(), "not a valid prefix; write an address with its length, e.g. 10.0.0.1/24"}
	case a.Is4In6():
		return &ConfigError{"Addresses", p.String(), "an IPv4-mapped IPv6 address; write it as an IPv4 address"}
	case a.IsUnspecified() || a.IsMulticast():
		return &ConfigError{"Addresses", p.String(), "unspecified or multicast; use a unicast address"}
	}
	return nil
}

// checkPrefix validates a route prefix and returns it masked.
func checkPrefix(op, name string, p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() || p.Addr().Is4In6() {
		return p, &Error{Op: op, Name: name, Prefix: p, Kind: ErrInvalidPrefix}
	}
	return p.Masked(), nil
}
