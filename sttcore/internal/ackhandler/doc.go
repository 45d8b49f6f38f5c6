// Package ackhandler is the loss recovery of STT streams: RFC 9002 loss
// detection, probe timeouts and persistent congestion on the sending side,
// and on the receiving side the record of received packet numbers from which
// ACK frames are built, with the ACK timing of RFC 9000 §13.2. It is
// modelled on quic-go's internal/ackhandler, simplified to one packet number
// space (the DATA packet counter of docs/protocol.md §3.4, §6.3), no ECN, no
// 0-RTT and no path migration.
//
// The sending side is a SentPacketHandler: tell it of every packet sent
// (SentPacket) and of every ACK frame received (ReceivedAck); arm one timer
// at GetLossDetectionTimeout and call OnLossDetectionTimeout when it fires;
// ask SendMode what may be sent and TimeUntilSend when pacing holds packets
// back. What a packet carried comes back through its Frames: each frame's
// handler hears OnAcked or OnLost, exactly once, and never both. The
// receiving side is a ReceivedPacketTracker: tell it of every packet
// received (ReceivedPacket), arm a timer at AckAlarm, and take ACK frames
// from GetAckFrame.
//
// Packet numbers a SentPacketHandler was not told about (unreliable
// datagrams sent between tracked packets) are unknown to it: acknowledgments
// of them are ignored, but they still count as sent (SentUntracked) and their
// acknowledgment still advances the largest acknowledged packet, which drives
// loss detection.
//
// Left to others: building and sending packets, retransmitting lost data in
// new packets (the frames' owners do that in OnLost), the congestion
// controller (package congestion), and the timers themselves: nothing here
// reads the clock, every method that needs the time takes it as an
// argument.
//
// Concurrency: neither type is safe for concurrent use; both belong to the
// goroutine that owns the session. Frame handlers are called on that
// goroutine, from within ReceivedAck and OnLossDetectionTimeout, and must
// not call back into the SentPacketHandler.
package ackhandler
