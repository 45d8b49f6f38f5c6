package overlay

import (
	"encoding/binary"

	"github.com/seigr/stt-tun/sttcore"
)

// The inbound path runs on the node's receive goroutine (the engine is the
// node's sttcore.IPReceiver):
//
//	IP frame ─► its peer ─► a well-formed IP packet? ─► inner source in the
//	peer's prefixes? ─► appended to the write batch, in place in the node's
//	buffer ─► FlushIP, after each batch read from the socket: device.Write
//	(which coalesces TCP segments into GRO super-packets for the kernel)
//
// rx is used only there, so it needs no lock.

// rxOffset is where every packet of a write batch starts in its buffer: the
// place the node hands them over at, with room for the virtio header.
const rxOffset = sttcore.IPHeadroom

type rxBatch struct {
	bufs   [][]byte // the packets to write, each at rxOffset
	copies [][]byte // own buffers for packets the node had elsewhere
	used   int      // copies in use
}

// ReceiveIP implements sttcore.IPReceiver.
func (e *Engine) ReceiveIP(s *sttcore.Session, buf []byte, offset int) {
	p := e.peer(s.RemotePublicKey())
	if p == nil {
		return // removed from the configuration; its session is closing
	}
	if p.session.Load() != s {
		p.session.Store(s) // the peer reached us on a new session
	}
	pkt, ok := ipPacket(buf[offset:])
	if !ok {
		if len(pkt) > 0 {
			p.dropMalformed.Add(1)
		}
		return
	}
	if !e.table.Load().SourceAllowed(p, pkt) {
		p.dropSource.Add(1)
		return
	}
	r := &e.rx
	if offset == rxOffset {
		r.bufs = append(r.bufs, buf[:offset+len(pkt)])
	} else {
		if r.used == len(r.copies) {
			r.copies = append(r.copies, make([]byte, rxOffset+maxPacket))
		}
		c := r.copies[r.used]
		r.used++
		n := copy(c[rxOffset:], pkt)
		r.bufs = append(r.bufs, c[:rxOffset+n])
	}
	p.rxPackets.Add(1)
	p.rxBytes.Add(uint64(len(pkt)))
}

// FlushIP implements sttcore.IPReceiver: the batch goes to the device.
func (e *Engine) FlushIP() {
	r := &e.rx
	if len(r.bufs) == 0 {
		return
	}
	e.nudgeKeeper()
	if _, err := e.dev.Write(r.bufs, rxOffset); err != nil {
		e.counts.writeErrors.Add(1)
		e.log.Debug("writing to device", "err", err)
	}
	clear(r.bufs)
	r.bufs = r.bufs[:0]
	r.used = 0
}

// ipPacket checks that b holds one IPv4 or IPv6 packet whose length field
// fits, and returns it without any trailing bytes.
func ipPacket(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return b, false
		}
		n := int(binary.BigEndian.Uint16(b[2:4]))
		if n < 20 || n > len(b) || int(b[0]&0x0f)*4 > n || b[0]&0x0f < 5 {
			return b, false
		}
		return b[:n], true
	case 6:
		if len(b) < 40 {
			return b, false
		}
		n := 40 + int(binary.BigEndian.Uint16(b[4:6]))
		if n > len(b) {
			return b, false
		}
		return b[:n], true
	}
	return b, false
}
