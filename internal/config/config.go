package config

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/seigr/stt-tun/internal/schedpolicy"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// Defaults and limits. A key that is absent from the file takes the default
// of the same name.
const (
	DefaultName       = "stt0"
	DefaultListenPort = 51820
	DefaultMTU        = 1419 // tun.DefaultMTU: 1500 - 48 (IPv6, UDP) - 33 (STT)
	DefaultLogLevel   = slog.LevelInfo
	// DefaultTxQueueLen is the device queue's length in packets
	// (tun.DefaultTxQueueLen), MaxTxQueueLen the longest accepted
	// (tun.MaxTxQueueLen).
	DefaultTxQueueLen = 4000
	MaxTxQueueLen     = 1 << 20
	// DefaultScheduling is the CPU scheduling policy of the daemon's threads.
	DefaultScheduling = schedpolicy.Batch

	// MinMTU is the smallest MTU accepted (the IPv4 minimum datagram size
	// every host must accept), MinMTUIPv6 the smallest when the interface
	// has an IPv6 address (RFC 8200), MaxMTU the largest.
	MinMTU     = 576
	MinMTUIPv6 = 1280
	MaxMTU     = 65535

	// MaxNameLen is the longest interface name Linux accepts (IFNAMSIZ-1).
	MaxNameLen = 15
	// MaxPeerNameLen is the longest peer name accepted.
	MaxPeerNameLen = 64
	// MaxPersistentKeepalive is the longest keepalive interval, as in
	// WireGuard (16 bits of seconds).
	MaxPersistentKeepalive = 65535 * time.Second
	// maxSocketPath is the longest path of a unix socket (sun_path less its
	// terminating NUL on Linux).
	maxSocketPath = 107
)

// DefaultControlSocket returns the control socket path used when the file
// names none: /run/stt-tun/<name>.sock.
func DefaultControlSocket(name string) string { return "/run/stt-tun/" + name + ".sock" }

// Config is a validated stt-tun configuration.
type Config struct {
	// Path is the file the configuration was read from, as given to Load
	// or Parse.
	Path      string
	Interface Interface
	Peers     []Peer
}

// Interface is the [interface] section: this node and its TUN device.
type Interface struct {
	// Name is the TUN device name (1 to 15 bytes, no '/', ':' or space).
	Name string
	// PrivateKey is the node seed, read from private_key_file or
	// private_key. It formats as a placeholder, never as the key.
	PrivateKey stc.PrivateKey
	// SharedSeed is the network secret, or nil for an open network.
	SharedSeed []byte
	// Addresses are the interface addresses with their prefix lengths, as
	// written (the host part is kept). There is at least one.
	Addresses []netip.Prefix
	// ListenPort is the UDP port; 0 picks a random one.
	ListenPort uint16
	// MTU of the TUN device.
	MTU int
	// TxQueueLen is the length of the TUN device's queue in packets: what
	// the kernel holds for the daemon to read during a burst.
	TxQueueLen int
	// Scheduling is the CPU scheduling policy of the daemon's threads
	// (package schedpolicy says why batch is the default).
	Scheduling schedpolicy.Policy
	// ControlSocket is the absolute path of the control socket.
	ControlSocket string
	// LogLevel is one of slog.LevelDebug, LevelInfo, LevelWarn, LevelError.
	LogLevel slog.Level
	// MetricsAddress is the host:port of the Prometheus listener, or empty
	// when metrics are off.
	MetricsAddress string
}

// Peer is one [[peer]] section.
type Peer struct {
	// Name labels the peer in logs and status output; unique in a file.
	Name string
	// PublicKey identifies the peer; unique in a file and not the node's own.
	PublicKey stc.PublicKey
	// Endpoint is where to reach the peer, "host:port" with IPv6 literals
	// in brackets, or empty if the peer calls in. Host names are kept as
	// written and resolved by the caller.
	Endpoint string
	// AllowedIPs are the prefixes routed to the peer and accepted as source
	// addresses from it, in canonical form (host bits masked, IPv4-mapped
	// IPv6 prefixes unmapped), as package routing keeps them. No prefix is
	// listed twice in one file.
	AllowedIPs []netip.Prefix
	// PersistentKeepalive is the keepalive interval; 0 is off.
	PersistentKeepalive time.Duration
}
