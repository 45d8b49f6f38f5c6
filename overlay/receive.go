package overlay

import (
	"encoding/binary"

	"github.com/seigr/stt-tun/sttcore"
)

// The inbound path runs on the node's receive goroutine (sttcore calls
// receiveIP for every IP frame that authenticated):
//
//	IP frame ─► its peer ─► a well-formed IP packet? ─► inner source in the
//	peer's prefixes? ─► device.Write
//
// wbuf is used only there, so it needs no lock.

func (e *Engine) receiveIP(s *sttcore.Session, pkt []byte) {
	p := e.peer(s.RemotePublicKey())
	if p == nil {
		return // removed from the configuration; its session is closing
	}
	if p.session.Load() != s {
		p.session.Store(s) // the peer reached us on a new session
	}
	pkt, ok := ipPacket(pkt)
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
	buf := e.writeBuf()
	n := copy(buf[headroom:], pkt)
	if _, err := e.dev.Write([][]byte{buf[:headroom+n]}, headroom); err != nil {
		e.log.Debug("writing to device", "err", err)
		return
	}
	p.rxPackets.Add(1)
	p.rxBytes.Add(uint64(len(pkt)))
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

func (e *Engine) writeBuf() []byte {
	if e.wbuf == nil {
		e.wbuf = make([]byte, headroom+maxPacket)
	}
	return e.wbuf
}
