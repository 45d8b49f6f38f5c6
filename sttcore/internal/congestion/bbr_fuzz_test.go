package congestion

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// FuzzBBR drives a BBR with an arbitrary sequence of events, as package
// ackhandler would report them (packets sent with increasing numbers, each
// acknowledged or lost at most once, in any order, with time moving forward
// by arbitrary steps), and checks that it never panics and its state stays
// sane: the window within its bounds, a pacing rate that lets packets go,
// its view of the flight equal to the sender's, and its send state bounded.
func FuzzBBR(f *testing.F) {
	f.Add([]byte("\x00\x10\x00\x10\x00\x10\x03\x40\x01\x00\x01\x00\x01\x00"))
	f.Add([]byte("\x00\xff\x00\xff\x02\x00\x03\xff\x01\x00\x04\x05\x00\x01"))
	f.Fuzz(fuzzBBR)
}

func fuzzBBR(t *testing.T, data []byte) {
	in := data
	next := func() byte {
		if len(in) == 0 {
			return 0
		}
		c := in[0]
		in = in[1:]
		return c
	}
	b := NewBBR(nil, 1200)
	now := t0
	type pkt struct {
		pn   wire.PacketNumber
		size wire.ByteCount
	}
	var out []pkt // outstanding, ascending
	var pn wire.PacketNumber
	var inflight wire.ByteCount
	for ops := 0; len(in) > 0 && ops < 500; ops++ { // bounded: each input stays fast under coverage instrumentation
		switch next() % 7 {
		case 0: // a packet, maybe after packet numbers used by others
			pn += 1 + wire.PacketNumber(next()%4)
			size := 1 + wire.ByteCount(next())*6
			if next()%4 == 0 { // an ACK only: not in flight
				b.OnPacketSent(now, inflight, pn, size, false)
				break
			}
			inflight += size
			b.OnPacketSent(now, inflight, pn, size, true)
			out = append(out, pkt{pn, size})
		case 1, 2: // an ACK of some outstanding packets, losses first
			if len(out) == 0 {
				break
			}
			prior := inflight
			i := int(next()) % len(out)
			lost := int(next()) % (i + 1)
			for _, p := range out[:lost] {
				inflight -= p.size
				b.OnCongestionEvent(p.pn, p.size, prior)
			}
			for _, p := range out[lost : i+1] {
				inflight -= p.size
				b.OnPacketAcked(p.pn, p.size, prior, now)
			}
			out = out[i+1:]
		case 3: // time passes
			now = now.Add(time.Duration(next()) * time.Duration(next()) * 10 * time.Microsecond)
		case 4:
			b.OnAppLimited(inflight)
		case 5:
			switch next() % 3 {
			case 0:
				b.OnPersistentCongestion()
			case 1:
				b.OnRetransmissionTimeout(next()%2 == 0)
			default:
				b.SetMaxDatagramSize(wire.ByteCount(next()) * 8)
			}
		case 6:
			if b.HasPacingBudget(now) {
				require.True(t, b.TimeUntilSend(inflight).IsZero() || !b.TimeUntilSend(inflight).After(now.Add(minPacingDelay)))
			} else {
				require.True(t, b.TimeUntilSend(inflight).After(now) || b.TimeUntilSend(inflight).Equal(now))
			}
		}
		require.GreaterOrEqual(t, b.GetCongestionWindow(), b.minWindow())
		require.LessOrEqual(t, b.GetCongestionWindow(), b.maxWindow())
		require.GreaterOrEqual(t, b.PacingRate(), bbrMinPacingRate)
		require.Equal(t, inflight, b.inflight)
		require.LessOrEqual(t, b.sampler.outstanding(), bbrMaxTrackedPackets)
		require.Equal(t, b.CanSend(inflight), inflight < b.GetCongestionWindow())
	}
}
