package overlay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/internal/schedkeep"
	"github.com/seigr/stt-tun/routing"
	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// maintainInterval is how often the engine looks after its peers: sessions
// to reopen for peers with a persistent keepalive, host names to resolve again.
const maintainInterval = 2 * time.Second

// silentAfter: a peer with a host name endpoint from which nothing has been
// heard for this long has its name resolved again.
const silentAfter = 30 * time.Second

// Engine is a running VPN: a device, a node and the peers between them.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	dev    Device
	node   *sttcore.Node
	table  atomic.Pointer[routing.Table[*peer]] // replaced whole by SetPeers
	icmp   icmpResponder
	rx     rxBatch           // the inbound write batch, owned by the node's receive goroutine
	keeper *schedkeep.Keeper // nil with Config.NoSchedulerKeeper
	counts struct {
		noRoute, icmpSent, malformed, writeErrors atomic.Uint64
	}

	mu    sync.Mutex // serialises SetPeers
	peers atomic.Pointer[map[stc.PublicKey]*peer]

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool

	failOnce sync.Once
	failErr  error
	done     chan struct{} // closed when the engine can no longer work
}

// New starts an engine. On error nothing is left running; the device is not
// closed (the caller still owns it).
func New(cfg Config) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ResolveTimeout == 0 {
		cfg.ResolveTimeout = 5 * time.Second
	}
	e := &Engine{
		cfg: cfg,
		log: cfg.Logger,
		dev: cfg.Device,
	}
	empty := map[stc.PublicKey]*peer{}
	e.peers.Store(&empty)
	e.table.Store(routing.New[*peer]())
	e.icmp.init(cfg.Addresses)
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.done = make(chan struct{})

	nodeCfg := cfg.Node
	nodeCfg.AcceptPeer = func(k stc.PublicKey) bool { return e.peer(k) != nil }
	nodeCfg.IdleTimeout = -1
	if nodeCfg.Logger == nil {
		nodeCfg.Logger = cfg.Logger
	}
	if err := e.SetPeers(cfg.Peers); err != nil {
		e.cancel()
		return nil, err
	}
	node, err := sttcore.Listen(cfg.ListenAddr, &nodeCfg)
	if err != nil {
		e.cancel()
		return nil, fmt.Errorf("overlay: %w", err)
	}
	e.node = node
	if !cfg.NoSchedulerKeeper {
		// Before HandleIP and the device reader, which nudge it.
		e.keeper = schedkeep.New(e.activity, schedkeep.Config{})
	}
	node.HandleIP(e)

	e.wg.Add(3)
	go e.routineReadFromTUN()
	go e.routineAccept()
	go e.routineMaintain()
	if e.keeper != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.keeper.Run(e.ctx)
		}()
	}
	// Handshake with every peer we can reach at once, so the tunnel is up
	// before the first packet needs it.
	for _, p := range e.allPeers() {
		if p.config().Endpoint != "" {
			e.connect(p)
		}
	}
	e.log.Info("engine started", "peers", len(cfg.Peers), "listen", node.LocalAddr().String())
	return e, nil
}

// Done is closed when the engine stopped working on its own (its device or
// its node's transport failed for good); Err then says why. The caller
// should Close it.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Err is the reason Done was closed, or nil.
func (e *Engine) Err() error {
	select {
	case <-e.done:
		return e.failErr
	default:
		return nil
	}
}

func (e *Engine) fail(err error) {
	e.failOnce.Do(func() {
		e.failErr = err
		e.log.Error("engine failed", "err", err)
		close(e.done)
	})
}

// Node returns the engine's STT node.
func (e *Engine) Node() *sttcore.Node { return e.node }

// Close stops the engine: the peers are told, then the node and the device
// are closed. It is idempotent.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.cancel()
	errNode := e.node.Close()
	errDev := e.dev.Close()
	e.wg.Wait()
	e.log.Info("engine stopped")
	return errors.Join(errNode, errDev)
}

func (e *Engine) peer(k stc.PublicKey) *peer { return (*e.peers.Load())[k] }

// nudgeKeeper starts an idle scheduler keeper at once: packets flow.
func (e *Engine) nudgeKeeper() {
	if e.keeper != nil {
		e.keeper.Nudge()
	}
}

// activity is a counter that moves while packets flow through the tunnel.
func (e *Engine) activity() uint64 {
	var n uint64
	for _, p := range *e.peers.Load() {
		n += p.txPackets.Load() + p.rxPackets.Load()
	}
	return n
}

func (e *Engine) allPeers() []*peer {
	m := *e.peers.Load()
	out := make([]*peer, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *peer) int {
		if a.key.Less(b.key) {
			return -1
		}
		return 1
	})
	return out
}

// SetPeers replaces the set of peers: new ones are added, missing ones
// removed (their sessions closed), changed ones updated in place, keeping
// their sessions. It fails, changing nothing, when two peers share a public
// key or claim the same prefix.
func (e *Engine) SetPeers(cfgs []PeerConfig) error {
	e.mu.Lock()
	defer e.mu.Unlock()

	claims := make([]routing.PeerPrefixes[string], 0, len(cfgs))
	seen := make(map[stc.PublicKey]string, len(cfgs))
	for _, c := range cfgs {
		if other, dup := seen[c.PublicKey]; dup {
			return fmt.Errorf("overlay: peers %q and %q have the same public key", other, c.Name)
		}
		seen[c.PublicKey] = c.Name
		claims = append(claims, routing.PeerPrefixes[string]{Peer: c.Name, Prefixes: c.AllowedIPs})
	}
	for _, c := range routing.CheckOverlaps(claims) {
		if !c.SamePeer {
			return fmt.Errorf("overlay: peers %q and %q both claim %v", c.First, c.Second, c.Prefix)
		}
	}

	// Build the new routing table first: a failure changes nothing. The
	// table is swapped in whole, so a prefix may move between peers.
	old := *e.peers.Load()
	next := make(map[stc.PublicKey]*peer, len(cfgs))
	table := routing.New[*peer]()
	for _, c := range cfgs {
		p := old[c.PublicKey]
		if p == nil {
			p = &peer{engine: e, key: c.PublicKey}
		}
		if err := table.SetPeer(p, c.AllowedIPs); err != nil {
			return fmt.Errorf("overlay: peer %q: %w", c.Name, err)
		}
		next[c.PublicKey] = p
	}
	for _, c := range cfgs {
		p := next[c.PublicKey]
		p.mu.Lock()
		endpointChanged := p.cfg.Endpoint != c.Endpoint
		p.cfg = c
		if endpointChanged {
			p.endpoint, p.resolved = netip.AddrPort{}, time.Time{}
		}
		p.mu.Unlock()
		if ep, err := netip.ParseAddrPort(c.Endpoint); err == nil {
			p.mu.Lock()
			p.endpoint = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
			p.mu.Unlock()
		}
		if s := p.liveSession(); s != nil {
			s.SetPersistentKeepalive(c.PersistentKeepalive)
			if endpointChanged {
				if ep := p.currentEndpoint(); ep.IsValid() {
					s.SetEndpoint(ep)
				}
			}
		}
	}
	e.table.Store(table)
	e.peers.Store(&next)
	for k, p := range old {
		if next[k] == nil {
			if s := p.liveSession(); s != nil {
				_ = s.CloseWithError(0, "peer removed from configuration")
			}
		}
	}
	if r, ok := e.dev.(Routes); ok {
		var all []netip.Prefix
		for _, p := range next {
			all = append(all, p.config().AllowedIPs...)
		}
		if err := r.SetRoutes(all); err != nil {
			return fmt.Errorf("overlay: routes: %w", err)
		}
	}
	if e.node != nil {
		for _, p := range next {
			if old[p.key] == nil && p.config().Endpoint != "" {
				e.connect(p)
			}
		}
	}
	return nil
}

// connect opens a session with p if it has none and an endpoint is known.
func (e *Engine) connect(p *peer) *sttcore.Session {
	if s := p.liveSession(); s != nil {
		return s
	}
	// Without a known endpoint (a host name still resolving, or a peer that
	// only calls in) the session is opened anyway: packets wait in its queue
	// until the handshake can complete.
	ep := p.currentEndpoint()
	if !ep.IsValid() {
		e.resolveAsync(p)
	}
	s, err := e.node.Open(p.key, ep)
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			e.log.Warn("opening session", "peer", p.config().Name, "err", err)
		}
		return nil
	}
	s.SetPersistentKeepalive(p.config().PersistentKeepalive)
	p.session.Store(s)
	return s
}

// routineAccept adopts the sessions that peers open with us.
func (e *Engine) routineAccept() {
	defer e.wg.Done()
	for {
		s, err := e.node.Accept(e.ctx)
		if err != nil {
			// Unless the engine is closing, the node stopped on its own:
			// its transport failed for good. The engine cannot work on.
			if e.ctx.Err() == nil {
				if nerr := e.node.Err(); nerr != nil {
					e.fail(fmt.Errorf("overlay: the node stopped: %w", nerr))
				}
			}
			return
		}
		p := e.peer(s.RemotePublicKey())
		if p == nil { // removed since AcceptPeer said yes
			_ = s.CloseWithError(0, "unknown peer")
			continue
		}
		s.SetPersistentKeepalive(p.config().PersistentKeepalive)
		p.session.Store(s)
		e.log.Info("peer connected", "peer", p.config().Name, "endpoint", s.RemoteAddr().String())
	}
}

// routineMaintain reopens sessions of peers that want a permanent tunnel
// (persistent keepalive) and resolves host names of silent peers again.
func (e *Engine) routineMaintain() {
	defer e.wg.Done()
	tick := time.NewTicker(maintainInterval)
	defer tick.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		for _, p := range e.allPeers() {
			cfg := p.config()
			s := p.liveSession()
			if cfg.Endpoint != "" {
				if _, err := netip.ParseAddrPort(cfg.Endpoint); err != nil { // a host name
					silent := s == nil || now.Sub(s.Stats().LastHandshake) > silentAfter+sttcore.RejectAfterTime
					p.mu.Lock()
					stale := !p.endpoint.IsValid() || now.Sub(p.resolved) > silentAfter
					p.mu.Unlock()
					if silent && stale {
						e.resolveAsync(p)
					}
				}
			}
			if s == nil && cfg.PersistentKeepalive > 0 {
				e.connect(p)
			}
		}
	}
}

// resolveAsync resolves the peer's host name in the background; one
// resolution per peer at a time.
func (e *Engine) resolveAsync(p *peer) {
	p.mu.Lock()
	name := p.cfg.Endpoint
	if name == "" || p.resolving || e.ctx.Err() != nil {
		p.mu.Unlock()
		return
	}
	p.resolving = true
	p.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx, cancel := context.WithTimeout(e.ctx, e.cfg.ResolveTimeout)
		defer cancel()
		ep, err := resolve(ctx, name)
		p.mu.Lock()
		p.resolving = false
		changed := false
		if err == nil && p.cfg.Endpoint == name {
			changed = p.endpoint != ep
			p.endpoint, p.resolved = ep, time.Now()
		}
		p.mu.Unlock()
		if err != nil {
			e.log.Warn("resolving peer endpoint", "peer", p.config().Name, "endpoint", name, "err", err)
			return
		}
		if s := p.liveSession(); s != nil && changed {
			s.SetEndpoint(ep)
		}
	}()
}

func resolve(ctx context.Context, hostport string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("%s has no address", host)
	}
	pn, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	// Prefer IPv4, which every underlay here has; IPv6 when it is all.
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		if a.Unmap().Is4() == b.Unmap().Is4() {
			return 0
		}
		if a.Unmap().Is4() {
			return -1
		}
		return 1
	})
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(pn)), nil
}
