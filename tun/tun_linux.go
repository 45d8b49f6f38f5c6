package tun

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
	wgtun "golang.zx2c4.com/wireguard/tun"
)

const cloneDevicePath = "/dev/net/tun"

// Device is a TUN interface created by Create. It wraps the wireguard
// tun.Device that moves the packets and remembers what it configured, so that
// Close can remove it.
type Device struct {
	dev     wgtun.Device
	name    string
	mtu     int
	index   int // interface index
	metric  int
	log     *slog.Logger
	events  chan struct{} // closed when routineEventReader has ended
	closing atomic.Bool   // set when Close starts

	mu     sync.Mutex      // guards the fields below and the use of nlh
	nlh    *netlink.Handle // netlink sockets in the device's namespace
	addrs  []netip.Prefix  // addresses added by Create
	routes map[netip.Prefix]bool
	closed bool
}

// Create creates the TUN device described by cfg in the network namespace of
// the calling OS thread, sets its MTU, adds its addresses and brings the link
// up. IPv6 addresses are usable when Create returns: the link has
// addrgenmode none (no link-local address, no router solicitations), the
// addresses skip DAD, and Create waits for the kernel to install their local
// routes.
//
// It checks first that no interface of that name exists, and creates the
// device with IFF_TUN_EXCL so that it never attaches to one made in between.
// If a step fails, Create removes what it made. Errors: *ConfigError
// (ErrInvalidConfig) for an invalid cfg, else *Error wrapping ErrPermission,
// ErrNoTUNDevice, ErrNameInUse or the kernel's error.
func Create(cfg Config) (*Device, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	name := cfg.Name
	if _, err := os.Stat(cloneDevicePath); errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Op: "create", Name: name, Kind: ErrNoTUNDevice, Err: err}
	}
	nlh, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, newError("create", name, netip.Prefix{}, fmt.Errorf("netlink socket: %w", err))
	}
	if _, err := nlh.LinkByName(name); err == nil {
		nlh.Close()
		return nil, &Error{Op: "create", Name: name, Kind: ErrNameInUse}
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		nlh.Close()
		return nil, newError("create", name, netip.Prefix{}, fmt.Errorf("look up link: %w", err))
	}
	dev, err := createTUN(name, cfg.MTU)
	if err != nil {
		nlh.Close()
		return nil, err
	}
	d := &Device{
		dev:    dev,
		name:   name,
		mtu:    cfg.MTU,
		metric: cfg.RouteMetric,
		log:    cfg.Logger.With("dev", name),
		events: make(chan struct{}),
		nlh:    nlh,
		routes: make(map[netip.Prefix]bool),
	}
	go d.routineEventReader()
	if err := d.configure(cfg.Addresses, cfg.TxQueueLen); err != nil {
		if cerr := d.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	d.log.Info("TUN device created", "mtu", d.mtu, "txqueuelen", cfg.TxQueueLen, "addresses", d.addrs,
		"batch_size", dev.BatchSize(), "vnet_hdr", dev.BatchSize() > 1)
	return d, nil
}

// createTUN is wgtun.CreateTUN with IFF_TUN_EXCL (so an existing device is
// never attached to), with the descriptor closed on failure and errors
// classified.
func createTUN(name string, mtu int) (wgtun.Device, error) {
	fd, err := unix.Open(cloneDevicePath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		err = &os.PathError{Op: "open", Path: cloneDevicePath, Err: err}
		switch {
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO):
			return nil, &Error{Op: "create", Name: name, Kind: ErrNoTUNDevice, Err: err}
		case errors.Is(err, unix.EACCES):
			return nil, &Error{Op: "create", Name: name, Kind: ErrPermission, Err: err}
		}
		return nil, newError("create", name, netip.Prefix{}, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, newError("create", name, netip.Prefix{}, err)
	}
	// IFF_VNET_HDR lets the wireguard device enable TSO/USO and GRO.
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR | unix.IFF_TUN_EXCL)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST) {
			return nil, &Error{Op: "create", Name: name, Kind: ErrNameInUse, Err: err}
		}
		return nil, newError("create", name, netip.Prefix{}, fmt.Errorf("TUNSETIFF: %w", err))
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, newError("create", name, netip.Prefix{}, err)
	}
	file := os.NewFile(uintptr(fd), cloneDevicePath)
	dev, err := wgtun.CreateTUNFromFile(file, mtu)
	if err != nil {
		file.Close() // a non-persistent TUN disappears with its last descriptor
		return nil, newError("create", name, netip.Prefix{}, err)
	}
	return dev, nil
}

// configure sets the queue length, turns off IPv6 autoconfiguration, adds
// the addresses and brings the link up.
func (d *Device) configure(addrs []netip.Prefix, txQueueLen int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	link, err := d.nlh.LinkByName(d.name)
	if err != nil {
		return newError("create", d.name, netip.Prefix{}, fmt.Errorf("look up created link: %w", err))
	}
	d.index = link.Attrs().Index
	if err := d.nlh.LinkSetTxQLen(link, txQueueLen); err != nil {
		return newError("set queue length", d.name, netip.Prefix{}, err)
	}
	hasIPv6 := slices.ContainsFunc(addrs, func(p netip.Prefix) bool { return p.Addr().Is6() })
	// No link-local address, no router solicitations: the overlay assigns
	// every address itself.
	if err := d.nlh.LinkSetIP6AddrGenMode(link, nl.IN6_ADDR_GEN_MODE_NONE); err != nil {
		if hasIPv6 {
			return newError("set addrgenmode none", d.name, netip.Prefix{}, err)
		}
		d.log.Debug("cannot disable IPv6 address generation (IPv6 unavailable?)", "err", err)
	}
	for _, p := range addrs {
		a := &netlink.Addr{IPNet: ipNet(p)}
		if p.Addr().Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := d.nlh.AddrAdd(link, a); err != nil {
			if p.Addr().Is6() && errors.Is(err, unix.EACCES) {
				err = fmt.Errorf("%w (IPv6 is disabled on the link: set sysctl net.ipv6.conf.default.disable_ipv6=0 or drop the IPv6 addresses)", err)
			}
			return newError("add address", d.name, p, err)
		}
		d.addrs = append(d.addrs, p)
	}
	if err := d.nlh.LinkSetUp(link); err != nil {
		return newError("set link up", d.name, netip.Prefix{}, err)
	}
	if err := d.waitIPv6LocalLocked(addrs); err != nil {
		return newError("wait for IPv6 addresses", d.name, netip.Prefix{}, err)
	}
	return nil
}

// routineEventReader consumes the wireguard device's link events, which must
// be drained for its listeners to make progress, and logs them. It returns
// when Close closes the event channel.
func (d *Device) routineEventReader() {
	defer close(d.events)
	for ev := range d.dev.Events() {
		switch {
		case ev&wgtun.EventUp != 0:
			d.log.Debug("link up")
		case ev&wgtun.EventDown != 0:
			d.log.Debug("link down")
		case ev&wgtun.EventMTUUpdate != 0:
			if mtu, err := d.dev.MTU(); err == nil && mtu != d.mtu {
				d.log.Warn("link MTU changed outside stt-tun", "mtu", mtu, "configured", d.mtu)
			}
		}
	}
}

// Name returns the interface name.
func (d *Device) Name() string { return d.name }

// MTU returns the MTU the device was created with.
func (d *Device) MTU() int { return d.mtu }

// Addresses returns the interface addresses Create added.
func (d *Device) Addresses() []netip.Prefix {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

// Inner returns the wireguard device that moves the packets. Use it for
// File or to hand the device to code written against tun.Device, but do not
// Close it or read its Events: the Device does both.
func (d *Device) Inner() wgtun.Device { return d.dev }

// Read reads one or more packets from the device (without any additional
// headers). On a successful read it returns the number of packets read, and
// sets packet lengths within the sizes slice. len(sizes) must be >= len(bufs).
// Each packet is placed offset bytes into its element of bufs. With offloads
// one read can return up to BatchSize packets, so pass BatchSize buffers of at
// least offset+MTU bytes; wgtun.ErrTooManySegments means bufs was too short
// and should not stop reading. After Close it returns os.ErrClosed.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	n, err := d.dev.Read(bufs, sizes, offset)
	if err != nil && d.closing.Load() {
		// The wireguard device may report its listener's shutdown instead.
		err = os.ErrClosed
	}
	return n, err
}

// Write writes one or more packets to the device (without any additional
// headers). Check only the error: the count is what the wireguard device
// reports, which on Linux is the bytes handed to the kernel (virtio headers
// included), not the number of packets its interface documents; wireguard-go
// ignores it too. Each packet starts offset bytes into its element of bufs.
// With offloads the
// device uses the 10 bytes before each packet for the virtio-net header and
// may coalesce packets of one flow into the first one's buffer (as far as
// its capacity allows), so offset must be at least 10 and the contents of
// bufs are undefined afterwards. After Close it returns os.ErrClosed.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	n, err := d.dev.Write(bufs, offset)
	if err != nil && d.closing.Load() {
		err = os.ErrClosed
	}
	return n, err
}

// BatchSize returns the largest number of packets one Read or Write handles:
// 128 when the kernel gave the device offloads, else 1. It never changes.
func (d *Device) BatchSize() int { return d.dev.BatchSize() }

// Close removes the routes and addresses the device added, then the device
// itself, and waits for its goroutines to end. It is idempotent: later calls
// return nil.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.closing.Store(true)
	var errs []error
	for p, owned := range d.routes {
		if owned {
			if err := d.nlh.RouteDel(d.route(p)); err != nil && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, newError("remove route", d.name, p, err))
			}
		}
	}
	clear(d.routes)
	if link, err := d.linkLocked(); err == nil {
		for _, p := range d.addrs {
			err := d.nlh.AddrDel(link, &netlink.Addr{IPNet: ipNet(p)})
			if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
				errs = append(errs, newError("remove address", d.name, p, err))
			}
		}
	}
	d.addrs = nil
	// The wireguard device's Close wakes its netlink listener by writing to
	// a pipe. If the listener saw the shutdown on its own first (it was
	// handling an event, such as the address removals above), it has closed
	// that pipe already and the write fails with os.ErrClosed, though the
	// device was closed all the same: not an error. Close runs once, so the
	// descriptor itself cannot be closed twice.
	if err := d.dev.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		errs = append(errs, newError("close", d.name, netip.Prefix{}, err))
	}
	// Closing the last descriptor unregisters a TUN device, but a Read in
	// progress can delay the close(2); delete the link for certain.
	if link, err := d.linkLocked(); err == nil {
		if err := d.nlh.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, newError("delete link", d.name, netip.Prefix{}, err))
		}
	}
	<-d.events
	d.nlh.Close()
	d.log.Info("TUN device removed")
	return errors.Join(errs...)
}

// linkLocked returns the device's link if it still exists under its name.
func (d *Device) linkLocked() (netlink.Link, error) {
	link, err := d.nlh.LinkByIndex(d.index)
	if err != nil {
		return nil, err
	}
	if link.Attrs().Name != d.name {
		return nil, fmt.Errorf("link %d is now named %q", d.index, link.Attrs().Name)
	}
	return link, nil
}

// newError wraps err from op, classifying permission errors. Only EPERM
// means a missing capability: the kernel's EACCES on netlink means other
// things, such as IPv6 disabled on the link.
func newError(op, name string, p netip.Prefix, err error) *Error {
	e := &Error{Op: op, Name: name, Prefix: p, Err: err}
	if errors.Is(err, unix.EPERM) {
		e.Kind = ErrPermission
	}
	return e
}

// closedError is returned by the route methods after Close.
func (d *Device) closedError(op string, p netip.Prefix) error {
	return &Error{Op: op, Name: d.name, Prefix: p, Kind: net.ErrClosed}
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
