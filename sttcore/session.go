package sttcore

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/transport"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// MaxDatagramSize is the largest datagram a session carries: a full UDP
// payload less the DATA overhead. Datagrams larger than the path MTU less 33
// bytes are fragmented by IP, and lost whole if one fragment is lost.
const MaxDatagramSize = transport.MaxPacketSize - wire.DataHeaderLen - 1 - wire.TagLen

// Session is an authenticated, encrypted association with one remote node,
// named by its public key. It outlives its keys: rekeys, roaming and the
// peer's restarts happen beneath it. Its methods are safe for concurrent use.
//
// Errors: after the session ends, every method returns an error that wraps
// net.ErrClosed; context.Cause(s.Context()) says why (a *CloseError,
// ErrHandshakeTimeout, ErrIdleTimeout, or an error wrapping ErrNodeClosed:
// the node was closed, or stopped on its own, see Node.Err).
type Session struct {
	node      *Node
	remote    stc.PublicKey
	byHello   bool // begun by the peer's HELLO (the accepting side)
	cookieGen *stc.CookieGenerator
	created   time.Time

	endpoint    atomic.Pointer[netip.AddrPort]
	kps         keypairs
	keyInfo     atomic.Pointer[keyInfo] // of the current keypair; kept after close
	sendCounter atomic.Uint64           // the next packet number

	lastSent, lastRecv atomic.Int64 // unix nanoseconds
	persistentKA       atomic.Int64 // nanoseconds; overrides Config.PersistentKeepalive when set
	needKeepalive      atomic.Bool  // data received since we last sent
	keepaliveArmed     atomic.Bool  // the session goroutine will look at needKeepalive again
	handshakeWanted    atomic.Bool
	everEstablished    atomic.Bool

	mu              sync.Mutex
	hs              *pendingHandshake
	hsStarted       time.Time // first HELLO of this attempt
	hsAttempts      int
	hsNextRetry     time.Time
	lastHelloAt     time.Time // the peer's last HELLO to us
	lastResend      time.Time // our last immediate resend after a CHALLENGE
	staged          [][]byte  // datagrams waiting for keys
	closing         bool      // terminate has begun
	stagedIP        bool      // staged holds IP frames, not datagrams
	dialed          bool      // guarded by node.mu
	announced       bool      // guarded by node.mu
	peerRestarts    uint64
	establishedOnce sync.Once
	established     chan struct{}

	recvQ  chan []byte
	notify chan struct{}

	ctx    context.Context
	cancel context.CancelCauseFunc
	once   sync.Once

	counters sessionCounters
	streams  *streams
}

func newSession(n *Node, peer stc.PublicKey, ep netip.AddrPort, byHello bool) *Session {
	now := n.now()
	s := &Session{
		node:        n,
		remote:      peer,
		byHello:     byHello,
		cookieGen:   stc.NewCookieGenerator(peer, n.nk, n.cfg.Now),
		created:     now,
		established: make(chan struct{}),
		recvQ:       make(chan []byte, n.cfg.DatagramQueue),
		notify:      make(chan struct{}, 1),
	}
	s.endpoint.Store(&ep)
	s.lastRecv.Store(now.UnixNano())
	s.lastSent.Store(now.UnixNano())
	s.ctx, s.cancel = context.WithCancelCause(n.ctx)
	s.streams = newStreams(s)
	return s
}

// RemotePublicKey is the peer's public key.
func (s *Session) RemotePublicKey() stc.PublicKey { return s.remote }

// RemoteAddr is where the session sends: the source of the peer's latest
// authenticated packet.
func (s *Session) RemoteAddr() netip.AddrPort { return *s.endpoint.Load() }

// Context is done when the session ends; context.Cause tells why.
func (s *Session) Context() context.Context { return s.ctx }

// SetPersistentKeepalive sends a keepalive whenever the session has sent
// nothing for d, to hold NAT mappings open; it overrides
// Config.PersistentKeepalive for this session. Zero turns it off.
func (s *Session) SetPersistentKeepalive(d time.Duration) {
	if d < 0 {
		d = 0
	}
	s.persistentKA.Store(int64(d) + 1) // +1: zero means "not set"
	s.wake()
}

func (s *Session) persistentKeepalive() time.Duration {
	if v := s.persistentKA.Load(); v != 0 {
		return time.Duration(v - 1)
	}
	return s.node.cfg.PersistentKeepalive
}

// SetEndpoint sends the session's packets to ep from now on, until an
// authenticated packet from elsewhere moves it again (roaming). A tunnel
// engine calls it when a peer's configured host name resolves anew.
//
// On a session that is not yet established, a new endpoint also sends a
// fresh HELLO there at once, instead of waiting for the retry timer.
func (s *Session) SetEndpoint(ep netip.AddrPort) {
	if !ep.IsValid() {
		return
	}
	if !s.setEndpoint(netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())) || s.everEstablished.Load() {
		return
	}
	now := s.node.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs == nil || s.closing {
		s.handshakeWanted.Store(true)
		s.wake()
		return
	}
	s.sendHelloLocked(now)
	s.hsNextRetry = now.Add(s.retryInterval())
}

// MaxDatagramSize returns the largest datagram SendDatagram accepts.
func (s *Session) MaxDatagramSize() int { return MaxDatagramSize }

// SendDatagram sends b as one unreliable datagram: it may be lost, and
// datagrams may arrive in another order. It does not block. While the session
// has no keys (before the first handshake completes, or after the keys
// expired), up to Config.DatagramQueue datagrams are staged and sent when the
// handshake completes; beyond that the oldest are dropped.
func (s *Session) SendDatagram(b []byte) error {
	if err := s.checkDatagramSize(b); err != nil {
		return err
	}
	if err := s.ctx.Err(); err != nil {
		return closedError(context.Cause(s.ctx))
	}
	frame := [1]byte{byte(wire.FrameTypeDatagram)}
	if err := s.sendOrStage(frame[:], b, false); err != nil {
		return err
	}
	s.counters.datagramsSent.Add(1)
	return nil
}

// SendIP sends a tunnelled IP packet (an IP frame). It is SendDatagram for
// the overlay engine: the peer's Node passes it to its IPHandler.
func (s *Session) SendIP(packet []byte) error {
	if err := s.checkDatagramSize(packet); err != nil {
		return err
	}
	frame := [1]byte{byte(wire.FrameTypeIP)}
	return s.sendOrStage(frame[:], packet, true)
}

func (s *Session) checkDatagramSize(b []byte) error {
	if len(b) > MaxDatagramSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrDatagramTooLarge, len(b), MaxDatagramSize)
	}
	return nil
}

// SendFrame sends one application frame of type t (0x80–0xff) in a packet
// of its own; the peer's handler for t receives data. Like a datagram, it
// may be lost.
func (s *Session) SendFrame(t wire.FrameType, data []byte) error {
	f := wire.ApplicationFrame{Type: t, Data: data}
	if !t.IsApplication() {
		return fmt.Errorf("sttcore: frame type %#02x is not an application type (0x80-0xff)", uint8(t))
	}
	b, err := f.Append(nil)
	if err != nil {
		return fmt.Errorf("sttcore: %w", err)
	}
	if len(b) > MaxDatagramSize+1 {
		return fmt.Errorf("%w: frame of %d bytes", ErrDatagramTooLarge, len(b))
	}
	kp := s.usableKeypair(s.node.now())
	if kp == nil {
		s.wantHandshake()
		return fmt.Errorf("sttcore: session has no keys yet; frame not sent")
	}
	return s.sendPlaintext(kp, b, nil)
}

// ReceiveDatagram returns the next datagram received, blocking until one
// arrives, ctx ends or the session ends. Datagrams received before the end
// are still returned.
func (s *Session) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	select {
	case b := <-s.recvQ:
		return b, nil
	default:
	}
	select {
	case b := <-s.recvQ:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		select {
		case b := <-s.recvQ:
			return b, nil
		default:
		}
		return nil, closedError(context.Cause(s.ctx))
	}
}

// Close closes the session with code 0: the peer is told (best effort) and
// every blocked call returns.
func (s *Session) Close() error { return s.CloseWithError(0, "") }

// CloseWithError closes the session, telling the peer code and reason. It is
// idempotent: only the first call's cause is kept.
func (s *Session) CloseWithError(code wire.ErrorCode, reason string) error {
	if s.ctx.Err() != nil {
		return nil
	}
	f := wire.CloseFrame{ErrorCode: code, Reason: reason}
	if kp := s.usableKeypair(s.node.now()); kp != nil {
		if b, err := f.Append(nil); err == nil {
			_ = s.sendPlaintext(kp, b, nil) // best effort: the peer times out otherwise
		}
	}
	s.terminate(&CloseError{Code: code, Reason: reason})
	return nil
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	st := Stats{
		Remote:            s.remote,
		Endpoint:          s.RemoteAddr(),
		Established:       s.everEstablished.Load(),
		Handshakes:        s.counters.handshakes.Load(),
		Roams:             s.counters.roams.Load(),
		PacketsSent:       s.counters.packetsSent.Load(),
		PacketsReceived:   s.counters.packetsReceived.Load(),
		BytesSent:         s.counters.bytesSent.Load(),
		BytesReceived:     s.counters.bytesReceived.Load(),
		DatagramsSent:     s.counters.datagramsSent.Load(),
		DatagramsReceived: s.counters.datagramsReceived.Load(),
		RTT:               time.Duration(s.counters.rtt.Load()),
		Drops:             s.counters.drops.snapshot(),
	}
	if ki := s.keyInfo.Load(); ki != nil {
		st.Suite, st.LastHandshake, st.KeyEpoch = ki.suite, ki.created, ki.epoch
	}
	m := s.streams
	m.mu.Lock()
	st.StreamsOpen = len(m.byID)
	st.StreamsOpened, st.StreamsAccepted = m.opened, m.peerOpened
	rs := m.sph.Stats()
	st.StreamPacketsLost, st.ProbeTimeouts = rs.PacketsLost, rs.PTOs
	st.CongestionWindow = uint64(m.cc.GetCongestionWindow())
	if m.rttStats.HasMeasurement() {
		st.SmoothedRTT = m.rttStats.SmoothedRTT()
	}
	m.mu.Unlock()
	return st
}

// keyInfo describes the current keypair for Stats.
type keyInfo struct {
	suite   stc.Suite
	created time.Time
	epoch   uint64
}

func (s *Session) setCurrent(kp *keypair) {
	s.kps.current.Store(kp)
	s.keyInfo.Store(&keyInfo{suite: kp.suite, created: kp.created, epoch: kp.epoch})
}

func (s *Session) isEstablished() bool { return s.everEstablished.Load() }

// setEndpoint moves the session to ep; it reports whether it changed.
func (s *Session) setEndpoint(ep netip.AddrPort) bool {
	if old := s.endpoint.Load(); old != nil && *old == ep {
		return false // the common case, on every received packet: no allocation
	}
	moved := ep // only a change is copied to the heap
	s.endpoint.Store(&moved)
	return true
}

// wake asks the session's goroutine to look at its timers again.
func (s *Session) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// wantHandshake asks for a handshake as soon as none is in flight.
func (s *Session) wantHandshake() {
	if s.handshakeWanted.CompareAndSwap(false, true) {
		s.wake()
	}
}

// terminate ends the session with cause; the first cause wins.
func (s *Session) terminate(cause error) {
	s.once.Do(func() {
		// Clean up first and cancel last: whoever sees the session end
		// (ctx done) also sees it gone from the node and its indices freed.
		s.node.removeSession(s)
		s.mu.Lock()
		s.closing = true
		if s.hs != nil {
			s.node.index.delete(s.hs.index)
			s.hs = nil
		}
		s.staged = nil
		s.mu.Unlock()
		s.kps.mu.Lock()
		for _, kp := range []*keypair{s.kps.previous, s.kps.current.Load(), s.kps.next} {
			if kp != nil {
				s.node.index.delete(kp.local)
			}
		}
		s.kps.previous, s.kps.next = nil, nil
		s.kps.current.Store(nil)
		s.kps.mu.Unlock()
		s.streams.fail(closedError(cause))
		s.cancel(cause)
		s.node.log.Debug("session closed", "peer", s.remote.String(), "cause", cause)
	})
}
