package ackhandler_test

import (
	"fmt"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/ackhandler"
	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// streamData stands for a stream that hears what became of its frames.
type streamData struct{}

func (streamData) OnAcked(f wire.Frame) {
	fmt.Printf("acked: offset %d\n", f.(*wire.StreamFrame).Offset)
}

func (streamData) OnLost(f wire.Frame) {
	fmt.Printf("lost, to send again: offset %d\n", f.(*wire.StreamFrame).Offset)
}

func Example() {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rtt := congestion.NewRTTStats()
	sender := ackhandler.NewSentPacketHandler(rtt, congestion.NewCubic(rtt, 1200))
	receiver := ackhandler.NewReceivedPacketTracker()
	var stream streamData

	// The sender sends five packets; packet 1 is lost on the way.
	for pn := range wire.PacketNumber(5) {
		f := &wire.StreamFrame{StreamID: 4, Offset: wire.ByteCount(pn) * 1000, Data: make([]byte, 1000)}
		sender.SentPacket(now, pn, 1100, true, []ackhandler.Frame{{Frame: f, Handler: stream}})
		if pn != 1 {
			receiver.ReceivedPacket(pn, now.Add(20*time.Millisecond), true)
		}
	}
	fmt.Println("mode:", sender.SendMode(now), "in flight:", sender.BytesInFlight())

	// The gap makes an ACK due at once; it reaches the sender 20 ms later.
	ack := receiver.GetAckFrame(now.Add(20*time.Millisecond), true)
	fmt.Println("ACK ranges:", ack.AckRanges)
	if err := sender.ReceivedAck(ack, now.Add(40*time.Millisecond)); err != nil {
		fmt.Println(err)
	}
	fmt.Println("RTT:", rtt.LatestRTT(), "in flight:", sender.BytesInFlight())
	// Output:
	// mode: any in flight: 5500
	// ACK ranges: [{2 4} {0 0}]
	// lost, to send again: offset 1000
	// acked: offset 0
	// acked: offset 2000
	// acked: offset 3000
	// acked: offset 4000
	// RTT: 40ms in flight: 0
}

func ExampleReceivedPacketTracker() {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := ackhandler.NewReceivedPacketTracker()

	// One ack-eliciting packet: the ACK may wait max_ack_delay.
	tr.ReceivedPacket(0, now, true)
	fmt.Println("due in:", tr.AckAlarm().Sub(now), "now:", tr.GetAckFrame(now, true) != nil)
	// A second one: due at once.
	now = now.Add(5 * time.Millisecond)
	tr.ReceivedPacket(1, now, true)
	fmt.Println("due in:", tr.AckAlarm().Sub(now))
	now = now.Add(time.Millisecond)
	ack := tr.GetAckFrame(now, true)
	fmt.Println(ack.AckRanges, ack.DelayTime)
	// Output:
	// due in: 25ms now: false
	// due in: 0s
	// [{0 1}] 1ms
}
