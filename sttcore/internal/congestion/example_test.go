package congestion_test

import (
	"fmt"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/wire"
)

func ExampleNewCubic() {
	rtt := congestion.NewRTTStats()
	cc := congestion.NewCubic(rtt, 1200)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Println("initial window:", cc.GetCongestionWindow())

	// A round trip of ten packets, all acknowledged: slow start doubles.
	var inFlight wire.ByteCount
	for pn := range wire.PacketNumber(10) {
		inFlight += 1200
		cc.OnPacketSent(now, inFlight, pn, 1200, true)
	}
	now = now.Add(50 * time.Millisecond)
	rtt.UpdateRTT(50*time.Millisecond, 0)
	for pn := range wire.PacketNumber(10) {
		cc.OnPacketAcked(pn, 1200, 12000, now)
	}
	fmt.Println("after one round trip:", cc.GetCongestionWindow(), "slow start:", cc.InSlowStart())

	// A loss: the window drops to β = 0.7 of itself.
	cc.OnPacketSent(now, 1200, 10, 1200, true)
	cc.OnCongestionEvent(10, 1200, 1200)
	fmt.Println("after a loss:", cc.GetCongestionWindow(), "recovery:", cc.InRecovery())

	// The pacer lets 10 datagrams go at once, then spaces them out.
	next := cc.TimeUntilSend(0)
	fmt.Println("pacing:", cc.HasPacingBudget(now), next.IsZero())
	// Output:
	// initial window: 12000
	// after one round trip: 24000 slow start: true
	// after a loss: 16800 recovery: true
	// pacing: true true
}

func ExampleNewBBR() {
	rtt := congestion.NewRTTStats()
	cc := congestion.NewBBR(rtt, 1200)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Println("initial window:", cc.GetCongestionWindow(), "state:", cc.State())

	// Ten packets, 1 ms apart, each acknowledged 50 ms after it left: the
	// model learns the RTT and a first delivery rate, and Startup grows
	// the window by what was acknowledged.
	var inFlight wire.ByteCount
	for pn := range wire.PacketNumber(10) {
		inFlight += 1200
		cc.OnPacketSent(now.Add(time.Duration(pn)*time.Millisecond), inFlight, pn, 1200, true)
	}
	for pn := range wire.PacketNumber(10) {
		cc.OnPacketAcked(pn, 1200, inFlight, now.Add(time.Duration(50+pn)*time.Millisecond))
		inFlight -= 1200
	}
	fmt.Println("after one round trip:", cc.GetCongestionWindow(), "state:", cc.State())
	fmt.Println("min RTT:", cc.MinRTT(), "bandwidth:", cc.BandwidthEstimate(), "B/s")

	// A loss changes neither the window nor the model.
	cc.OnPacketSent(now, 1200, 10, 1200, true)
	cc.OnCongestionEvent(10, 1200, 1200)
	fmt.Println("after a loss:", cc.GetCongestionWindow(), "recovery:", cc.InRecovery())
	// Output:
	// initial window: 12000 state: Startup
	// after one round trip: 24000 state: Startup
	// min RTT: 50ms bandwidth: 203389 B/s
	// after a loss: 24000 recovery: false
}

func ExampleRTTStats() {
	rtt := congestion.NewRTTStats()
	fmt.Println("before a sample, PTO:", rtt.PTO(true))
	rtt.UpdateRTT(40*time.Millisecond, 0)
	rtt.UpdateRTT(60*time.Millisecond, 10*time.Millisecond) // 10 ms of it was ack delay
	fmt.Println("smoothed:", rtt.SmoothedRTT(), "min:", rtt.MinRTT(), "latest:", rtt.LatestRTT())
	fmt.Println("rttvar:", rtt.MeanDeviation(), "PTO:", rtt.PTO(true))
	// Output:
	// before a sample, PTO: 325ms
	// smoothed: 41.25ms min: 40ms latest: 60ms
	// rttvar: 17.5ms PTO: 136.25ms
}
