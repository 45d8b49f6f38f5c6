//go:build !linux

package tun

import (
	"net/netip"

	wgtun "golang.zx2c4.com/wireguard/tun"
)

// Device is a TUN interface. On this platform none can be created.
type Device struct {
	name string
	mtu  int
}

// Create validates cfg and returns ErrNotSupported: only Linux is supported.
func Create(cfg Config) (*Device, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return nil, &Error{Op: "create", Name: cfg.Name, Kind: ErrNotSupported}
}

// Name returns the interface name.
func (d *Device) Name() string { return d.name }

// MTU returns the MTU the device was created with.
func (d *Device) MTU() int { return d.mtu }

// Addresses returns the interface addresses Create added.
func (d *Device) Addresses() []netip.Prefix { return nil }

// Inner returns the wireguard device; nil on this platform.
func (d *Device) Inner() wgtun.Device { return nil }

// Read returns ErrNotSupported.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	return 0, d.unsupported("read")
}

// Write returns ErrNotSupported.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	return 0, d.unsupported("write")
}

// BatchSize returns 1.
func (d *Device) BatchSize() int { return 1 }

// AddRoute returns ErrNotSupported.
func (d *Device) AddRoute(pfx netip.Prefix) error { return d.unsupported("add route") }

// RemoveRoute returns ErrNotSupported.
func (d *Device) RemoveRoute(pfx netip.Prefix) error { return d.unsupported("remove route") }

// SetRoutes returns ErrNotSupported.
func (d *Device) SetRoutes(pfxs []netip.Prefix) error { return d.unsupported("set routes") }

// Routes returns nil.
func (d *Device) Routes() []netip.Prefix { return nil }

// Close returns nil.
func (d *Device) Close() error { return nil }

func (d *Device) unsupported(op string) error {
	return &Error{Op: op, Name: d.name, Kind: ErrNotSupported}
}
