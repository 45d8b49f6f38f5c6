package sttcore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/transport"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// The send path of a datagram, all on the caller's goroutine:
//
//	SendDatagram ─► current keypair usable? ─no─► stage (bounded), ask for a handshake
//	                      │yes
//	                      ▼
//	          packet number (atomic) ─► header + frame written in a pooled
//	          buffer ─► sealed in place, header as AD ─► transport
//
// Packet numbers count per session and direction across rekeys, so that they
// stay unique for acknowledgements; each keypair's replay window copes with
// the start offset.

var packetPool = sync.Pool{New: func() any {
	b := make([]byte, transport.MaxPacketSize)
	return &b
}}

// IPHeadroom is the room SendIPBatch needs in front of each packet, and
// what an IPReceiver finds in front of each: a DATA header and the frame
// type.
const IPHeadroom = wire.DataHeaderLen + 1

// IPTailroom is the spare capacity SendIPBatch needs after each packet, for
// the authentication tag.
const IPTailroom = wire.TagLen

// sendScratch is what one SendIPBatch call needs besides the packets.
type sendScratch struct {
	out   [][]byte
	nonce [stc.NonceSize]byte // here, not on the stack: it would escape through cipher.AEAD
}

var scratchPool = sync.Pool{New: func() any {
	return &sendScratch{out: make([][]byte, 0, transport.IdealBatchSize)}
}}

// SendIPBatch sends tunnelled IP packets, bufs[i][offset:] each, in one
// batch. The packets are sealed in place: the DATA header is written into
// the IPHeadroom bytes before offset and the tag into the IPTailroom bytes
// of spare capacity after each packet, so a TUN device's buffers go to the
// socket without a copy. The buffers' contents are undefined afterwards.
//
// Without usable keys, the packets are copied and staged as SendIP does.
// When the session has ended it returns an error wrapping net.ErrClosed and
// leaves the buffers untouched, so that they can be sent on another session.
// A packet larger than MaxDatagramSize or without tail room is not sent, and
// ErrDatagramTooLarge reported after the others went.
func (s *Session) SendIPBatch(bufs [][]byte, offset int) error {
	if offset < IPHeadroom {
		return fmt.Errorf("sttcore: SendIPBatch offset %d, at least %d (IPHeadroom) needed", offset, IPHeadroom)
	}
	if len(bufs) == 0 {
		return nil
	}
	if s.ctx.Err() != nil {
		return closedError(context.Cause(s.ctx))
	}
	kp := s.usableKeypair(s.node.now())
	if kp == nil {
		var err error
		for _, b := range bufs {
			if e := s.SendIP(b[offset:]); e != nil && err == nil {
				err = e
			}
		}
		return err
	}
	ep := s.RemoteAddr()
	if !ep.IsValid() {
		return errNoEndpoint
	}
	sc := scratchPool.Get().(*sendScratch)
	out := sc.out[:0]
	nonce := &sc.nonce
	count := uint64(len(bufs))
	pn := s.sendCounter.Add(count) - count
	var tooLarge error
	bytes := 0
	for i, b := range bufs {
		if len(b)-offset > MaxDatagramSize || cap(b)-len(b) < IPTailroom {
			if tooLarge == nil {
				tooLarge = fmt.Errorf("%w: %d bytes, at most %d, with %d bytes of tail room", ErrDatagramTooLarge, len(b)-offset, MaxDatagramSize, IPTailroom)
			}
			continue
		}
		start := offset - IPHeadroom
		pkt := b[start:]
		wire.PutDataHeader(pkt, kp.remote, wire.PacketNumber(pn+uint64(i)))
		pkt[wire.DataHeaderLen] = byte(wire.FrameTypeIP)
		stc.PutNonce(nonce, pn+uint64(i))
		plain := pkt[wire.DataHeaderLen:]
		sealed := kp.send.Seal(plain[:0], nonce[:], plain, pkt[:wire.DataHeaderLen])
		pkt = pkt[:wire.DataHeaderLen+len(sealed)]
		bytes += len(pkt)
		out = append(out, pkt)
	}
	kp.sent.Add(count)
	err := s.node.conn.WriteBatch(out, ep)
	clear(out)
	sc.out = out[:0]
	scratchPool.Put(sc)
	if err != nil {
		return err
	}
	s.lastSent.Store(s.node.now().UnixNano())
	s.needKeepalive.Store(false)
	s.counters.packetsSent.Add(uint64(len(out)))
	s.counters.bytesSent.Add(uint64(bytes))
	return tooLarge
}

// usableKeypair returns the current keypair if it may still seal, asking for
// a rekey when it is due.
func (s *Session) usableKeypair(now time.Time) *keypair {
	kp := s.kps.current.Load()
	if kp == nil {
		return nil
	}
	if s.sendCounter.Load() >= maxSessionPackets {
		// Never reached in practice (2^64 packets), and never allowed to wrap.
		go s.terminate(ErrCounterExhausted)
		return nil
	}
	cfg := s.node.cfg
	age := now.Sub(kp.created)
	sent := kp.sent.Load()
	if age >= cfg.RejectAfterTime || sent >= cfg.RejectAfterMessages {
		s.wantHandshake()
		return nil
	}
	if sent >= cfg.RekeyAfterMessages || (kp.isInitiator && age >= cfg.RekeyAfterTime) ||
		age >= cfg.RejectAfterTime-cfg.KeepaliveTimeout {
		s.wantHandshake()
	}
	return kp
}

// sendOrStage sends prefix‖payload as one packet, or stages it while the
// session has no usable keys.
func (s *Session) sendOrStage(prefix, payload []byte, ip bool) error {
	if kp := s.usableKeypair(s.node.now()); kp != nil {
		return s.sendPlaintext(kp, prefix, payload)
	}
	buf := make([]byte, len(payload))
	copy(buf, payload)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.ctx.Done() // cancelled right after the cleanup that set closing
		return closedError(context.Cause(s.ctx))
	}
	// The keys may have arrived since the check above: the flush that
	// follows a handshake takes the staged datagrams under s.mu, so one
	// staged after it would wait for the next handshake. Check again here.
	if kp := s.usableKeypair(s.node.now()); kp != nil {
		s.mu.Unlock()
		return s.sendPlaintext(kp, prefix, payload)
	}
	if len(s.staged) > 0 && s.stagedIP != ip {
		// One kind at a time: a session is either a tunnel or an application's.
		s.counters.drops[DropDatagramQueue].Add(uint64(len(s.staged)))
		s.staged = s.staged[:0]
	}
	if len(s.staged) >= s.node.cfg.DatagramQueue {
		s.staged = s.staged[1:]
		s.counters.drops.add(DropDatagramQueue)
	}
	s.staged = append(s.staged, buf)
	s.stagedIP = ip
	s.mu.Unlock()
	s.wantHandshake()
	return nil
}

// flush sends datagrams staged before kp existed.
func (s *Session) flush(kp *keypair, staged [][]byte, ip bool) {
	ft := wire.FrameTypeDatagram
	if ip {
		ft = wire.FrameTypeIP
	}
	prefix := [1]byte{byte(ft)}
	for _, b := range staged {
		if err := s.sendPlaintext(kp, prefix[:], b); err != nil {
			return
		}
	}
}

// sendPlaintext seals prefix‖payload with kp and sends it. A nil plaintext
// is a keepalive.
func (s *Session) sendPlaintext(kp *keypair, prefix, payload []byte) error {
	bp := packetPool.Get().(*[]byte)
	defer packetPool.Put(bp)
	b := (*bp)[:wire.DataHeaderLen]
	pn := s.sendCounter.Add(1) - 1
	wire.PutDataHeader(b, kp.remote, wire.PacketNumber(pn))
	b = append(b, prefix...)
	b = append(b, payload...)
	sc := scratchPool.Get().(*sendScratch)
	defer scratchPool.Put(sc)
	nonce := &sc.nonce
	stc.PutNonce(nonce, pn)
	// Sealed in place: the ciphertext overwrites the plaintext exactly, and
	// the header before it is the associated data (crypto/cipher's contract:
	// dst is the plaintext's own storage and does not overlap the AD).
	plain := b[wire.DataHeaderLen:]
	sealed := kp.send.Seal(plain[:0], nonce[:], plain, b[:wire.DataHeaderLen])
	b = b[:wire.DataHeaderLen+len(sealed)]
	kp.sent.Add(1)

	now := s.node.now()
	if err := s.node.writeTo(b, s.RemoteAddr()); err != nil {
		return err
	}
	s.lastSent.Store(now.UnixNano())
	s.needKeepalive.Store(false)
	s.counters.packetsSent.Add(1)
	s.counters.bytesSent.Add(uint64(len(b)))
	return nil
}
