package sttcore

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/seigr/stt-tun/sttcore/handshake"
	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// The handshake path:
//
//	routineReceive ──► mac1 check ──► under load? ──► CHALLENGE (no valid mac2)
//	                                      │        └─► rate limit per address
//	                                      ▼
//	                                  hsQ (bounded) ──► routineHandshake ──► Noise, keys, RESPONSE
//
// Everything before hsQ is cheap (one keyed hash), so strangers cost no
// Diffie-Hellman; packets without a valid mac1 are dropped without answer.

type handshakePacket struct {
	typ wire.PacketType
	n   int
	buf [wire.HelloLen]byte
	src netip.AddrPort
}

// pendingHandshake is a HELLO this node sent and awaits an answer to.
type pendingHandshake struct {
	ini    *handshake.Initiator
	index  wire.Index
	sentAt time.Time
}

// routineHandshake runs the handshakes queued by routineReceive. Packets
// that proved their source address (a valid mac2), and answers to our own
// HELLOs, wait in hsPrio and go first; the rest wait in hsQ.
func (n *Node) routineHandshake() {
	defer n.wg.Done()
	for {
		var p handshakePacket
		select {
		case p = <-n.hsPrio:
		default:
			select {
			case <-n.ctx.Done():
				return
			case p = <-n.hsPrio:
			case p = <-n.hsQ:
				// Queued before the node came under load: if it is under load
				// now, a HELLO without a cookie gets a CHALLENGE (a keyed hash
				// and a seal) instead of the Diffie-Hellman work.
				if p.typ == wire.TypeHello && n.underLoad(n.now()) && !n.checker.CheckMAC2(p.buf[:p.n], p.src) {
					n.sendChallenge(p.buf[:p.n], p.src)
					continue
				}
			}
		}
		b := p.buf[:p.n]
		switch p.typ {
		case wire.TypeHello:
			n.handleHello(b, p.src)
		case wire.TypeResponse:
			n.handleResponse(b, p.src)
		case wire.TypeChallenge:
			n.handleChallenge(b)
		}
	}
}

// receiveHandshake is the cheap front of the handshake path, run on the
// receive goroutine.
func (n *Node) receiveHandshake(typ wire.PacketType, b []byte, src netip.AddrPort) {
	if typ != wire.TypeChallenge && !n.checker.CheckMAC1(b) {
		n.drop(DropMAC1, nil)
		return
	}
	q := n.hsPrio
	if typ == wire.TypeHello {
		now := n.now()
		n.countHello(now)
		switch {
		case !n.underLoad(now):
			q = n.hsQ
		case !n.checker.CheckMAC2(b, src):
			n.sendChallenge(b, src)
			return
		case !n.limiter.Allow(src.Addr()):
			n.drop(DropRateLimited, nil)
			return
		}
	}
	p := handshakePacket{typ: typ, n: len(b), src: src}
	copy(p.buf[:], b)
	select {
	case q <- p:
	default:
		n.drop(DropQueueFull, nil)
	}
}

// countHello counts a HELLO in the current one-second window; more than
// UnderLoadRate of them put the node under load.
func (n *Node) countHello(now time.Time) {
	if now.Sub(n.rateStart) >= time.Second {
		n.rateStart, n.rateCount = now, 0
	}
	n.rateCount++
	if n.rateCount > n.cfg.UnderLoadRate || len(n.hsQ) >= cap(n.hsQ)/8 {
		n.underLoadUntil.Store(now.Add(time.Second).UnixNano())
	}
}

// underLoad reports whether the node is under load: its handshake queue an
// eighth full, or either condition seen within the last second.
func (n *Node) underLoad(now time.Time) bool {
	return len(n.hsQ) >= cap(n.hsQ)/8 || now.UnixNano() < n.underLoadUntil.Load()
}

func (n *Node) sendChallenge(hello []byte, src netip.AddrPort) {
	var msg wire.Hello
	if err := msg.Unmarshal(hello); err != nil {
		n.drop(DropMalformed, nil)
		return
	}
	c := wire.Challenge{Receiver: msg.Sender}
	if err := n.checker.SealCookie(hello, src, &c.Nonce, &c.Cookie); err != nil {
		n.log.Warn("sealing cookie", "err", err)
		return
	}
	var out [wire.ChallengeLen]byte
	c.Marshal(out[:])
	if err := n.writeTo(out[:], src); err == nil {
		n.stats.challenges.Add(1)
	}
}

func (n *Node) handleHello(b []byte, src netip.AddrPort) {
	var msg wire.Hello
	if err := msg.Unmarshal(b); err != nil {
		n.drop(DropMalformed, nil)
		return
	}
	r, err := handshake.ReadHello(n.identity, n.nk, &msg)
	if err != nil {
		n.drop(DropHandshake, nil)
		return
	}
	peer := r.Peer()
	hello := r.Hello()
	now := n.now()
	if peer.Equal(n.identity.Public) {
		n.drop(DropHandshake, nil)
		return
	}

	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	s := n.sessions[peer]
	full := s == nil && n.pending >= n.cfg.MaxPendingSessions
	n.mu.Unlock()
	// AcceptPeer runs without the node's lock: it may call the node.
	if s == nil && n.cfg.AcceptPeer != nil && !n.cfg.AcceptPeer(peer) {
		n.drop(DropUnknownPeer, nil)
		return
	}
	if full {
		n.drop(DropQueueFull, nil)
		return
	}
	if !n.rememberHello(peer, hello.Timestamp) {
		n.drop(DropHelloReplay, s)
		return
	}
	for {
		if s == nil {
			n.mu.Lock()
			if n.closed {
				n.mu.Unlock()
				return
			}
			if s = n.sessions[peer]; s == nil {
				s = n.newSessionLocked(peer, src, true)
			}
			n.mu.Unlock()
		}
		s.mu.Lock()
		if !s.closing {
			break
		}
		// Closed since we looked it up: keys must not go into a dead
		// session. The HELLO begins a new one.
		s.mu.Unlock()
		s = nil
	}
	defer s.mu.Unlock()
	if !s.lastHelloAt.IsZero() && now.Sub(s.lastHelloAt) < helloMinInterval {
		n.drop(DropHelloFlood, s)
		return
	}
	s.lastHelloAt = now

	idx := n.index.newIndex(indexEntry{session: s})
	resp := wire.Response{Sender: idx, Receiver: msg.Sender}
	keys, err := r.WriteResponse(&resp, n.suites)
	if err != nil {
		n.index.delete(idx)
		n.drop(DropHandshake, s)
		return
	}
	kp, err := newKeypair(s, keys, false, idx, msg.Sender, now)
	if err != nil {
		n.index.delete(idx)
		return
	}
	n.index.swap(idx, indexEntry{session: s, keypair: kp})
	var out [wire.ResponseLen]byte
	resp.Marshal(out[:])
	s.cookieGen.AddMACs(out[:])

	if hello.Flags&handshake.FlagFresh != 0 && s.everEstablished.Load() {
		// The peer lost its state: its streams and packet numbers start anew.
		s.peerRestarts++
		s.streams.restart()
	}
	kp.respondedAt = now
	s.installNext(kp)
	// The RESPONSE goes to the HELLO's source, but the session's endpoint
	// moves only with the packet that confirms the new keys (receiveData):
	// a HELLO can be a replay (after a restart the timestamp check has no
	// history), and must not redirect an existing session.
	if !s.RemoteAddr().IsValid() {
		s.setEndpoint(src)
	}
	s.counters.handshakes.Add(1)
	n.stats.handshakes.Add(1)
	if err := n.writeTo(out[:], src); err != nil {
		n.log.Debug("sending response", "peer", s.remote.String(), "err", err)
	}
}

func (n *Node) handleResponse(b []byte, src netip.AddrPort) {
	var msg wire.Response
	if err := msg.Unmarshal(b); err != nil {
		n.drop(DropMalformed, nil)
		return
	}
	e, ok := n.index.lookup(msg.Receiver)
	if !ok || e.handshake == nil {
		// An answer to a HELLO that a retry replaced, or forged: mac1 only
		// proves the sender knows our public key and the network key.
		n.drop(DropStaleHandshake, nil)
		return
	}
	s := e.session
	now := n.now()
	s.mu.Lock()
	hs := s.hs
	if hs != e.handshake {
		s.mu.Unlock()
		n.drop(DropStaleHandshake, s)
		return
	}
	keys, err := hs.ini.ReadResponse(&msg)
	if err != nil {
		s.mu.Unlock()
		n.drop(DropHandshake, s)
		return
	}
	kp, err := newKeypair(s, keys, true, hs.index, msg.Sender, now)
	if err != nil {
		s.mu.Unlock()
		return
	}
	n.index.swap(hs.index, indexEntry{session: s, keypair: kp})
	s.hs = nil
	s.hsAttempts = 0
	s.counters.rtt.Store(int64(now.Sub(hs.sentAt)))
	if s.setEndpoint(src) && s.everEstablished.Load() {
		s.counters.roams.Add(1)
	}
	s.installCurrent(kp)
	s.counters.handshakes.Add(1)
	n.stats.handshakes.Add(1)
	staged, ip := s.staged, s.stagedIP
	s.staged = nil
	s.mu.Unlock()

	s.markEstablished()
	s.wake() // let the timers see the new keypair (and clear a pending rekey request)
	// Confirm the keypair to the responder at once: with the staged
	// datagrams if there are any, else with a keepalive.
	s.flush(kp, staged, ip)
	if len(staged) == 0 {
		_ = s.sendPlaintext(kp, nil, nil)
	}
}

func (n *Node) handleChallenge(b []byte) {
	var msg wire.Challenge
	if err := msg.Unmarshal(b); err != nil {
		n.drop(DropMalformed, nil)
		return
	}
	e, ok := n.index.lookup(msg.Receiver)
	if !ok || e.handshake == nil {
		n.drop(DropStaleHandshake, nil)
		return
	}
	s := e.session
	if !s.cookieGen.ConsumeChallenge(&msg.Nonce, &msg.Cookie) {
		n.drop(DropCookie, s)
		return
	}
	// The responder is under load and now holds our cookie: send a new
	// HELLO with mac2 at once, instead of waiting for the retry timer. At
	// most one such resend per 100 ms, so a CHALLENGE cannot drive a loop.
	now := n.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs == e.handshake && now.Sub(s.lastResend) >= 5*helloMinInterval {
		s.lastResend = now
		s.sendHelloLocked(now)
	}
}

// sendHelloLocked starts a new handshake attempt (a fresh ephemeral key and
// index) and sends its HELLO. The caller holds s.mu.
func (s *Session) sendHelloLocked(now time.Time) {
	n := s.node
	if s.hs != nil {
		n.index.delete(s.hs.index)
		s.hs = nil
	}
	ini, err := handshake.NewInitiator(n.identity, n.nk, s.remote)
	if err != nil {
		n.log.Warn("starting handshake", "peer", s.remote.String(), "err", err)
		return
	}
	hs := &pendingHandshake{ini: ini, sentAt: now}
	hs.index = n.index.newIndex(indexEntry{session: s, handshake: hs})

	// TAI64N timestamps must grow from one HELLO to the next, even two
	// within the whitening granularity.
	ts := n.nextHelloTimestamp(now)
	var flags uint8
	if !s.everEstablished.Load() && !s.byHello {
		flags = handshake.FlagFresh
	}
	msg := wire.Hello{Sender: hs.index}
	if err := ini.WriteHello(&msg, &handshake.Hello{Timestamp: ts, Suites: n.suites, Flags: flags}); err != nil {
		n.index.delete(hs.index)
		n.log.Warn("writing hello", "peer", s.remote.String(), "err", err)
		return
	}
	var out [wire.HelloLen]byte
	msg.Marshal(out[:])
	s.cookieGen.AddMACs(out[:])
	s.hs = hs
	if err := n.writeTo(out[:], s.RemoteAddr()); err != nil {
		n.log.Debug("sending hello", "peer", s.remote.String(), "err", err)
	}
}

// nextHelloTimestamp returns a TAI64N timestamp newer than every one this
// node sent before (docs/protocol.md §4.2), even two within the whitening
// granularity or across sessions with the same peer.
func (n *Node) nextHelloTimestamp(now time.Time) tai64n.Timestamp {
	n.tsMu.Lock()
	defer n.tsMu.Unlock()
	ts := tai64n.Stamp(now)
	if !ts.After(n.lastSent) {
		ts = n.lastSent
		for i := len(ts) - 1; i >= 0; i-- {
			ts[i]++
			if ts[i] != 0 {
				break
			}
		}
	}
	n.lastSent = ts
	return ts
}

// retryInterval is the wait before the next HELLO of an attempt: RekeyTimeout
// doubled per retry (at most 2^maxRekeyBackoff times), plus up to a third of
// RekeyTimeout of jitter so that peers do not retry in lockstep.
func (s *Session) retryInterval() time.Duration {
	rt := s.node.cfg.RekeyTimeout
	d := rt << min(s.hsAttempts, maxRekeyBackoff)
	return d + rand.N(rt/3+1)
}

// installCurrent makes kp, from a handshake this side initiated, the keypair
// in use. The one in use before stays as previous for packets in flight.
func (s *Session) installCurrent(kp *keypair) {
	k := &s.kps
	k.mu.Lock()
	defer k.mu.Unlock()
	k.epoch++
	kp.epoch = k.epoch
	old := k.previous
	if k.next != nil {
		// An unconfirmed responder keypair is superseded by ours; it becomes
		// previous, since the peer may already use it.
		k.previous = k.next
		k.next = nil
		if cur := k.current.Load(); cur != nil {
			s.node.index.delete(cur.local)
		}
	} else {
		k.previous = k.current.Load()
	}
	if old != nil && old != k.previous {
		s.node.index.delete(old.local)
	}
	s.setCurrent(kp)
}

// installNext holds kp, from a handshake the peer initiated, until the peer
// uses it (receivedWith promotes it). Sending goes on with current meanwhile.
func (s *Session) installNext(kp *keypair) {
	k := &s.kps
	k.mu.Lock()
	defer k.mu.Unlock()
	k.epoch++
	kp.epoch = k.epoch
	if k.next != nil {
		s.node.index.delete(k.next.local)
	}
	k.next = kp
}

// promote makes kp current if it is next: the peer's first packet on it
// confirms the handshake. It reports whether kp became current.
func (s *Session) promote(kp *keypair) bool {
	k := &s.kps
	k.mu.Lock()
	if k.next != kp || s.ctx.Err() != nil {
		k.mu.Unlock()
		return false
	}
	if k.previous != nil {
		s.node.index.delete(k.previous.local)
	}
	k.previous = k.current.Load()
	s.setCurrent(kp)
	k.next = nil
	k.mu.Unlock()
	if !kp.respondedAt.IsZero() {
		// RESPONSE out, the initiator's first packet back: one round trip.
		s.counters.rtt.Store(int64(s.node.now().Sub(kp.respondedAt)))
	}

	s.mu.Lock()
	staged, ip := s.staged, s.stagedIP
	s.staged = nil
	s.mu.Unlock()
	s.markEstablished()
	s.flush(kp, staged, ip)
	return true
}

func (s *Session) markEstablished() {
	s.establishedOnce.Do(func() {
		s.everEstablished.Store(true)
		close(s.established)
		if s.byHello {
			s.announce()
		}
	})
}

// announce hands a session begun by a HELLO to Accept, unless Dial claimed it.
func (s *Session) announce() {
	n := s.node
	n.mu.Lock()
	dialed := s.dialed
	wasPending := !s.announced
	s.announced = true
	if wasPending {
		n.pending--
	}
	n.mu.Unlock()
	if dialed {
		return
	}
	select {
	case n.acceptQ <- s:
	default:
		n.drop(DropQueueFull, s)
		n.log.Warn("refusing session", "peer", s.remote.String(), "err", ErrAcceptBacklog)
		_ = s.CloseWithError(0, "accept backlog full")
	}
}
