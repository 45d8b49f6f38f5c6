package ackhandler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/wire"
)

type nopHandler struct{ acked, lost int }

func (h *nopHandler) OnAcked(wire.Frame) { h.acked++ }
func (h *nopHandler) OnLost(wire.Frame)  { h.lost++ }

// senderPipe sends a packet per step and acknowledges the one sent inFlight
// steps earlier, every lossEvery-th packet missing from the ACKs (0: none),
// one ACK frame per step as a receiver acknowledging every packet would.
type senderPipe struct {
	h         *SentPacketHandler
	handler   *nopHandler
	frames    []Frame
	ack       wire.AckFrame
	now       time.Time
	pn        wire.PacketNumber
	inFlight  wire.PacketNumber
	lossEvery wire.PacketNumber
}

func newSenderPipe(inFlight, lossEvery wire.PacketNumber) *senderPipe {
	rtt := congestion.NewRTTStats()
	p := &senderPipe{
		h:        NewSentPacketHandler(rtt, congestion.NewCubic(rtt, 1200)),
		handler:  &nopHandler{},
		now:      t0,
		inFlight: inFlight, lossEvery: lossEvery,
	}
	p.frames = []Frame{{Frame: &pnFrame{}, Handler: p.handler}}
	p.ack.AckRanges = make([]wire.AckRange, 0, wire.MaxAckRanges)
	return p
}

func (p *senderPipe) step() error {
	p.now = p.now.Add(10 * time.Microsecond)
	p.h.SentPacket(p.now, p.pn, 1200, true, p.frames)
	p.pn++
	if p.pn <= p.inFlight {
		return nil
	}
	// Acknowledge [pn−inFlight−8, pn−inFlight] minus the lost packets.
	largest := p.pn - 1 - p.inFlight
	smallest := largest - min(largest, 8)
	p.ack.AckRanges = p.ack.AckRanges[:0]
	inRange := false
	var top wire.PacketNumber
	for pn := largest; ; pn-- {
		if p.lossEvery > 0 && pn%p.lossEvery == 0 {
			if inRange {
				p.ack.AckRanges = append(p.ack.AckRanges, wire.AckRange{Smallest: pn + 1, Largest: top})
				inRange = false
			}
		} else if !inRange {
			inRange, top = true, pn
		}
		if pn == smallest {
			if inRange {
				p.ack.AckRanges = append(p.ack.AckRanges, wire.AckRange{Smallest: pn, Largest: top})
			}
			break
		}
	}
	if len(p.ack.AckRanges) == 0 {
		return nil
	}
	return p.h.ReceivedAck(&p.ack, p.now)
}

func BenchmarkSentPacketReceivedAck(b *testing.B) {
	for _, bc := range []struct {
		name      string
		lossEvery wire.PacketNumber
	}{{"no loss", 0}, {"1% loss", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			p := newSenderPipe(100, bc.lossEvery)
			for range 10000 {
				if err := p.step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.SetBytes(1200)
			for b.Loop() {
				if err := p.step(); err != nil {
					b.Fatal(err)
				}
			}
			if bc.lossEvery > 0 && p.handler.lost == 0 {
				b.Fatal("no loss detected")
			}
		})
	}
}

// receiverPipe receives a packet per step, every lossEvery-th missing, and
// takes an ACK frame whenever one is due.
type receiverPipe struct {
	tr        *ReceivedPacketTracker
	now       time.Time
	pn        wire.PacketNumber
	lossEvery wire.PacketNumber
	acks      int
}

func (p *receiverPipe) step() {
	p.now = p.now.Add(10 * time.Microsecond)
	if p.lossEvery == 0 || p.pn%p.lossEvery != 0 {
		p.tr.ReceivedPacket(p.pn, p.now, true)
	}
	p.pn++
	if p.tr.GetAckFrame(p.now, true) != nil {
		p.acks++
	}
}

func BenchmarkReceivedPacketGetAckFrame(b *testing.B) {
	for _, bc := range []struct {
		name      string
		lossEvery wire.PacketNumber
	}{{"no loss", 0}, {"1% loss, 256 ranges", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			p := &receiverPipe{tr: NewReceivedPacketTracker(), now: t0, lossEvery: bc.lossEvery}
			for range 100000 {
				p.step()
			}
			b.ReportAllocs()
			b.SetBytes(1200)
			for b.Loop() {
				p.step()
			}
			if p.acks == 0 {
				b.Fatal("no ACK sent")
			}
		})
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, lossEvery := range []wire.PacketNumber{0, 50} {
		s := newSenderPipe(100, lossEvery)
		for range 10000 { // grow the history ring and the frame storage
			require.NoError(t, s.step())
		}
		var err error
		allocs := testing.AllocsPerRun(2000, func() { err = s.step() })
		require.NoError(t, err)
		require.Zero(t, allocs, "SentPacket + ReceivedAck, loss every %d", lossEvery)
		if lossEvery > 0 {
			require.Positive(t, s.handler.lost)
		}

		r := &receiverPipe{tr: NewReceivedPacketTracker(), now: t0, lossEvery: lossEvery}
		allocs = testing.AllocsPerRun(20000, r.step)
		require.Zero(t, allocs, "ReceivedPacket + GetAckFrame, loss every %d", lossEvery)
		require.Positive(t, r.acks)
	}
}
