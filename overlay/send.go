package overlay

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	wgtun "golang.zx2c4.com/wireguard/tun"

	"github.com/seigr/stt-tun/routing"
)

// The outbound path, on one goroutine:
//
//	device.Read (a batch) ─► for each packet: routing.LookupDst
//	    ├─ no peer ─► ICMP destination unreachable, written back to the device
//	    └─ peer ─► its session (opened on demand) ─► Session.SendIP
//	               (sealed and sent at once, or staged until the handshake completes)

// headroom is the space left in front of each packet read from the device,
// which a vnet_hdr device needs for its virtio header.
const headroom = 32

// maxPacket is the largest packet the device hands over in one buffer.
const maxPacket = 65535

func (e *Engine) routineReadFromTUN() {
	defer e.wg.Done()
	batch := e.dev.BatchSize()
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, headroom+maxPacket)
	}
	sizes := make([]int, batch)
	failures := 0
	for {
		n, err := e.dev.Read(bufs, sizes, headroom)
		for i := range n {
			e.route(bufs[i][headroom : headroom+sizes[i]])
		}
		if err != nil {
			if e.ctx.Err() != nil || errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) {
				return
			}
			if errors.Is(err, wgtun.ErrTooManySegments) {
				// A GSO packet with more segments than a batch holds: the
				// device dropped it; reading goes on (wireguard-go does so).
				e.counts.malformed.Add(1)
				continue
			}
			failures++
			e.log.Warn("reading from device", "err", err, "failures", failures)
			if failures >= 10 {
				e.fail(fmt.Errorf("overlay: reading from the device failed %d times: %w", failures, err))
				return
			}
			select {
			case <-time.After(time.Second / 3):
			case <-e.ctx.Done():
				return
			}
			continue
		}
		failures = 0
	}
}

// route sends one packet read from the device to the peer that owns its
// destination.
func (e *Engine) route(pkt []byte) {
	p, ok := e.table.Load().LookupDst(pkt)
	if !ok {
		if _, valid := routing.PacketDst(pkt); !valid {
			e.counts.malformed.Add(1)
			return
		}
		e.counts.noRoute.Add(1)
		if reply := e.icmp.unreachable(pkt, time.Now()); reply != nil {
			if _, err := e.dev.Write([][]byte{reply}, headroom); err == nil {
				e.counts.icmpSent.Add(1)
			}
		}
		return
	}
	for attempt := 0; attempt < 2; attempt++ {
		s := e.connect(p)
		if s == nil {
			p.dropNoSession.Add(1)
			return
		}
		err := s.SendIP(pkt)
		if err == nil {
			p.txPackets.Add(1)
			p.txBytes.Add(uint64(len(pkt)))
			return
		}
		if !errors.Is(err, net.ErrClosed) {
			p.dropSend.Add(1)
			return
		}
		p.session.CompareAndSwap(s, nil) // the session ended: open a new one once
	}
	p.dropSend.Add(1)
}
