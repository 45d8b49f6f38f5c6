// Package tun owns the VPN's TUN device: it creates the interface with
// virtio-net offloads, sets its MTU, adds its IPv4 and IPv6 addresses, brings
// the link up, keeps the routes it installed, and removes all of it again.
//
// A program needs three calls:
//
//	dev, err := tun.Create(tun.Config{Name: "stt0", Addresses: addrs})
//	n, err := dev.Read(bufs, sizes, offset) // and dev.Write(bufs, offset)
//	err = dev.Close()
//
// The packet path is golang.zx2c4.com/wireguard/tun: Read and Write move
// batches of up to BatchSize packets, each placed offset bytes into its
// buffer so that a tunnel header can be written in front of it in place. On
// kernels with IFF_VNET_HDR, wireguard's device turns on TSO (and USO from
// Linux 6.2) and hides the virtio-net header: a Read splits one large
// segmented packet into MTU-sized packets, and a Write coalesces packets of
// one flow (GRO) before handing them to the kernel.
//
// Configuration goes through netlink (github.com/vishvananda/netlink). The
// device is created in the network namespace of the calling OS thread; every
// later method keeps working in that namespace from any goroutine, because
// the device keeps its own netlink sockets and file descriptor. IPv6 address
// autoconfiguration is turned off (addrgenmode none, no link-local address)
// and IPv6 addresses are added with IFA_F_NODAD, so they are usable at once.
//
// This package leaves to others: which routes exist (package routing decides,
// and calls SetRoutes on reloads), which peer a packet goes to, and the
// packets' contents. It does not watch for changes others make to the link.
//
// Concurrency: Read and Write may be called from one reader and one writer
// goroutine at the same time as each other and as the route methods;
// concurrent Reads (or Writes) are serialised by the wireguard device. The
// route methods, Routes, Addresses and Close are safe for concurrent use.
// After Close, Read and Write return os.ErrClosed and the route methods return
// an error that wraps net.ErrClosed.
//
// Errors are *Error values (and *ConfigError for invalid configurations) that
// say how to fix the problem; branch on them with errors.Is and the sentinels
// ErrPermission, ErrNoTUNDevice, ErrNameInUse, ErrRouteExists,
// ErrInvalidConfig, ErrInvalidPrefix and ErrNotSupported.
//
// Only Linux is supported; elsewhere Create returns ErrNotSupported.
//
// Tests in other packages that need a device without root can use
// golang.zx2c4.com/wireguard/tun/tuntest: its ChannelTUN is an in-memory
// tun.Device fed through Inbound and Outbound channels, and tuntest.Ping
// builds a valid ICMP echo packet. This package therefore has no tuntest of
// its own.
package tun
