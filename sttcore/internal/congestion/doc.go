// Package congestion is the congestion control and RTT estimation of STT
// streams: the round-trip statistics of RFC 9002 §5; two congestion
// controllers, CUBIC after RFC 9438 (slow start, Reno-friendly region, fast
// convergence) with the window rules of RFC 9002 §7, and BBR version 1 after
// draft-cardwell-iccrg-bbr-congestion-control-00 with the delivery rate
// estimation of draft-cheng-iccrg-delivery-rate-estimation-00; and a
// token-bucket pacer (RFC 9002 §7.7) that both use. It is modelled on
// quic-go's internal/congestion and internal/utils/rtt_stats.go, simplified
// to one packet number space and no ECN.
//
// The few things a user needs: NewRTTStats, NewCubic or NewBBR, and the
// Controller interface that package ackhandler drives. A Controller learns
// of every packet sent (OnPacketSent), acknowledged (OnPacketAcked) and lost
// (OnCongestionEvent); the sender asks it whether the window has room
// (CanSend) and when the pacer lets the next packet go (HasPacingBudget,
// TimeUntilSend). BBR also wants to hear when the sender had nothing to send
// although it could have (BBR.OnAppLimited).
//
// CUBIC reads every loss as congestion; BBR builds a model of the path (its
// bottleneck bandwidth and round-trip propagation time) from the rate at
// which data is acknowledged, and random loss leaves the model alone: on a
// lossy path BBR is many times faster (see bbr.go for what it does and
// leaves out).
//
// Left to others: deciding which packets are acknowledged or lost and when
// (package ackhandler), what to send, and arming timers. Nothing here reads
// the clock: every method that needs the time takes it as an argument.
//
// Concurrency: a Cubic or a BBR is not safe for concurrent use; it belongs
// to the goroutine that owns its session. An RTTStats has one writer
// (UpdateRTT, SetInitialRTT, SetMaxAckDelay, all on the owner's goroutine),
// but its getters may be called from any goroutine at any time, for status
// displays.
package congestion
