package ackhandler

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/wire"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const ms = time.Millisecond

// pnFrame stands for whatever a packet carried; it names its packet.
type pnFrame struct{ pn wire.PacketNumber }

func (f *pnFrame) Append(b []byte) ([]byte, error) { return append(b, byte(wire.FrameTypePing)), nil }
func (f *pnFrame) Length() int                     { return 1 }

// recorder is a FrameHandler that counts, per packet, the calls it got.
type recorder struct {
	acked, lost map[wire.PacketNumber]int
	order       []string // "ack N" / "lost N", in call order
}

func newRecorder() *recorder {
	return &recorder{acked: map[wire.PacketNumber]int{}, lost: map[wire.PacketNumber]int{}}
}

func (r *recorder) OnAcked(f wire.Frame) {
	pn := f.(*pnFrame).pn
	r.acked[pn]++
	r.order = append(r.order, "ack "+itoa(pn))
}

func (r *recorder) OnLost(f wire.Frame) {
	pn := f.(*pnFrame).pn
	r.lost[pn]++
	r.order = append(r.order, "lost "+itoa(pn))
}

func itoa(pn wire.PacketNumber) string { return strconv.FormatUint(uint64(pn), 10) }

func (r *recorder) frames(pn wire.PacketNumber) []Frame {
	return []Frame{{Frame: &pnFrame{pn}, Handler: r}}
}

// pnSet collects the packet numbers with a non-zero count.
func pnSet(m map[wire.PacketNumber]int) []wire.PacketNumber {
	var s []wire.PacketNumber
	for pn, n := range m {
		if n > 0 {
			s = append(s, pn)
		}
	}
	return s
}

// requireEachOnce checks that each packet in pns had exactly one callback.
func (r *recorder) requireEachOnce(t *testing.T, pns ...wire.PacketNumber) {
	t.Helper()
	for _, pn := range pns {
		require.Equal(t, 1, r.acked[pn]+r.lost[pn], "packet %d: %d acked, %d lost", pn, r.acked[pn], r.lost[pn])
	}
}

// ccEvent is a call to fakeController.
type ccEvent struct {
	kind            string // "sent", "acked", "lost", "rto", "persistent"
	pn              wire.PacketNumber
	bytes           wire.ByteCount
	inFlight        wire.ByteCount // bytesInFlight or priorInFlight
	retransmittable bool
}

// fakeController is a congestion.Controller that records what it is told
// and answers as configured.
type fakeController struct {
	events   []ccEvent
	canSend  bool
	pacingOK bool
	nextSend time.Time
	cwnd     wire.ByteCount
}

var _ congestion.Controller = (*fakeController)(nil)

func newFakeController() *fakeController {
	return &fakeController{canSend: true, pacingOK: true, cwnd: 1 << 20}
}

func (c *fakeController) OnPacketSent(_ time.Time, bif wire.ByteCount, pn wire.PacketNumber, bytes wire.ByteCount, r bool) {
	c.events = append(c.events, ccEvent{kind: "sent", pn: pn, bytes: bytes, inFlight: bif, retransmittable: r})
}
func (c *fakeController) CanSend(wire.ByteCount) bool { return c.canSend }
func (c *fakeController) OnPacketAcked(pn wire.PacketNumber, acked, prior wire.ByteCount, _ time.Time) {
	c.events = append(c.events, ccEvent{kind: "acked", pn: pn, bytes: acked, inFlight: prior})
}
func (c *fakeController) OnCongestionEvent(pn wire.PacketNumber, lost, prior wire.ByteCount) {
	c.events = append(c.events, ccEvent{kind: "lost", pn: pn, bytes: lost, inFlight: prior})
}
func (c *fakeController) OnRetransmissionTimeout(r bool) {
	c.events = append(c.events, ccEvent{kind: "rto", retransmittable: r})
}
func (c *fakeController) OnPersistentCongestion() {
	c.events = append(c.events, ccEvent{kind: "persistent"})
}
func (c *fakeController) TimeUntilSend(wire.ByteCount) time.Time { return c.nextSend }
func (c *fakeController) HasPacingBudget(time.Time) bool         { return c.pacingOK }
func (c *fakeController) GetCongestionWindow() wire.ByteCount    { return c.cwnd }
func (c *fakeController) InSlowStart() bool                      { return true }
func (c *fakeController) InRecovery() bool                       { return false }
func (c *fakeController) SetMaxDatagramSize(wire.ByteCount)      {}

// kinds returns the events of the given kind.
func (c *fakeController) kinds(kind string) []ccEvent {
	var out []ccEvent
	for _, e := range c.events {
		if e.kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// ackFrame builds an ACK frame from ranges given as pairs, highest first.
func ackFrame(delay time.Duration, pairs ...wire.PacketNumber) *wire.AckFrame {
	f := &wire.AckFrame{DelayTime: delay}
	for i := 0; i+1 < len(pairs); i += 2 {
		f.AckRanges = append(f.AckRanges, wire.AckRange{Smallest: pairs[i], Largest: pairs[i+1]})
	}
	return f
}

// newTestHandler returns a handler with a fake controller and an RTT
// estimator whose first sample is rtt (none if zero).
func newTestHandler(rtt time.Duration) (*SentPacketHandler, *fakeController, *congestion.RTTStats, *recorder) {
	stats := congestion.NewRTTStats()
	if rtt > 0 {
		stats.UpdateRTT(rtt, 0)
	}
	cc := newFakeController()
	return NewSentPacketHandler(stats, cc), cc, stats, newRecorder()
}
