package tun

import (
	"errors"
	"net/netip"
	"strings"
)

// Sentinel errors. The errors this package returns wrap one of them, so
// callers branch with errors.Is; the *Error around it says what failed and
// how to fix it.
var (
	// ErrPermission: the process may not create or configure interfaces.
	ErrPermission = errors.New("permission denied")
	// ErrNoTUNDevice: /dev/net/tun is missing or the tun driver is not loaded.
	ErrNoTUNDevice = errors.New("no TUN support (/dev/net/tun)")
	// ErrNameInUse: an interface with the requested name already exists.
	ErrNameInUse = errors.New("interface name already in use")
	// ErrRouteExists: the kernel has a route to the prefix, with the same
	// metric, through another interface.
	ErrRouteExists = errors.New("route exists through another interface")
	// ErrInvalidConfig: a Config field is invalid; see *ConfigError.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrInvalidPrefix: a route prefix is not a valid IPv4 or IPv6 prefix.
	ErrInvalidPrefix = errors.New("invalid prefix")
	// ErrNotSupported: this platform has no implementation.
	ErrNotSupported = errors.New("TUN devices are supported on Linux only")
)

// Error describes a failed operation on a device. It unwraps to both Kind
// (one of the sentinels above, or net.ErrClosed) and Err (the cause from the
// kernel or a library, e.g. a syscall.Errno), either of which may be nil.
type Error struct {
	Op     string       // "create", "add address", "add route", "close", ...
	Name   string       // the interface name
	Prefix netip.Prefix // the address or route concerned, if any
	Kind   error        // a sentinel of this package, or nil
	Err    error        // the underlying error, or nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tun: ")
	b.WriteString(e.Op)
	if e.Prefix.IsValid() {
		b.WriteString(" " + e.Prefix.String())
	}
	if e.Name != "" {
		b.WriteString(" on " + e.Name)
	}
	if e.Kind != nil {
		b.WriteString(": " + e.Kind.Error())
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if fix := e.fix(); fix != "" {
		b.WriteString("; " + fix)
	}
	return b.String()
}

// fix says what the operator can do about the error.
func (e *Error) fix() string {
	switch e.Kind {
	case ErrPermission:
		return "run as root or grant CAP_NET_ADMIN"
	case ErrNoTUNDevice:
		return "load the tun module: modprobe tun"
	case ErrNameInUse:
		return "choose another interface name or remove it: ip link del " + e.Name
	case ErrRouteExists:
		return "remove the other route (ip route del " + e.Prefix.String() + ") or choose another RouteMetric"
	case ErrInvalidPrefix:
		return "pass a valid prefix such as 10.1.0.0/16 or fd00:1::/64"
	case ErrNotSupported:
		return "run stt-tun on Linux"
	}
	return ""
}

// Unwrap returns Kind and Err, so errors.Is matches either.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
