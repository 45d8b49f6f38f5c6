package sttcore

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/transport"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// The receive path, on one goroutine:
//
//	transport.ReadBatch ─► ParseType ─┬─ HELLO/RESPONSE/CHALLENGE ─► receiveHandshake (handshake.go)
//	                                  └─ DATA ─► index ─► keypair fresh? ─► open in place
//	                                             ─► replay window ─► session bookkeeping
//	                                             (confirm next keypair, roam, timers)
//	                                             ─► frames: validated in full, then acted on
//
// A packet that fails any step is counted under its DropReason and nothing
// is sent in answer.

// rxState is what the receive path keeps between the packets of a batch. It
// belongs to the goroutine that receives (routineReceive; a test may have
// its own).
type rxState struct {
	now     time.Time // when the batch was read
	buf     []byte    // the packet being received
	pending IPReceiver
	nonce   [stc.NonceSize]byte // here: a local would escape through cipher.AEAD
}

// flush ends a batch: the IP receiver gets its FlushIP.
func (rx *rxState) flush() {
	if r := rx.pending; r != nil {
		rx.pending = nil
		r.FlushIP()
	}
}

// routineReceive reads the transport until it is closed.
func (n *Node) routineReceive() {
	defer n.wg.Done()
	batch := n.conn.BatchSize()
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, transport.MaxPacketSize)
	}
	sizes := make([]int, batch)
	eps := make([]netip.AddrPort, batch)
	failures := 0
	var rx rxState
	for {
		count, err := n.conn.ReadBatch(bufs, sizes, eps)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || n.ctx.Err() != nil {
				return
			}
			// A death spiral guard, as wireguard-go has: transient errors are
			// retried, a persistent one stops the receiver.
			failures++
			n.log.Warn("receive", "err", err, "failures", failures)
			if failures >= 10 {
				// The node stops and says why (Done, Err); its sessions
				// end with it. Close still releases the transport.
				err = fmt.Errorf("sttcore: the node stopped: reading from the transport failed %d times in a row: %w (%w)", failures, err, ErrNodeClosed)
				n.log.Error("receive: giving up, the node stops", "err", err)
				n.cancel(err)
				return
			}
			select {
			case <-time.After(time.Second / 3):
			case <-n.ctx.Done():
				return
			}
			continue
		}
		failures = 0
		rx.now = n.now() // one clock reading per batch: it takes well under a millisecond
		for i := range count {
			n.receivePacket(&rx, bufs[i][:sizes[i]], eps[i])
		}
		rx.flush()
	}
}

func (n *Node) receivePacket(rx *rxState, b []byte, src netip.AddrPort) {
	n.stats.packets.Add(1)
	n.stats.bytes.Add(uint64(len(b)))
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	typ, err := wire.ParseType(b)
	if err != nil {
		n.drop(DropMalformed, nil)
		return
	}
	if typ == wire.TypeData {
		n.receiveData(rx, b, src)
		return
	}
	n.receiveHandshake(typ, b, src)
}

func (n *Node) receiveData(rx *rxState, b []byte, src netip.AddrPort) {
	idx, counter, err := wire.ParseDataHeader(b)
	if err != nil {
		n.drop(DropMalformed, nil)
		return
	}
	e, ok := n.index.lookup(idx)
	if !ok || e.keypair == nil {
		n.drop(DropUnknownIndex, nil)
		return
	}
	kp := e.keypair
	s := kp.session
	now := rx.now
	cfg := n.cfg
	// RejectAfterMessages counts packets per keypair; the counter itself
	// runs on across rekeys for the whole session.
	if now.Sub(kp.created) >= cfg.RejectAfterTime || kp.received.Load() >= cfg.RejectAfterMessages {
		n.drop(DropExpired, s)
		return
	}
	nonce := &rx.nonce
	stc.PutNonce(nonce, uint64(counter))
	sealed := b[wire.DataHeaderLen:]
	plain, err := kp.recv.Open(sealed[:0], nonce[:], sealed, b[:wire.DataHeaderLen])
	if err != nil {
		n.drop(DropAuth, s)
		return
	}
	if !kp.checkReplay(uint64(counter), maxSessionPackets) {
		n.drop(DropReplay, s)
		return
	}
	kp.received.Add(1)

	// The packet is authentic and new: it may move the session.
	s.counters.packetsReceived.Add(1)
	s.counters.bytesReceived.Add(uint64(len(b)))
	s.lastRecv.Store(now.UnixNano())
	s.promote(kp)
	if s.setEndpoint(src) {
		s.counters.roams.Add(1)
		n.log.Debug("peer roamed", "peer", s.remote.String(), "endpoint", src.String())
	}
	if kp.isInitiator && now.Sub(kp.created) >= cfg.rekeyOnReceiveAge() {
		s.wantHandshake()
	}
	if len(plain) == 0 {
		return // keepalive
	}
	// A passive keepalive is due if nothing goes back for KeepaliveTimeout.
	// The session goroutine is woken only when no timer of its will look:
	// with traffic both ways, needKeepalive flips on every packet.
	if s.needKeepalive.CompareAndSwap(false, true) && !s.keepaliveArmed.Load() {
		s.wake()
	}
	if plain[0] == byte(wire.FrameTypeIP) && !s.streams.tracking() {
		// The tunnel's fast path: one IP frame, running to the end.
		n.deliverIP(rx, s, b[:wire.DataHeaderLen+len(plain)], wire.DataHeaderLen+1)
		return
	}
	rx.buf = b[:wire.DataHeaderLen+len(plain)]
	n.receiveFrames(rx, s, plain, counter, now)
	rx.buf = nil
}

// deliverIP hands buf[offset:] to the IP receiver.
func (n *Node) deliverIP(rx *rxState, s *Session, buf []byte, offset int) {
	r := n.ipRecv.Load()
	if r == nil {
		return
	}
	(*r).ReceiveIP(s, buf, offset)
	if rx.pending != nil && rx.pending != *r {
		rx.pending.FlushIP() // the receiver was replaced meanwhile
	}
	rx.pending = *r
}

// receiveFrames validates every frame of an authenticated plaintext and then
// acts on them: a packet with one invalid frame takes no effect at all.
func (n *Node) receiveFrames(rx *rxState, s *Session, plain []byte, pn wire.PacketNumber, now time.Time) {
	streamFrames, eliciting := false, false
	for rest := plain; len(rest) > 0; {
		c, f, err := n.parser.ParseNext(rest)
		if err != nil {
			n.drop(DropFrames, s)
			return
		}
		if f == nil {
			break
		}
		rest = rest[c:]
		if isStreamLayer(f) {
			streamFrames = true
			if _, ack := f.(*wire.AckFrame); !ack {
				eliciting = true
			}
		}
	}
	m := s.streams
	if streamFrames {
		m.mu.Lock()
		m.inUse = true
	} else if m.tracking() {
		m.mu.Lock() // a datagram in a session that also carries streams: ACKs name it too
	} else {
		m = nil
	}
	if m != nil {
		if m.rph.ReceivedPacket(pn, now, eliciting) {
			m.mu.Unlock()
			return // already seen (the replay window forgets nothing it saw, but a rekey can)
		}
	}
	violation := error(nil)
	for rest := plain; len(rest) > 0; {
		c, f, _ := n.parser.ParseNext(rest)
		if f == nil {
			break
		}
		rest = rest[c:]
		if isStreamLayer(f) {
			if err := m.handleFrame(f, now); err != nil {
				violation = err
				break
			}
			continue
		}
		if m != nil {
			// Datagrams, IP packets and application frames are handed over
			// without the streams lock.
			m.mu.Unlock()
			ok := n.receiveFrame(rx, s, f)
			m.mu.Lock()
			if !ok {
				break
			}
			continue
		}
		if !n.receiveFrame(rx, s, f) {
			return
		}
	}
	if m != nil {
		m.mu.Unlock()
		if eliciting || streamFrames {
			s.wake() // an ACK, credit or data to send, or new timers
		}
	}
	if violation != nil {
		n.drop(DropFrames, s)
		n.log.Warn("closing session: protocol violation", "peer", s.remote.String(), "err", violation)
		_ = s.CloseWithError(ErrCodeProtocolViolation, "protocol violation")
	}
}

// ipFrameEnd finds where f.Packet ends in rx.buf.
func (rx *rxState) ipFrameEnd(f *wire.IPFrame) (int, bool) {
	if len(f.Packet) == 0 {
		return 0, false
	}
	if !f.LengthPresent {
		return len(rx.buf), true
	}
	// Rare (IP_LEN frames are never sent by this implementation): find the
	// packet by its address in the buffer.
	for off := wire.DataHeaderLen + 1; off+len(f.Packet) <= len(rx.buf); off++ {
		if &rx.buf[off] == &f.Packet[0] {
			return off + len(f.Packet), true
		}
	}
	return 0, false
}

// isStreamLayer reports whether f belongs to streams: reliable, acknowledged,
// and applied under the session's streams lock.
func isStreamLayer(f wire.Frame) bool {
	switch f.(type) {
	case *wire.StreamFrame, *wire.AckFrame, *wire.ResetStreamFrame, *wire.StopSendingFrame,
		*wire.MaxDataFrame, *wire.MaxStreamDataFrame, *wire.MaxStreamsFrame,
		*wire.DataBlockedFrame, *wire.StreamDataBlockedFrame, *wire.StreamsBlockedFrame, *wire.PingFrame:
		return true
	}
	return false
}

// receiveFrame acts on one frame; it reports false when the session ended.
func (n *Node) receiveFrame(rx *rxState, s *Session, f wire.Frame) bool {
	switch f := f.(type) {
	case *wire.DatagramFrame:
		d := make([]byte, len(f.Data))
		copy(d, f.Data)
		select {
		case s.recvQ <- d:
			s.counters.datagramsReceived.Add(1)
		default:
			n.drop(DropDatagramQueue, s)
		}
	case *wire.IPFrame:
		// f.Packet lies in rx.buf; an IP frame without a length is the
		// last, so it ends where the plaintext does.
		if end, ok := rx.ipFrameEnd(f); ok {
			n.deliverIP(rx, s, rx.buf[:end:end], end-len(f.Packet)) // more frames may follow: no spare capacity
		}
	case *wire.ApplicationFrame:
		if m := n.handlers.Load(); m != nil {
			if h := (*m)[f.Type]; h != nil {
				h(s, f.Data)
			}
		}
	case *wire.PathChallengeFrame:
		resp := wire.PathResponseFrame{Data: f.Data}
		if b, err := resp.Append(nil); err == nil {
			if kp := s.usableKeypair(n.now()); kp != nil {
				_ = s.sendPlaintext(kp, b, nil)
			}
		}
	case *wire.CloseFrame:
		s.terminate(&CloseError{Remote: true, Code: f.ErrorCode, Reason: f.Reason})
		return false
	}
	return true
}
