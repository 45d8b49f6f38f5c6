package ackhandler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// byteReader hands out fuzz input a byte at a time, zeros when it runs out.
type byteReader struct{ b []byte }

func (r *byteReader) more() bool { return len(r.b) > 0 }
func (r *byteReader) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// FuzzReceivedAck drives a SentPacketHandler with packets, untracked packet
// numbers, ACK frames from the input (malformed ones included), time steps
// and timer expiries. A frame is rejected exactly when wire would refuse to
// encode it or it acknowledges an unsent packet; every frame is told its
// fate at most once, and exactly once after a final ACK of everything; the
// bytes in flight always match the packets still outstanding.
func FuzzReceivedAck(f *testing.F) {
	f.Fuzz(fuzzReceivedAck)
}

func fuzzReceivedAck(t *testing.T, data []byte) {
	in := &byteReader{data}
	h, _, _, _ := newTestHandler(0)
	m := &ackModel{t: t, packets: map[wire.PacketNumber]*modelPacket{}}
	now := t0
	var next, largestSent wire.PacketNumber
	sentAny := false
	check := func() {
		require.Equal(t, m.inFlight, h.BytesInFlight())
		require.Equal(t, m.outstanding, h.hist.outstanding)
		if m.inFlight > 0 {
			require.False(t, h.GetLossDetectionTimeout().IsZero(), "packets in flight without a timer")
		}
	}
	for ops := 0; in.more() && ops < 300; ops++ {
		switch in.next() % 5 {
		case 0: // a tracked packet, maybe after unknown packet numbers
			pn := next + wire.PacketNumber(in.next()%4)
			p := &modelPacket{pn: pn, size: 1 + wire.ByteCount(in.next())*8, ackEliciting: in.next()%2 == 0}
			h.SentPacket(now, pn, p.size, p.ackEliciting, []Frame{{Frame: p, Handler: m}})
			m.packets[pn] = p
			m.outstanding++
			if p.ackEliciting {
				m.inFlight += p.size
			}
			next, largestSent, sentAny = pn+1, max(largestSent, pn), true
		case 1: // untracked packets
			pn := next + wire.PacketNumber(in.next()%8)
			h.SentUntracked(pn)
			next, largestSent, sentAny = pn+1, max(largestSent, pn), true
		case 2: // an ACK frame
			ack := &wire.AckFrame{DelayTime: time.Duration(in.next()) * time.Millisecond}
			largest := largestSent - wire.PacketNumber(in.next()%16) + wire.PacketNumber(in.next()%3)
			for range 1 + in.next()%4 {
				smallest := largest - wire.PacketNumber(in.next()%8)
				ack.AckRanges = append(ack.AckRanges, wire.AckRange{Smallest: smallest, Largest: largest})
				largest = smallest - 1 - wire.PacketNumber(in.next()%5)
			}
			_, encErr := ack.Append(nil)
			unsent := !sentAny || ack.AckRanges[0].Largest > largestSent
			err := h.ReceivedAck(ack, now)
			switch {
			case encErr != nil:
				require.ErrorIs(t, err, ErrInvalidAck)
			case unsent:
				require.ErrorIs(t, err, ErrUnsentPacketAcked)
			default:
				require.NoError(t, err)
			}
		case 3:
			now = now.Add(time.Duration(in.next()) * time.Millisecond)
		case 4:
			if a := h.GetLossDetectionTimeout(); in.next()%2 == 0 && a.After(now) {
				now = a
			}
			h.OnLossDetectionTimeout(now)
		}
		check()
	}
	if !sentAny {
		return
	}
	require.NoError(t, h.ReceivedAck(ackFrame(0, 0, largestSent), now))
	check()
	require.Zero(t, m.outstanding, "every packet told its fate after an ACK of everything")
	require.Zero(t, h.BytesInFlight())
	// Lost packets may stay a few PTOs as holes (to recognise reordering);
	// nothing may be outstanding, and no frame kept.
	for j := 0; j < h.hist.len(); j++ {
		p := h.hist.at(j)
		require.NotEqual(t, stateOutstanding, p.state, "packet %d still outstanding", p.pn)
		require.Empty(t, p.frames)
	}
}

// modelPacket is a fuzzed packet and its one frame.
type modelPacket struct {
	pn           wire.PacketNumber
	size         wire.ByteCount
	ackEliciting bool
	told         bool
}

func (*modelPacket) Append(b []byte) ([]byte, error) { return append(b, byte(wire.FrameTypePing)), nil }
func (*modelPacket) Length() int                     { return 1 }

// ackModel follows the fuzzed packets' fates as the handler reports them.
type ackModel struct {
	t           *testing.T
	packets     map[wire.PacketNumber]*modelPacket
	inFlight    wire.ByteCount
	outstanding int
}

func (m *ackModel) tell(f wire.Frame) {
	p := f.(*modelPacket)
	require.False(m.t, p.told, "packet %d told its fate twice", p.pn)
	p.told = true
	m.outstanding--
	if p.ackEliciting {
		m.inFlight -= p.size
	}
}

func (m *ackModel) OnAcked(f wire.Frame) { m.tell(f) }
func (m *ackModel) OnLost(f wire.Frame)  { m.tell(f) }

// FuzzReceivedPacketTracker feeds a ReceivedPacketTracker packet numbers,
// times and IgnoreBelow calls from the input. Every ACK frame it builds is
// valid, acknowledges only packets received, and omits none received above
// its lowest range; duplicates are reported only for packets seen before.
func FuzzReceivedPacketTracker(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &byteReader{data}
		tr := NewReceivedPacketTracker()
		now := t0
		base := wire.PacketNumber(in.next()) << 56
		received := map[wire.PacketNumber]bool{}
		var ignoreBelow wire.PacketNumber
		var firstUnacked time.Time                    // first ack-eliciting packet since the last ACK
		for ops := 0; in.more() && ops < 500; ops++ { // bounded: each input stays fast under coverage instrumentation
			switch in.next() % 4 {
			case 0, 1:
				pn := base + wire.PacketNumber(in.next())<<8 | wire.PacketNumber(in.next())
				ackEliciting := in.next()%2 == 0
				dup := tr.ReceivedPacket(pn, now, ackEliciting)
				if dup {
					require.True(t, received[pn] || pn < ignoreBelow, "packet %d reported a duplicate", pn)
				}
				if !dup && ackEliciting && firstUnacked.IsZero() {
					firstUnacked = now
				}
				if pn >= ignoreBelow {
					received[pn] = true
				}
			case 2:
				now = now.Add(time.Duration(in.next()) * time.Millisecond)
			case 3:
				if in.next()%8 == 0 {
					ignoreBelow = max(ignoreBelow, base+wire.PacketNumber(in.next())<<8)
					tr.IgnoreBelow(ignoreBelow)
					for pn := range received {
						if pn < ignoreBelow {
							delete(received, pn)
						}
					}
				}
				if !firstUnacked.IsZero() {
					a := tr.AckAlarm()
					require.False(t, a.IsZero(), "an ack-eliciting packet without an ACK alarm")
					require.False(t, a.After(firstUnacked.Add(MaxAckDelay)), "ACK alarm later than max_ack_delay")
				}
				ack := tr.GetAckFrame(now, in.next()%2 == 0)
				if ack == nil {
					continue
				}
				firstUnacked = time.Time{}
				_, err := ack.Append(nil)
				require.NoError(t, err, "invalid ACK frame %v", ack.AckRanges)
				require.GreaterOrEqual(t, ack.DelayTime, time.Duration(0))
				n := 0
				for _, r := range ack.AckRanges {
					for pn := r.Smallest; ; pn++ {
						require.True(t, received[pn], "packet %d acknowledged but not received", pn)
						n++
						if pn == r.Largest {
							break
						}
					}
				}
				lowest := ack.LowestAcked()
				for pn := range received {
					if pn >= lowest {
						n--
					}
				}
				require.Zero(t, n, "packets received above the lowest range are missing from the ACK")
			}
		}
	})
}
