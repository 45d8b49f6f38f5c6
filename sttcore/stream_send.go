package sttcore

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/ackhandler"
	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// The stream send path, on the session's goroutine (run → sendStreams):
//
//	SendMode (congestion window, pacer, probe timeout)
//	  └─► build a packet: ACK if due ─► credit and limit frames ─► RESET /
//	      STOP_SENDING ─► stream data, round-robin, lost ranges first
//	      ─► seal (next packet number) ─► register its frames for loss recovery
//	  └─► … up to maxStreamBatch packets ─► one transport write
//
// Lost frames come back through OnLost and are queued again: their data goes
// out in new packets with new numbers, never as a replay of an old one.
// Tunnelled IP packets and datagrams never pass through here: they are not
// congestion-controlled, ordered or retransmitted.

const (
	// maxStreamPacket is the largest DATA packet built for streams (UDP
	// payload): it fits a 1500-byte path over IPv6 with room to spare.
	maxStreamPacket = 1420
	maxStreamPlain  = maxStreamPacket - wire.DataHeaderLen - wire.TagLen
	// maxStreamBatch is the most packets built per transport write.
	maxStreamBatch = 32
	// maxAckDelay is how long a receiver may hold an ACK (RFC 9000 §13.2.1).
	maxAckDelay = 25 * time.Millisecond
)

// recovery is a session's loss recovery and congestion control state. It is
// guarded by streams.mu.
type recovery struct {
	rttStats *congestion.RTTStats
	cc       congestion.Controller // Config.CongestionControl
	// appLimited, if not nil, is told that the sender had nothing to send
	// although the window and the pacer would have let it (BBR does not
	// let the rate samples of such times lower its bandwidth estimate).
	appLimited func(bytesInFlight wire.ByteCount)
	sph        *ackhandler.SentPacketHandler
	rph        *ackhandler.ReceivedPacketTracker
	inUse      bool // a stream frame was sent or received: track packets, send ACKs

	plain   [maxStreamBatch][]byte
	packets [maxStreamBatch][]byte
	frames  []ackhandler.Frame
	pacing  time.Time // the pacer holds packets back until then
	rr      int       // round-robin position in active
}

func (r *recovery) init(m *streams) {
	r.rttStats = congestion.NewRTTStats()
	r.rttStats.SetMaxAckDelay(maxAckDelay)
	r.cc, r.appLimited = newController(m.sess.node.cfg.CongestionControl, r.rttStats)
	r.sph = ackhandler.NewSentPacketHandler(r.rttStats, r.cc)
	r.rph = ackhandler.NewReceivedPacketTracker()
	for i := range r.plain {
		r.plain[i] = make([]byte, 0, maxStreamPlain)
		r.packets[i] = make([]byte, 0, maxStreamPacket)
	}
}

// newController returns the congestion controller kind names, and the
// function to tell it that the sender is application limited (nil if it does
// not need to know).
func newController(kind CongestionControl, rtt *congestion.RTTStats) (congestion.Controller, func(wire.ByteCount)) {
	if kind == CongestionBBR {
		b := congestion.NewBBR(rtt, maxStreamPacket)
		return b, b.OnAppLimited
	}
	return congestion.NewCubic(rtt, maxStreamPacket), nil
}

// streamHandler and controlHandler learn the fate of the frames they sent.
type (
	streamHandler  Stream
	controlHandler streams
)

func (h *streamHandler) OnAcked(f wire.Frame) {
	st := (*Stream)(h)
	switch f := f.(type) {
	case *wire.StreamFrame:
		st.send.OnAcked(uint64(f.Offset), len(f.Data), f.Fin)
		st.writeSig.fire()
		if st.send.Done() {
			st.m.sendFinished(st)
		}
	case *wire.ResetStreamFrame:
		st.m.sendFinished(st)
	}
}

func (h *streamHandler) OnLost(f wire.Frame) {
	st := (*Stream)(h)
	switch f := f.(type) {
	case *wire.StreamFrame:
		if st.writeErr == nil {
			st.send.OnLost(uint64(f.Offset), len(f.Data), f.Fin)
			st.m.schedule(st)
		}
	case *wire.ResetStreamFrame:
		st.resetPending = true
		st.m.schedule(st)
	case *wire.StopSendingFrame:
		if !st.recv.Done() {
			st.stopPending = true
			st.m.schedule(st)
		}
	case *wire.MaxStreamDataFrame:
		if !st.recvDone {
			st.lostCredit = f.Maximum
			st.m.schedule(st)
		}
	}
}

func (h *controlHandler) OnAcked(wire.Frame) {}

func (h *controlHandler) OnLost(f wire.Frame) {
	m := (*streams)(h)
	switch f := f.(type) {
	case *wire.MaxDataFrame:
		m.lostConnCredit = max(m.lostConnCredit, f.Maximum)
	case *wire.MaxStreamsFrame:
		m.grantDue = true
	}
}

// sendStreams builds and sends one batch of what the streams have to send
// now. It returns when the next send is due (the pacer), or the zero time,
// and whether the batch was full (more may be due at once).
func (s *Session) sendStreams(now time.Time) (time.Time, bool) {
	m := s.streams
	m.mu.Lock()
	if !m.inUse {
		m.mu.Unlock()
		return time.Time{}, false
	}
	kp := s.usableKeypair(now)
	if kp == nil {
		m.mu.Unlock()
		return time.Time{}, false // after the handshake: nothing is lost meanwhile
	}
	n := 0
	var next time.Time
	for n < maxStreamBatch {
		mode := m.sph.SendMode(now)
		ackOnly := mode == ackhandler.SendAck || mode == ackhandler.SendPacingLimited
		plain, eliciting := m.buildPacket(m.plain[n][:0], now, ackOnly, mode == ackhandler.SendPTO)
		if len(plain) == 0 {
			switch {
			case mode == ackhandler.SendPacingLimited && m.hasData():
				next = m.sph.TimeUntilSend()
			case mode == ackhandler.SendAny && m.appLimited != nil:
				// Nothing to send (or flow control holds it back) while
				// the window and the pacer have room.
				m.appLimited(m.sph.BytesInFlight())
			}
			break
		}
		pkt, pn := s.seal(kp, m.packets[n][:0], plain)
		m.packets[n] = pkt
		m.sph.SentUntracked(wire.PacketNumber(pn))
		m.sph.SentPacket(now, wire.PacketNumber(pn), wire.ByteCount(len(pkt)), eliciting, m.frames)
		m.frames = m.frames[:0]
		n++
	}
	bufs := m.packets[:n]
	m.mu.Unlock()
	if n > 0 {
		if err := s.node.conn.WriteBatch(bufs, s.RemoteAddr()); err == nil {
			s.lastSent.Store(now.UnixNano())
			s.needKeepalive.Store(false)
		}
	}
	return next, n == maxStreamBatch
}

// hasData reports whether anything but an ACK waits to be sent.
func (m *streams) hasData() bool {
	return len(m.active) > 0 || m.grantDue || m.connCreditDue || m.lostConnCredit > 0
}

// buildPacket fills plain with the frames to send now and records them in
// m.frames. ackOnly limits it to an ACK; probe asks for something
// ack-eliciting even if nothing else waits (a PING).
func (m *streams) buildPacket(plain []byte, now time.Time, ackOnly, probe bool) ([]byte, bool) {
	eliciting := false
	add := func(f wire.Frame, h ackhandler.FrameHandler) bool {
		if len(plain)+f.Length() > maxStreamPlain {
			return false
		}
		plain, _ = f.Append(plain)
		m.frames = append(m.frames, ackhandler.Frame{Frame: f, Handler: h})
		eliciting = true
		return true
	}
	if ack := m.rph.GetAckFrame(now, !m.hasData() && !probe); ack != nil {
		plain, _ = ack.Append(plain)
	}
	if ackOnly && !probe {
		return plain, false
	}
	ctl := (*controlHandler)(m)
	if m.grantDue {
		m.grantDue = false
		m.advertised = m.peerClosed + m.cfg.maxStreams
		add(&wire.MaxStreamsFrame{Maximum: m.advertised}, ctl)
	}
	if m.connCreditDue || m.lostConnCredit > 0 {
		max := m.connFC.GetWindowUpdate(now)
		m.connCreditDue = false
		if max == 0 {
			max = m.lostConnCredit
		}
		m.lostConnCredit = 0
		if max > 0 {
			add(&wire.MaxDataFrame{Maximum: max}, ctl)
		}
	}
	// Streams, round-robin, so that one busy stream cannot starve the others.
	for tries := len(m.active); tries > 0 && len(m.active) > 0; tries-- {
		if m.rr >= len(m.active) {
			m.rr = 0
		}
		st := m.active[m.rr]
		full := !m.fillStream(st, &plain, add, now)
		if !m.streamWaiting(st) {
			st.queued = false
			m.active = append(m.active[:m.rr], m.active[m.rr+1:]...)
		} else {
			m.rr++
		}
		if full {
			break
		}
	}
	if !eliciting && probe {
		add(&wire.PingFrame{}, nil)
	}
	return plain, eliciting
}

// fillStream adds st's frames to the packet; it returns false when the
// packet is full.
func (m *streams) fillStream(st *Stream, plain *[]byte, add func(wire.Frame, ackhandler.FrameHandler) bool, now time.Time) bool {
	h := (*streamHandler)(st)
	if st.creditDue || st.lostCredit > 0 {
		max := st.fc.GetWindowUpdate(now)
		if max == 0 {
			max = st.lostCredit
		}
		if max > 0 && !add(&wire.MaxStreamDataFrame{StreamID: st.id, Maximum: max}, h) {
			return false
		}
		st.creditDue, st.lostCredit = false, 0
	}
	if st.stopPending {
		if !add(&wire.StopSendingFrame{StreamID: st.id, ErrorCode: st.stopCode}, h) {
			return false
		}
		st.stopPending = false
	}
	if st.resetPending {
		if !add(&wire.ResetStreamFrame{StreamID: st.id, ErrorCode: st.resetCode, FinalSize: wire.ByteCount(st.send.SentOffset())}, h) {
			return false
		}
		st.resetPending = false
		return true
	}
	if st.writeErr != nil {
		return true
	}
	for st.send.HasData() {
		// Room for the frame's header: type, ID, offset, length (varints).
		room := maxStreamPlain - len(*plain) - 1 - 8 - 8 - 4
		if room <= 0 {
			return false
		}
		retrans := st.send.HasRetransmission()
		limit := st.send.SentOffset() + uint64(st.fc.SendWindowSize())
		off, data, fin := st.send.Next(room, limit)
		if len(data) == 0 && !fin {
			if blocked, at := st.fc.IsNewlyBlocked(); blocked {
				add(&wire.StreamDataBlockedFrame{StreamID: st.id, Limit: at}, nil)
			}
			return true // flow control: wait for credit
		}
		if !retrans {
			st.fc.AddBytesSent(wire.ByteCount(len(data)))
		}
		f := &wire.StreamFrame{StreamID: st.id, Offset: wire.ByteCount(off), Data: data, Fin: fin, DataLenPresent: true}
		if !add(f, h) {
			st.send.OnLost(off, len(data), fin) // did not fit after all: send it next time
			return false
		}
		// f.Data aliases the send buffer, which moves on; OnAcked and OnLost
		// use only its length.
	}
	return true
}

// streamWaiting reports whether st still has something to send now.
func (m *streams) streamWaiting(st *Stream) bool {
	if st.creditDue || st.lostCredit > 0 || st.stopPending || st.resetPending {
		return true
	}
	if st.writeErr != nil || !st.send.HasData() {
		return false
	}
	return st.send.HasRetransmission() || st.fc.SendWindowSize() > 0 || st.send.Unsent() == 0
}

// seal encrypts plain into a DATA packet in out with kp and the session's
// next packet number.
func (s *Session) seal(kp *keypair, out, plain []byte) ([]byte, uint64) {
	pn := s.sendCounter.Add(1) - 1
	buf := out[:wire.DataHeaderLen]
	wire.PutDataHeader(buf, kp.remote, wire.PacketNumber(pn))
	var nonce [stc.NonceSize]byte
	stc.PutNonce(&nonce, pn)
	ct := kp.send.Seal(buf[wire.DataHeaderLen:wire.DataHeaderLen], nonce[:], plain, buf[:wire.DataHeaderLen])
	out = buf[:wire.DataHeaderLen+len(ct)]
	kp.sent.Add(1)
	s.counters.packetsSent.Add(1)
	s.counters.bytesSent.Add(uint64(len(out)))
	return out, pn
}
