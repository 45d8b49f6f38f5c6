package sttcore

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc"
)

// Config configures a Node. Only PrivateKey is required; every other field's
// zero value selects the default documented on it. A Config is copied by
// NewNode and not used after.
type Config struct {
	// PrivateKey is the node seed (stc.GeneratePrivateKey). Required.
	PrivateKey stc.PrivateKey
	// SharedSeed is the network's secret (stc.GenerateSharedSeed). Nodes with
	// different seeds cannot exchange a single answered packet. Empty means
	// an open network: any node that knows this node's public key may connect.
	SharedSeed []byte
	// AcceptPeer decides which remote nodes may open a session with this one.
	// It is called for every HELLO that authenticates. Nil accepts every
	// node of the network.
	AcceptPeer func(stc.PublicKey) bool
	// DisableAES keeps AES-256-GCM out of this node's offer. By default it is
	// offered when the CPU accelerates it, and used when the peer offers it too.
	DisableAES bool

	// Logger receives the node's logs. Nil discards them. Keys are never logged.
	Logger *slog.Logger

	// Protocol timers and limits; zero means the constant of the same name.
	RekeyAfterTime      time.Duration
	RejectAfterTime     time.Duration
	RekeyAfterMessages  uint64
	RejectAfterMessages uint64
	RekeyTimeout        time.Duration
	RekeyAttemptTime    time.Duration
	KeepaliveTimeout    time.Duration
	// PersistentKeepalive, when positive, sends a keepalive on every session
	// that has been silent this long, to hold NAT mappings open. Zero is off.
	PersistentKeepalive time.Duration
	// IdleTimeout closes a session that has received nothing for this long.
	// Zero means 3 × RejectAfterTime; negative means never.
	IdleTimeout time.Duration

	// UnderLoadRate is the number of HELLOs per second above which the node
	// answers HELLOs without a valid cookie (mac2) with a CHALLENGE. Zero
	// means 1000. The handshake queue filling up has the same effect.
	UnderLoadRate int
	// HandshakeQueue is the length of the queue in front of the handshake
	// worker. Zero means 1024.
	HandshakeQueue int
	// MaxPendingSessions bounds sessions that began with a HELLO and are not
	// yet confirmed. Zero means 1024.
	MaxPendingSessions int
	// DatagramQueue is the length of each session's send queue (datagrams
	// staged while a handshake runs) and receive queue. Zero means 1024.
	DatagramQueue int
	// AcceptBacklog is the number of new sessions that wait for Accept. Zero
	// means 128; sessions beyond it are refused.
	AcceptBacklog int

	// CongestionControl chooses the congestion controller of the streams
	// this node sends (each session has its own). The zero value is
	// CongestionCubic; CongestionBBR suits paths with random loss. The two
	// ends of a session may choose differently: it only affects how fast
	// each sends.
	CongestionControl CongestionControl

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// CongestionControl names a congestion controller for streams
// (docs/protocol.md §7.6). Tunnelled IP packets and datagrams are never
// congestion controlled.
type CongestionControl uint8

const (
	// CongestionCubic is CUBIC (RFC 9438) with the window rules of RFC 9002
	// §7: a loss-based controller, which reads every loss as congestion and
	// reduces its window by 30 %. The default.
	CongestionCubic CongestionControl = iota
	// CongestionBBR is BBR version 1
	// (draft-cardwell-iccrg-bbr-congestion-control-00): it paces at the
	// path's estimated bottleneck bandwidth and keeps twice the estimated
	// bandwidth-delay product in flight, and does not slow down for random
	// loss. On a lossy path (radio, a congested Wi-Fi) it is many times
	// faster than CUBIC; it competes harder against loss-based flows on a
	// shared bottleneck with a shallow buffer.
	CongestionBBR
)

// String returns the controller's name: "cubic" or "bbr".
func (c CongestionControl) String() string {
	switch c {
	case CongestionCubic:
		return "cubic"
	case CongestionBBR:
		return "bbr"
	}
	return fmt.Sprintf("CongestionControl(%d)", uint8(c))
}

// populate returns a copy of c with defaults filled in, or an error naming
// the invalid field.
func (c *Config) populate() (*Config, error) {
	if c == nil {
		return nil, errors.New("sttcore: nil Config: a PrivateKey is required")
	}
	cfg := *c
	if cfg.PrivateKey.IsZero() {
		return nil, errors.New("sttcore: Config.PrivateKey is not set: generate one with stc.GeneratePrivateKey")
	}
	if len(cfg.SharedSeed) > 0 && len(cfg.SharedSeed) < stc.MinSharedSeed {
		return nil, fmt.Errorf("sttcore: Config.SharedSeed has %d bytes, want at least %d", len(cfg.SharedSeed), stc.MinSharedSeed)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDuration(&cfg.RekeyAfterTime, RekeyAfterTime)
	setDuration(&cfg.RejectAfterTime, RejectAfterTime)
	setDuration(&cfg.RekeyTimeout, RekeyTimeout)
	setDuration(&cfg.RekeyAttemptTime, RekeyAttemptTime)
	setDuration(&cfg.KeepaliveTimeout, KeepaliveTimeout)
	if cfg.RekeyAfterMessages == 0 {
		cfg.RekeyAfterMessages = RekeyAfterMessages
	}
	if cfg.RejectAfterMessages == 0 {
		cfg.RejectAfterMessages = RejectAfterMessages
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 3 * cfg.RejectAfterTime
	}
	setInt(&cfg.UnderLoadRate, defaultUnderLoadRate)
	setInt(&cfg.HandshakeQueue, defaultHandshakeQueue)
	setInt(&cfg.MaxPendingSessions, defaultMaxPendingSessions)
	setInt(&cfg.DatagramQueue, defaultQueueLen)
	setInt(&cfg.AcceptBacklog, defaultAcceptBacklog)

	switch {
	case cfg.RejectAfterTime <= cfg.RekeyAfterTime:
		return nil, fmt.Errorf("sttcore: Config.RejectAfterTime (%v) must exceed RekeyAfterTime (%v)", cfg.RejectAfterTime, cfg.RekeyAfterTime)
	case cfg.RejectAfterMessages <= cfg.RekeyAfterMessages:
		return nil, fmt.Errorf("sttcore: Config.RejectAfterMessages must exceed RekeyAfterMessages")
	case cfg.RekeyAttemptTime < cfg.RekeyTimeout:
		return nil, fmt.Errorf("sttcore: Config.RekeyAttemptTime (%v) is shorter than RekeyTimeout (%v)", cfg.RekeyAttemptTime, cfg.RekeyTimeout)
	case cfg.UnderLoadRate < 0 || cfg.HandshakeQueue < 8 || cfg.MaxPendingSessions < 0 || cfg.DatagramQueue < 0 || cfg.AcceptBacklog < 0:
		return nil, errors.New("sttcore: Config has a negative limit, or HandshakeQueue below 8")
	case cfg.CongestionControl > CongestionBBR:
		return nil, fmt.Errorf("sttcore: Config.CongestionControl is %v: want CongestionCubic or CongestionBBR", cfg.CongestionControl)
	}
	return &cfg, nil
}

// rekeyOnReceiveAge is the age at which the initiator of a keypair that only
// receives starts a handshake, so that it has new keys before the old ones
// expire (RejectAfterTime − KeepaliveTimeout − RekeyTimeout in WireGuard).
func (c *Config) rekeyOnReceiveAge() time.Duration {
	d := c.RejectAfterTime - c.KeepaliveTimeout - c.RekeyTimeout
	if d < c.RekeyAfterTime {
		d = c.RekeyAfterTime + (c.RejectAfterTime-c.RekeyAfterTime)/2
	}
	return d
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func setInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}
