package overlay

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// peer is one configured peer. Its session comes and goes (the peer may
// close it, restart or fail to answer); the peer stays until removed.
type peer struct {
	engine *Engine
	key    stc.PublicKey

	mu        sync.Mutex // guards cfg and endpoint
	cfg       PeerConfig
	endpoint  netip.AddrPort // resolved cfg.Endpoint; invalid when unknown
	resolved  time.Time
	resolving bool

	session atomic.Pointer[sttcore.Session]

	txPackets, txBytes atomic.Uint64 // IP packets handed to the session
	rxPackets, rxBytes atomic.Uint64 // IP packets written to the device
	dropSource         atomic.Uint64 // inner source outside the peer's prefixes
	dropMalformed      atomic.Uint64 // not an IP packet, or its length is wrong
	dropNoSession      atomic.Uint64 // no session could be opened (the node is closing)
	dropSend           atomic.Uint64 // the session refused the packet
}

func (p *peer) config() PeerConfig {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

func (p *peer) currentEndpoint() netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.endpoint
}

// liveSession returns the peer's session if it has one that has not ended.
func (p *peer) liveSession() *sttcore.Session {
	s := p.session.Load()
	if s != nil && s.Context().Err() != nil {
		p.session.CompareAndSwap(s, nil)
		return nil
	}
	return s
}
