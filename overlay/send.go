package overlay

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	wgtun "golang.zx2c4.com/wireguard/tun"

	"github.com/seigr/stt-tun/routing"
	"github.com/seigr/stt-tun/sttcore"
)

// The outbound path, on one goroutine:
//
//	device.Read (a batch; TSO super-packets already cut to MTU-sized ones)
//	  ─► for each packet: routing.LookupDst
//	       ├─ no peer ─► ICMP destination unreachable, written back to the device
//	       └─ peer ─► appended to the run of packets for that peer's session
//	  ─► each run: Session.SendIPBatch, sealed in place in the device's
//	     buffers and sent as UDP GSO messages (or staged until the handshake
//	     completes)

// headroom is the space left in front of each packet read from the device:
// a vnet_hdr device needs 10 bytes for its virtio header, and sealing in
// place needs sttcore.IPHeadroom for the DATA header.
const headroom = 32

// maxPacket is the largest packet the device hands over in one buffer.
const maxPacket = 65535

// tailroom is the spare capacity after each packet, for the tag.
const tailroom = sttcore.IPTailroom

func (e *Engine) routineReadFromTUN() {
	defer e.wg.Done()
	batch := e.dev.BatchSize()
	bufs := make([][]byte, batch)
	for i := range bufs {
		bufs[i] = make([]byte, headroom+maxPacket+tailroom)
	}
	sizes := make([]int, batch)
	run := make([][]byte, 0, batch)
	failures := 0
	for {
		n, err := e.dev.Read(bufs, sizes, headroom)
		if n > 0 {
			e.nudgeKeeper()
		}
		var to *peer
		for i := range n {
			b := bufs[i][:headroom+sizes[i]]
			p := e.route(b[headroom:])
			if p != to && len(run) > 0 {
				e.sendRun(to, run)
				run = run[:0]
			}
			if p != nil {
				to = p
				run = append(run, b)
			}
		}
		if len(run) > 0 {
			e.sendRun(to, run)
			clear(run)
			run = run[:0]
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

// route returns the peer that owns the packet's destination, or nil when
// none does (answered with ICMP) or the packet is malformed (counted).
func (e *Engine) route(pkt []byte) *peer {
	p, ok := e.table.Load().LookupDst(pkt)
	if ok {
		return p
	}
	if _, valid := routing.PacketDst(pkt); !valid {
		e.counts.malformed.Add(1)
		return nil
	}
	e.counts.noRoute.Add(1)
	if reply := e.icmp.unreachable(pkt, time.Now()); reply != nil {
		if _, err := e.dev.Write([][]byte{reply}, headroom); err == nil {
			e.counts.icmpSent.Add(1)
		}
	}
	return nil
}

// sendRun sends packets (each after headroom bytes) to p in one batch.
func (e *Engine) sendRun(p *peer, run [][]byte) {
	bytes := 0
	for _, b := range run {
		bytes += len(b) - headroom
	}
	for attempt := 0; attempt < 2; attempt++ {
		s := e.connect(p)
		if s == nil {
			p.dropNoSession.Add(uint64(len(run)))
			return
		}
		err := s.SendIPBatch(run, headroom)
		if err == nil {
			p.txPackets.Add(uint64(len(run)))
			p.txBytes.Add(uint64(bytes))
			return
		}
		if !errors.Is(err, net.ErrClosed) {
			p.dropSend.Add(1)
			e.log.Debug("sending to peer", "peer", p.config().Name, "err", err)
			return
		}
		// The session ended before sealing anything: open a new one once.
		p.session.CompareAndSwap(s, nil)
	}
	p.dropSend.Add(uint64(len(run)))
}
