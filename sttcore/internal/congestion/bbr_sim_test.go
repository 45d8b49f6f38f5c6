package congestion

import (
	"container/heap"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// pathSim is a sender on a path with one bottleneck, in simulated time: the
// sender's packets queue at a link of a fixed rate with a drop-tail buffer,
// then cross a fixed one-way delay, where a fraction of them is lost at
// random; the receiver acknowledges every packet at once and the ACK takes
// the same delay back. The sender sends whenever the controller lets it and
// the application has data; a packet is declared lost when one sent three
// later is acknowledged, as RFC 9002's packet threshold says (the path
// does not reorder).
type pathSim struct {
	t   testing.TB
	rng *rand.Rand
	now time.Time
	cc  Controller
	rtt *RTTStats
	mss wire.ByteCount

	rate   Bandwidth      // of the bottleneck link
	delay  time.Duration  // one-way propagation delay, each direction
	buffer wire.ByteCount // the bottleneck's queue
	loss   float64        // random loss after the bottleneck

	// appLimit, if positive, is the rate at which the application hands
	// data to the sender; zero means it always has data.
	appLimit   Bandwidth
	appCredit  wire.ByteCount
	appUpdated time.Time
	// onAppLimited is called when the sender could send but has no data.
	onAppLimited func(bytesInFlight wire.ByteCount)

	linkFree time.Time // when the bottleneck link is next idle
	acks     ackQueue
	seq      int
	nextPN   wire.PacketNumber
	sent     []simPacket // outstanding packets, ascending packet numbers
	inflight wire.ByteCount

	acked, lost, dropped, randomLoss int
	ackedBytes                       wire.ByteCount
	// after is called after every event, for invariant checks.
	after func()
}

type simPacket struct {
	pn       wire.PacketNumber
	sendTime time.Time
	size     wire.ByteCount
}

type ackEvent struct {
	at  time.Time
	seq int
	pn  wire.PacketNumber
}

type ackQueue []ackEvent

func (q ackQueue) Len() int { return len(q) }
func (q ackQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q ackQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *ackQueue) Push(x any)   { *q = append(*q, x.(ackEvent)) }
func (q *ackQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

const simMSS = 1200

// newPathSim returns a simulation of a path of rate, delay (one way) and a
// buffer of bufferBDP bandwidth-delay products, losing loss of the packets at
// random, driven by cc (which must read rtt).
func newPathSim(t testing.TB, cc Controller, rtt *RTTStats, rate Bandwidth, delay time.Duration, bufferBDP, loss float64, seed uint64) *pathSim {
	bdp := rate.bytesIn(2 * delay)
	return &pathSim{
		t: t, rng: rand.New(rand.NewPCG(seed, 9438)), now: t0, cc: cc, rtt: rtt, mss: simMSS,
		rate: rate, delay: delay, buffer: max(wire.ByteCount(bufferBDP*float64(bdp)), 4*simMSS), loss: loss,
	}
}

// newBBRSim returns a BBR controller on a simulated path.
func newBBRSim(t testing.TB, rate Bandwidth, delay time.Duration, bufferBDP, loss float64, seed uint64) (*BBR, *pathSim) {
	rtt := NewRTTStats()
	b := NewBBR(rtt, simMSS)
	b.rng.Seed(seed, 1)
	return b, newPathSim(t, b, rtt, rate, delay, bufferBDP, loss, seed)
}

// appData returns how much data the application has for the sender.
func (s *pathSim) appData() wire.ByteCount {
	if s.appLimit == 0 {
		return s.mss
	}
	if !s.appUpdated.IsZero() {
		s.appCredit = min(s.appCredit+s.appLimit.bytesIn(s.now.Sub(s.appUpdated)), 64*s.mss)
	}
	s.appUpdated = s.now
	return s.appCredit
}

func (s *pathSim) send() {
	pn := s.nextPN
	s.nextPN++
	if s.appLimit > 0 {
		s.appCredit -= s.mss
	}
	s.inflight += s.mss
	s.cc.OnPacketSent(s.now, s.inflight, pn, s.mss, true)
	s.sent = append(s.sent, simPacket{pn: pn, sendTime: s.now, size: s.mss})
	// The bottleneck queue: what it holds is what the link still has to
	// serialise.
	queued := wire.ByteCount(0)
	if s.linkFree.After(s.now) {
		queued = s.rate.bytesIn(s.linkFree.Sub(s.now))
	}
	if queued+s.mss > s.buffer {
		s.dropped++
		return
	}
	start := s.linkFree
	if start.Before(s.now) {
		start = s.now
	}
	s.linkFree = start.Add(time.Duration(float64(s.mss) / float64(s.rate) * float64(time.Second)))
	if s.rng.Float64() < s.loss {
		s.randomLoss++
		return
	}
	s.seq++
	heap.Push(&s.acks, ackEvent{at: s.linkFree.Add(2 * s.delay), seq: s.seq, pn: pn})
}

// receiveAck handles the ACK of packet pn: losses first (packet
// threshold), then the acknowledgment, as package ackhandler does.
func (s *pathSim) receiveAck(pn wire.PacketNumber) {
	prior := s.inflight
	i := sort.Search(len(s.sent), func(j int) bool { return s.sent[j].pn >= pn })
	if i == len(s.sent) || s.sent[i].pn != pn {
		s.t.Fatalf("ACK of packet %d, which is not outstanding", pn)
	}
	p := s.sent[i]
	s.rtt.UpdateRTT(s.now.Sub(p.sendTime), 0)
	// The path does not reorder: every packet before this one that is
	// still outstanding was lost, once it is three packet numbers behind.
	k := 0
	for ; k < i && s.sent[k].pn+3 <= pn; k++ {
		q := s.sent[k]
		s.lost++
		s.inflight -= q.size
		s.cc.OnCongestionEvent(q.pn, q.size, prior)
	}
	copy(s.sent[k+1:i+1], s.sent[k:i]) // drop the acknowledged packet
	s.sent = s.sent[k+1:]
	s.inflight -= p.size
	s.acked++
	s.ackedBytes += p.size
	s.cc.OnPacketAcked(pn, p.size, prior, s.now)
}

// run simulates d of time.
func (s *pathSim) run(d time.Duration) {
	end := s.now.Add(d)
	for s.now.Before(end) {
		for len(s.acks) > 0 && !s.acks[0].at.After(s.now) {
			e := heap.Pop(&s.acks).(ackEvent)
			s.receiveAck(e.pn)
			if s.after != nil {
				s.after()
			}
		}
		if len(s.acks) == 0 && len(s.sent) > 0 {
			// Everything in flight was lost: a probe timeout would find
			// out; declare it lost.
			for _, q := range s.sent {
				s.lost++
				s.inflight -= q.size
				s.cc.OnCongestionEvent(q.pn, q.size, s.inflight+q.size)
			}
			s.sent = s.sent[:0]
		}
		for s.cc.CanSend(s.inflight) && s.cc.HasPacingBudget(s.now) && s.appData() >= s.mss {
			s.send()
			if s.after != nil {
				s.after()
			}
		}
		if s.onAppLimited != nil && s.cc.CanSend(s.inflight) && s.cc.HasPacingBudget(s.now) && s.appData() < s.mss {
			s.onAppLimited(s.inflight)
		}
		next := end
		if len(s.acks) > 0 && s.acks[0].at.Before(next) {
			next = s.acks[0].at
		}
		if s.cc.CanSend(s.inflight) && s.appData() >= s.mss {
			if at := s.cc.TimeUntilSend(s.inflight); !at.IsZero() && at.Before(next) {
				next = at
			}
		}
		if s.appLimit > 0 && s.appCredit < s.mss {
			at := s.now.Add(time.Duration(float64(s.mss-s.appCredit) / float64(s.appLimit) * float64(time.Second)))
			if at.Before(next) {
				next = at
			}
		}
		require.True(s.t, next.After(s.now) || next.Equal(end), "simulated time does not advance")
		s.now = next
	}
}

// goodput runs the simulation for d and returns the rate at which data was
// acknowledged meanwhile.
func (s *pathSim) goodput(d time.Duration) Bandwidth {
	before := s.ackedBytes
	s.run(d)
	return deliveryRate(s.ackedBytes-before, d)
}

// within reports whether got is within frac of want.
func within(got, want Bandwidth, frac float64) bool {
	return float64(got) >= float64(want)*(1-frac) && float64(got) <= float64(want)*(1+frac)
}

// TestBBROnSimulatedPaths runs BBR over bottlenecks of several rates,
// delays, buffers and random loss rates, and checks that it finds the
// bottleneck's rate and the path's RTT, reaches ProbeBW, and delivers close
// to the link's rate, less only what random loss takes; at 1 % and 5 % loss
// it must beat Cubic on the same path by far.
func TestBBROnSimulatedPaths(t *testing.T) {
	tests := []struct {
		name      string
		rate      Bandwidth
		delay     time.Duration
		bufferBDP float64
		loss      float64
		// minShare is the least share of the link's rate delivered in
		// steady state.
		minShare float64
		// vsCubic is how many times Cubic's goodput BBR must reach.
		vsCubic float64
	}{
		{"10 MB/s 20 ms", 10e6, 20 * time.Millisecond, 1, 0, 0.9, 0},
		{"20 MB/s 20 ms 1% loss", 20e6, 20 * time.Millisecond, 1, 0.01, 0.85, 10},
		{"20 MB/s 20 ms 5% loss", 20e6, 20 * time.Millisecond, 1, 0.05, 0.8, 10},
		{"2 MB/s 100 ms shallow buffer", 2e6, 100 * time.Millisecond, 0.2, 0, 0.85, 0},
		{"1 MB/s 5 ms 5% loss", 1e6, 5 * time.Millisecond, 2, 0.05, 0.8, 1.2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := newBBRSim(t, tt.rate, tt.delay, tt.bufferBDP, tt.loss, uint64(i))
			s.run(3 * time.Second) // Startup, Drain, into ProbeBW
			require.Equal(t, BBRProbeBW, b.State())
			require.True(t, within(b.BandwidthEstimate(), tt.rate, 0.1), "BtlBw %d, link %d", b.BandwidthEstimate(), tt.rate)
			serialisation := time.Duration(float64(simMSS) / float64(tt.rate) * float64(time.Second))
			require.InDelta(t, float64(2*tt.delay+serialisation), float64(b.MinRTT()), float64(time.Millisecond), "RTprop")

			got := s.goodput(2 * time.Second)
			require.GreaterOrEqual(t, float64(got), tt.minShare*(1-tt.loss)*float64(tt.rate), "goodput %d of %d", got, tt.rate)
			t.Logf("goodput %.2f MB/s of %.2f (%d lost at random, %d dropped at the queue), cwnd %d, BtlBw %d, RTprop %v",
				float64(got)/1e6, float64(tt.rate)/1e6, s.randomLoss, s.dropped, b.GetCongestionWindow(), b.BandwidthEstimate(), b.MinRTT())

			if tt.vsCubic > 0 {
				rtt := NewRTTStats()
				c := NewCubic(rtt, simMSS)
				cs := newPathSim(t, c, rtt, tt.rate, tt.delay, tt.bufferBDP, tt.loss, uint64(i))
				cs.run(3 * time.Second)
				cubic := cs.goodput(2 * time.Second)
				t.Logf("Cubic on the same path: %.2f MB/s", float64(cubic)/1e6)
				require.Greater(t, float64(got), tt.vsCubic*float64(cubic), "BBR %d, Cubic %d", got, cubic)
			}
		})
	}
}
