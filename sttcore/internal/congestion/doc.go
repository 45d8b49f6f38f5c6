// Package congestion is the congestion controller and RTT estimator of STT
// streams: the round-trip statistics of RFC 9002 §5, CUBIC congestion control
// after RFC 9438 (slow start, Reno-friendly region, fast convergence) with the
// window rules of RFC 9002 §7, and a token-bucket pacer (RFC 9002 §7.7). It is
// modelled on quic-go's internal/congestion and internal/utils/rtt_stats.go,
// simplified to one packet number space and no ECN.
//
// The few things a user needs: NewRTTStats, NewCubic, and the Controller
// interface that package ackhandler drives. A Controller learns of every
// packet sent (OnPacketSent), acknowledged (OnPacketAcked) and lost
// (OnCongestionEvent); the sender asks it whether the window has room
// (CanSend) and when the pacer lets the next packet go (HasPacingBudget,
// TimeUntilSend).
//
// Left to others: deciding which packets are acknowledged or lost and when
// (package ackhandler), what to send, and arming timers. Nothing here reads
// the clock: every method that needs the time takes it as an argument.
//
// Concurrency: a Cubic is not safe for concurrent use; it belongs to the
// goroutine that owns its session. An RTTStats has one writer (UpdateRTT,
// SetInitialRTT, SetMaxAckDelay, all on the owner's goroutine), but its
// getters may be called from any goroutine at any time, for status displays.
package congestion
