package sttcore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/sttcore/handshake"
	"github.com/seigr/stt-tun/sttcore/internal/ratelimiter"
	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
	"github.com/seigr/stt-tun/sttcore/transport"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// FrameHandler handles an application frame (types 0x80–0xff) received on a
// session. data is valid only during the call. Handlers run on the node's
// receive goroutine: a handler that blocks stalls every session of the node,
// and one that calls Node.Close never returns (Close waits for that
// goroutine); close the node from another goroutine.
type FrameHandler func(s *Session, data []byte)

// IPReceiver receives tunnelled IP packets (IP frames), in batches: the
// packets of one batch read from the transport are handed over one by one,
// then FlushIP is called. Both run on the node's receive goroutine, so a
// receiver needs no lock of its own for what only they touch.
type IPReceiver interface {
	// ReceiveIP is given one packet, buf[offset:]. The bytes in front of it
	// (offset is at least IPHeadroom) and buf's spare capacity may be
	// overwritten, so that a device's headers can be written in place. buf
	// stays valid until FlushIP returns.
	ReceiveIP(s *Session, buf []byte, offset int)
	// FlushIP is called after the last packet of a batch.
	FlushIP()
}

// IPHandler is an IPReceiver for one packet at a time: the packet is valid
// only during the call.
type IPHandler func(s *Session, packet []byte)

// ReceiveIP calls h with buf[offset:].
func (h IPHandler) ReceiveIP(s *Session, buf []byte, offset int) { h(s, buf[offset:]) }

// FlushIP does nothing.
func (IPHandler) FlushIP() {}

// Node is one STT endpoint: a static identity on one transport, holding
// sessions with any number of peers. Its methods are safe for concurrent use.
type Node struct {
	cfg      *Config
	log      *slog.Logger
	identity *handshake.Identity
	nk       stc.NetworkKey
	suites   stc.Suite
	checker  *stc.CookieChecker
	limiter  *ratelimiter.Limiter
	conn     transport.Conn

	index indexTable

	mu         sync.Mutex
	sessions   map[stc.PublicKey]*Session
	pending    int
	lastHello  map[stc.PublicKey]tai64n.Timestamp // outlives sessions: replayed HELLOs stay refused
	helloFloor tai64n.Timestamp                   // the newest timestamp evicted from lastHello
	closed     bool

	acceptQ chan *Session
	hsQ     chan handshakePacket // HELLOs without a proven source address
	hsPrio  chan handshakePacket // HELLOs with a valid cookie, RESPONSEs and CHALLENGEs

	underLoadUntil atomic.Int64 // unix nanoseconds

	tsMu     sync.Mutex
	lastSent tai64n.Timestamp // the newest HELLO timestamp this node sent
	handlers atomic.Pointer[map[wire.FrameType]FrameHandler]
	ipRecv   atomic.Pointer[IPReceiver]

	stats struct {
		handshakes, challenges atomic.Uint64
		packets, bytes         atomic.Uint64
		drops                  dropCounters
	}

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	// Owned by routineReceive.
	rateStart time.Time
	rateCount int
	parser    *wire.FrameParser
}

// maxLastHello bounds the map of HELLO timestamps of peers without a session.
const maxLastHello = 4096

// Listen opens a UDP socket on addr ("host:port", e.g. ":7000" or
// "127.0.0.1:0") and starts a node on it.
func Listen(addr string, cfg *Config) (*Node, error) {
	conn, err := transport.ListenUDP(addr)
	if err != nil {
		return nil, fmt.Errorf("sttcore: listen: %w", err)
	}
	n, err := NewNode(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return n, nil
}

// NewNode starts a node on an open transport, which it owns from then on.
func NewNode(conn transport.Conn, cfg *Config) (*Node, error) {
	c, err := cfg.populate()
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg:       c,
		log:       c.Logger,
		identity:  handshake.NewIdentity(c.PrivateKey),
		suites:    stc.LocalSuites(!c.DisableAES),
		conn:      conn,
		sessions:  make(map[stc.PublicKey]*Session),
		lastHello: make(map[stc.PublicKey]tai64n.Timestamp),
		acceptQ:   make(chan *Session, c.AcceptBacklog),
		hsQ:       make(chan handshakePacket, c.HandshakeQueue),
		hsPrio:    make(chan handshakePacket, c.HandshakeQueue),
		parser:    wire.NewFrameParser(),
	}
	if len(c.SharedSeed) > 0 {
		n.nk = stc.DeriveNetworkKey(c.SharedSeed)
	}
	n.checker = stc.NewCookieChecker(n.identity.Public, n.nk, c.Now)
	n.limiter = ratelimiter.New(ratelimiter.Config{Now: c.Now})
	n.index.init()
	n.ctx, n.cancel = context.WithCancelCause(context.Background())
	n.wg.Add(2)
	go n.routineReceive()
	go n.routineHandshake()
	n.log.Info("node started", "public_key", n.identity.Public.String(), "addr", conn.LocalAddr().String(), "suites", n.suites.String())
	return n, nil
}

// PublicKey returns the node's public key.
func (n *Node) PublicKey() stc.PublicKey { return n.identity.Public }

// LocalAddr returns the address the node receives on.
func (n *Node) LocalAddr() netip.AddrPort { return n.conn.LocalAddr() }

func (n *Node) now() time.Time { return n.cfg.Now() }

// HandleFrame registers h for application frames of type t (0x80–0xff),
// replacing any earlier handler; a nil h removes it. Frames of a type without
// a handler are counted and ignored.
func (n *Node) HandleFrame(t wire.FrameType, h FrameHandler) error {
	if !t.IsApplication() {
		return fmt.Errorf("sttcore: frame type %#02x is not an application type (0x80-0xff)", uint8(t))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	m := make(map[wire.FrameType]FrameHandler)
	if old := n.handlers.Load(); old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	if h == nil {
		delete(m, t)
	} else {
		m[t] = h
	}
	n.handlers.Store(&m)
	return nil
}

// HandleIP registers the receiver of tunnelled IP packets; nil removes it.
// An IPHandler function is one.
func (n *Node) HandleIP(r IPReceiver) {
	if r == nil {
		n.ipRecv.Store(nil)
		return
	}
	n.ipRecv.Store(&r)
}

// Dial returns a session with the node of public key peer, reached at addr
// ("host:port"; a host name is resolved once). If a session with peer exists
// it is returned, once established. Dial blocks until the handshake
// completes, ctx ends, or the handshake times out (ErrHandshakeTimeout).
func (n *Node) Dial(ctx context.Context, peer stc.PublicKey, addr string) (*Session, error) {
	ep, err := resolve(ctx, addr)
	if err != nil {
		return nil, err
	}
	return n.DialAddrPort(ctx, peer, ep)
}

// DialAddrPort is Dial with a resolved address.
func (n *Node) DialAddrPort(ctx context.Context, peer stc.PublicKey, ep netip.AddrPort) (*Session, error) {
	s, created, err := n.open(peer, ep)
	if err != nil {
		return nil, err
	}
	select {
	case <-s.established:
		return s, nil
	case <-s.ctx.Done():
		return nil, context.Cause(s.ctx)
	case <-ctx.Done():
		if created && !s.isEstablished() {
			s.terminate(ctx.Err())
		}
		return nil, ctx.Err()
	}
}

// Open returns the session with peer without waiting for its handshake:
// the existing one, or a new one whose handshake starts at once. Datagrams
// sent before it is established are staged (Config.DatagramQueue). ep is
// where to send the first HELLO; for an existing session that is not yet
// established it replaces the endpoint. ep may be the zero AddrPort when
// the peer's address is not known yet: the session then waits for the peer
// to call in, or for SetEndpoint. Open is what a tunnel engine calls
// for every packet to a peer without a live session.
func (n *Node) Open(peer stc.PublicKey, ep netip.AddrPort) (*Session, error) {
	s, _, err := n.open(peer, ep)
	return s, err
}

func (n *Node) open(peer stc.PublicKey, ep netip.AddrPort) (s *Session, created bool, err error) {
	if peer.Equal(n.identity.Public) {
		return nil, false, ErrSelf
	}
	if err := peer.Check(); err != nil {
		return nil, false, fmt.Errorf("sttcore: dial: %w", err)
	}
	n.mu.Lock()
	if n.closed || n.ctx.Err() != nil {
		n.mu.Unlock()
		return nil, false, n.closedErr()
	}
	s = n.sessions[peer]
	if s == nil {
		s = n.newSessionLocked(peer, ep, false)
		created = true
	}
	s.dialed = true
	n.mu.Unlock()
	if !s.isEstablished() {
		if ep.IsValid() {
			s.setEndpoint(ep)
		}
		// Also for a session a HELLO began and nothing confirmed (the
		// peer may have given up, or the HELLO was a replay): Dial must
		// not wait for a handshake nobody runs.
		s.wantHandshake()
	}
	return s, created, nil
}

// Accept returns the next session opened by a remote node, once its first
// packet has confirmed the handshake.
func (n *Node) Accept(ctx context.Context) (*Session, error) {
	select {
	case s := <-n.acceptQ:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-n.ctx.Done():
		return nil, n.closedErr()
	}
}

// Session returns the open session with peer, if any.
func (n *Node) Session(peer stc.PublicKey) (*Session, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.sessions[peer]
	return s, ok
}

// Sessions returns every open session.
func (n *Node) Sessions() []*Session {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*Session, 0, len(n.sessions))
	for _, s := range n.sessions {
		out = append(out, s)
	}
	return out
}

// Stats returns the node's counters.
func (n *Node) Stats() NodeStats {
	n.mu.Lock()
	sessions, pending := len(n.sessions), n.pending
	n.mu.Unlock()
	return NodeStats{
		Sessions:        sessions,
		PendingSessions: pending,
		Indices:         n.index.len(),
		HandshakesDone:  n.stats.handshakes.Load(),
		ChallengesSent:  n.stats.challenges.Load(),
		PacketsReceived: n.stats.packets.Load(),
		BytesReceived:   n.stats.bytes.Load(),
		Drops:           n.stats.drops.snapshot(),
	}
}

// Done is closed when the node stops: after Close, or when reading from its
// transport failed for good (ten times in a row). Err then says why; the
// caller should still Close it.
func (n *Node) Done() <-chan struct{} { return n.ctx.Done() }

// Err returns nil while the node runs, ErrNodeClosed after Close, and an
// error wrapping both ErrNodeClosed and the transport's error when the node
// stopped because reading from the transport failed for good.
func (n *Node) Err() error {
	if n.ctx.Err() == nil {
		return nil
	}
	return context.Cause(n.ctx)
}

// closedErr is what the node's methods return once it has stopped: why it
// stopped, which wraps ErrNodeClosed.
func (n *Node) closedErr() error {
	if err := n.Err(); err != nil {
		return err
	}
	return ErrNodeClosed
}

// Close closes every session (telling each peer), then the transport, and
// waits for the node's goroutines to end. It is idempotent.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	sessions := make([]*Session, 0, len(n.sessions))
	for _, s := range n.sessions {
		sessions = append(sessions, s)
	}
	n.mu.Unlock()
	for _, s := range sessions {
		_ = s.CloseWithError(0, "node closed")
	}
	n.cancel(ErrNodeClosed)
	err := n.conn.Close()
	n.wg.Wait()
	n.log.Info("node closed")
	return err
}

// drop counts a dropped packet, on the session too when there is one.
func (n *Node) drop(r DropReason, s *Session) {
	n.stats.drops.add(r)
	if s != nil {
		s.counters.drops.add(r)
	}
}

func (n *Node) newSessionLocked(peer stc.PublicKey, ep netip.AddrPort, byHello bool) *Session {
	s := newSession(n, peer, ep, byHello)
	n.sessions[peer] = s
	if byHello {
		n.pending++
	}
	n.wg.Add(1)
	go s.run()
	return s
}

// removeSession forgets s (if it is still the session for its peer).
func (n *Node) removeSession(s *Session) {
	n.mu.Lock()
	if n.sessions[s.remote] == s {
		delete(n.sessions, s.remote)
	}
	if s.byHello && !s.announced {
		n.pending--
	}
	n.mu.Unlock()
}

// rememberHello records the latest HELLO timestamp of peer; it refuses one
// that is not newer than the last.
func (n *Node) rememberHello(peer stc.PublicKey, ts tai64n.Timestamp) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	last, ok := n.lastHello[peer]
	if !ok {
		// A peer we forgot (or never saw) must still beat every timestamp
		// we forgot: otherwise an old HELLO of an evicted peer would be
		// answered again.
		last = n.helloFloor
	}
	if !ts.After(last) {
		return false
	}
	if !ok && len(n.lastHello) >= maxLastHello {
		for k, v := range n.lastHello { // evict one peer without a session
			if _, live := n.sessions[k]; !live {
				if v.After(n.helloFloor) {
					n.helloFloor = v
				}
				delete(n.lastHello, k)
				break
			}
		}
	}
	n.lastHello[peer] = ts
	return true
}

// errNoEndpoint is returned when a session has nowhere to send yet: its
// peer's address is unknown until the peer calls in.
var errNoEndpoint = errors.New("sttcore: no endpoint known for the peer yet")

func (n *Node) writeTo(b []byte, ep netip.AddrPort) error {
	if !ep.IsValid() {
		return errNoEndpoint
	}
	bufs := [1][]byte{b}
	return n.conn.WriteBatch(bufs[:], ep)
}

func resolve(ctx context.Context, addr string) (netip.AddrPort, error) {
	if ep, err := netip.ParseAddrPort(addr); err == nil {
		return ep, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("sttcore: address %q: %w", addr, err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("sttcore: resolving %q: %w", host, err)
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("sttcore: %q has no address", host)
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("sttcore: port %q: %w", port, err)
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(p)), nil
}
