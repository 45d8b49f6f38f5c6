package ackhandler

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// simConfig describes the channel between a SentPacketHandler and a
// ReceivedPacketTracker.
type simConfig struct {
	name          string
	seed          uint64
	packets       int           // data items to deliver
	delay         time.Duration // one-way base delay, both directions
	jitter        time.Duration // extra delay, uniform in [0, jitter): reorders
	loss, ackLoss float64       // drop probability, each direction
	dup           float64       // duplication probability, data direction
	datagrams     float64       // probability of an untracked datagram before a packet
}

// simFrame is the one frame of a simulated packet: data item data (-1 for a
// PING probe) sent in packet pn.
type simFrame struct {
	pn   wire.PacketNumber
	data int
}

func (*simFrame) Append(b []byte) ([]byte, error) { return append(b, byte(wire.FrameTypePing)), nil }
func (*simFrame) Length() int                     { return 1 }

type simEvent struct {
	at  time.Time
	seq int
	pn  wire.PacketNumber // a packet arriving at the receiver, if ack is nil
	ack *wire.AckFrame    // an ACK arriving at the sender
}

type eventQueue []simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type sim struct {
	t   *testing.T
	cfg simConfig
	rng *rand.Rand
	now time.Time

	h   *SentPacketHandler
	rtt *congestion.RTTStats
	tr  *ReceivedPacketTracker

	events eventQueue
	seq    int
	nextPN wire.PacketNumber

	tracked   map[wire.PacketNumber]time.Time // send time of every tracked packet
	arrival   map[wire.PacketNumber]time.Time // first arrival at the receiver, any packet
	acked     map[wire.PacketNumber]int
	lost      map[wire.PacketNumber]int
	lostAt    map[wire.PacketNumber]time.Time
	dataAcked []bool
	resend    []int
	nextData  int
}

func newSim(t *testing.T, cfg simConfig) *sim {
	rtt := congestion.NewRTTStats()
	return &sim{
		t: t, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 9002)), now: t0,
		h:   NewSentPacketHandler(rtt, congestion.NewCubic(rtt, 1200)),
		rtt: rtt, tr: NewReceivedPacketTracker(),
		tracked: map[wire.PacketNumber]time.Time{}, arrival: map[wire.PacketNumber]time.Time{},
		acked: map[wire.PacketNumber]int{}, lost: map[wire.PacketNumber]int{}, lostAt: map[wire.PacketNumber]time.Time{},
		dataAcked: make([]bool, cfg.packets),
	}
}

func (s *sim) OnAcked(f wire.Frame) {
	sf := f.(*simFrame)
	s.acked[sf.pn]++
	if sf.data >= 0 {
		s.dataAcked[sf.data] = true
	}
}

func (s *sim) OnLost(f wire.Frame) {
	sf := f.(*simFrame)
	s.lost[sf.pn]++
	s.lostAt[sf.pn] = s.now
	if sf.data >= 0 && !s.dataAcked[sf.data] {
		s.resend = append(s.resend, sf.data)
	}
}

func (s *sim) schedule(e simEvent, lossProb float64) {
	if s.rng.Float64() < lossProb {
		return
	}
	e.at = s.now.Add(s.cfg.delay)
	if s.cfg.jitter > 0 {
		e.at = e.at.Add(time.Duration(s.rng.Int64N(int64(s.cfg.jitter))))
	}
	s.seq++
	e.seq = s.seq
	heap.Push(&s.events, e)
}

// nextData returns the data item to send next, or -1 if none is left.
func (s *sim) nextDataItem() int {
	for len(s.resend) > 0 {
		d := s.resend[0]
		s.resend = s.resend[1:]
		if !s.dataAcked[d] {
			return d
		}
	}
	if s.nextData < s.cfg.packets {
		s.nextData++
		return s.nextData - 1
	}
	return -1
}

func (s *sim) haveData() bool {
	for _, d := range s.resend {
		if !s.dataAcked[d] {
			return true
		}
	}
	return s.nextData < s.cfg.packets
}

func (s *sim) send(data int) {
	if s.rng.Float64() < s.cfg.datagrams {
		pn := s.nextPN
		s.nextPN++
		s.h.SentUntracked(pn)
		s.schedule(simEvent{pn: pn}, s.cfg.loss)
	}
	pn := s.nextPN
	s.nextPN++
	s.tracked[pn] = s.now
	s.h.SentPacket(s.now, pn, 1200, true, []Frame{{Frame: &simFrame{pn: pn, data: data}, Handler: s}})
	s.schedule(simEvent{pn: pn}, s.cfg.loss)
	if s.rng.Float64() < s.cfg.dup {
		s.schedule(simEvent{pn: pn}, 0)
	}
}

func (s *sim) done() bool {
	return s.nextData == s.cfg.packets && !s.haveData() && s.h.hist.outstanding == 0
}

func (s *sim) run() {
	t := s.t
	for iter := 0; !s.done(); iter++ {
		require.Less(t, iter, 5_000_000, "the simulation does not finish")
		require.Less(t, s.now.Sub(t0), time.Hour, "the simulation does not finish")
		for len(s.events) > 0 && !s.events[0].at.After(s.now) {
			e := heap.Pop(&s.events).(simEvent)
			if e.ack != nil {
				require.NoError(t, s.h.ReceivedAck(e.ack, s.now))
				continue
			}
			_, tracked := s.tracked[e.pn]
			dup := s.tr.ReceivedPacket(e.pn, s.now, tracked)
			_, seen := s.arrival[e.pn]
			require.Equal(t, seen, dup, "packet %d: duplicate", e.pn)
			if !seen {
				s.arrival[e.pn] = s.now
			}
		}
		if a := s.h.GetLossDetectionTimeout(); !a.IsZero() && !a.After(s.now) {
			s.h.OnLossDetectionTimeout(s.now)
		}
		if a := s.tr.AckAlarm(); !a.IsZero() && !a.After(s.now) {
			f := s.tr.GetAckFrame(s.now, true)
			require.NotNil(t, f)
			require.Less(t, len(f.AckRanges), wire.MaxAckRanges, "the test must stay within the ranges an ACK holds")
			s.schedule(simEvent{ack: &wire.AckFrame{AckRanges: slices.Clone(f.AckRanges), DelayTime: f.DelayTime}}, s.cfg.ackLoss)
		}
		mode := s.h.SendMode(s.now)
		for mode == SendPTO || (mode == SendAny && s.haveData()) {
			s.send(s.nextDataItem()) // a PTO without data sends a PING (-1)
			mode = s.h.SendMode(s.now)
		}
		// Advance to the next thing that can happen.
		var next time.Time
		consider := func(t time.Time) {
			if !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		if len(s.events) > 0 {
			consider(s.events[0].at)
		}
		consider(s.h.GetLossDetectionTimeout())
		consider(s.tr.AckAlarm())
		if mode == SendPacingLimited && s.haveData() {
			consider(s.h.TimeUntilSend())
		}
		if s.done() {
			break
		}
		require.False(t, next.IsZero(), "stuck at %v: mode %v, %d outstanding", s.now.Sub(t0), mode, s.h.hist.outstanding)
		require.True(t, next.After(s.now), "time does not advance: mode %v", mode)
		s.now = next
	}
}

// TestSimulatedChannel runs a SentPacketHandler and a ReceivedPacketTracker
// over a lossy, reordering channel with injected time, until every data item
// is acknowledged. It checks that every tracked packet ended acknowledged or
// lost exactly once, and that a packet declared lost although it arrived
// was overtaken by later packets: by at least PacketThreshold packet
// numbers, or for at least the time threshold of the path's RTT.
func TestSimulatedChannel(t *testing.T) {
	tests := []simConfig{
		{name: "perfect", packets: 2000, delay: 20 * ms},
		{name: "loss, in order", packets: 2000, delay: 20 * ms, loss: 0.05, ackLoss: 0.05},
		{name: "reordering, no loss", packets: 2000, delay: 10 * ms, jitter: 8 * ms},
		{name: "everything", packets: 3000, delay: 15 * ms, jitter: 5 * ms, loss: 0.03, ackLoss: 0.1, dup: 0.02, datagrams: 0.3},
		{name: "heavy loss", packets: 1000, delay: 30 * ms, jitter: time.Millisecond, loss: 0.2, ackLoss: 0.2, datagrams: 0.1},
		{name: "short path", packets: 3000, delay: 200 * time.Microsecond, jitter: 300 * time.Microsecond, loss: 0.01, ackLoss: 0.01, datagrams: 0.5},
	}
	var totalPTOs, totalSpurious, totalLost uint64
	for i, cfg := range tests {
		t.Run(cfg.name, func(t *testing.T) {
			cfg.seed = uint64(i + 1)
			s := newSim(t, cfg)
			s.run()

			for d, ok := range s.dataAcked {
				require.True(t, ok, "data item %d never acknowledged", d)
			}
			for pn := range s.tracked {
				require.Equal(t, 1, s.acked[pn]+s.lost[pn], "packet %d: acknowledged %d times, lost %d times", pn, s.acked[pn], s.lost[pn])
			}
			st := s.h.Stats()
			require.Equal(t, uint64(len(s.tracked)), st.PacketsAcked+st.PacketsLost)
			require.Equal(t, uint64(len(s.lost)), st.PacketsLost)
			require.Zero(t, s.h.BytesInFlight())
			require.True(t, s.h.GetLossDetectionTimeout().IsZero())
			// Nothing is outstanding; lost packets may linger a few PTOs
			// (to recognise reordering), as holes whose frames are released.
			for j := 0; j < s.h.hist.len(); j++ {
				p := s.h.hist.at(j)
				require.NotEqual(t, stateOutstanding, p.state, "packet %d still outstanding", p.pn)
				require.Empty(t, p.frames, "packet %d's frames not released", p.pn)
			}

			baseRTT := 2 * cfg.delay
			var spurious uint64
			for pn, at := range s.lostAt {
				arrived, ok := s.arrival[pn]
				if !ok {
					continue // really lost
				}
				spurious++
				overtaken, byThreshold := false, false
				for q, qa := range s.arrival {
					if q > pn && qa.Before(arrived) {
						overtaken = true
						byThreshold = byThreshold || q-pn >= PacketThreshold
					}
				}
				require.True(t, overtaken, "packet %d declared lost though it arrived in order", pn)
				age := at.Sub(s.tracked[pn])
				require.True(t, byThreshold || age >= baseRTT*9/8,
					"packet %d declared lost after %v, overtaken by fewer than %d packets", pn, age, PacketThreshold)
			}
			if cfg.jitter == 0 {
				require.Zero(t, spurious, "without reordering no loss is spurious")
			}
			if cfg.loss == 0 && cfg.jitter == 0 {
				require.Zero(t, st.PacketsLost, "a perfect channel loses nothing")
			}
			totalPTOs += st.PTOs
			totalSpurious += spurious
			totalLost += st.PacketsLost
			t.Logf("%d packets, %d lost (%d spurious), %d PTOs, %d persistent congestion, srtt %v, cwnd %d, time %v",
				len(s.tracked), st.PacketsLost, spurious, st.PTOs, st.PersistentCongestion, s.rtt.SmoothedRTT(),
				s.h.cc.GetCongestionWindow(), s.now.Sub(t0))
		})
	}
	// The scenarios must have exercised what the checks are about.
	require.Positive(t, totalPTOs, "no probe timeout fired")
	require.Positive(t, totalSpurious, "no spurious loss to check")
	require.Positive(t, totalLost)
}
