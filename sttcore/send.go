package sttcore

import (
	"context"
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
	var nonce [stc.NonceSize]byte
	stc.PutNonce(&nonce, pn)
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
