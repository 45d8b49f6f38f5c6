package overlay

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// Device is the TUN device the engine reads and writes, in batches with
// header room in front of each packet (golang.zx2c4.com/wireguard/tun's
// contract; stt-tun's tun.Device and tuntest.ChannelTUN implement it).
type Device interface {
	Read(bufs [][]byte, sizes []int, offset int) (n int, err error)
	Write(bufs [][]byte, offset int) (int, error)
	BatchSize() int
	Close() error
}

// Routes is implemented by devices that can point kernel routes at
// themselves; the engine keeps them equal to the peers' allowed prefixes.
type Routes interface {
	SetRoutes(pfxs []netip.Prefix) error
}

// PeerConfig describes one peer.
type PeerConfig struct {
	Name       string
	PublicKey  stc.PublicKey
	Endpoint   string // "host:port"; empty when the peer is only reached by its own handshakes
	AllowedIPs []netip.Prefix
	// PersistentKeepalive sends a keepalive after this much silence, to
	// hold NAT mappings open. Zero is off.
	PersistentKeepalive time.Duration
}

// Config configures an Engine.
type Config struct {
	Device Device
	// Node configures the STT node; the engine sets its AcceptPeer (only
	// configured peers), IdleTimeout (never: peers are permanent) and
	// Logger (when nil).
	Node sttcore.Config
	// ListenAddr is the UDP address of the node, e.g. ":51820".
	ListenAddr string
	// Addresses are the interface's own addresses: ICMP errors come from them.
	Addresses []netip.Prefix
	Peers     []PeerConfig
	Logger    *slog.Logger
	// ResolveTimeout bounds each resolution of a peer's host name. Zero
	// means 5 s.
	ResolveTimeout time.Duration
	// NoSchedulerKeeper turns off what keeps the Go runtime's monitor
	// thread out of its deep sleep while packets flow (internal/schedkeep).
	// With it off, the process makes about 200 fewer wake-ups a second
	// while traffic flows, and every packet that arrives after an idle
	// moment waits longer (ping rises by 50–100 µs on the test machine).
	NoSchedulerKeeper bool
}

func (c *Config) validate() error {
	if c.Device == nil {
		return errors.New("overlay: Config.Device is nil")
	}
	if c.Device.BatchSize() < 1 {
		return fmt.Errorf("overlay: device batch size %d", c.Device.BatchSize())
	}
	return nil
}
