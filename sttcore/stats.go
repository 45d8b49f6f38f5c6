package sttcore

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc"
)

// DropReason says why a received packet was dropped. Nothing is ever sent in
// answer to a dropped packet.
type DropReason int

const (
	DropMalformed      DropReason = iota // not a valid STT packet (version, type, size, header)
	DropUnknownIndex                     // DATA or RESPONSE naming no keypair or handshake of ours
	DropAuth                             // DATA that did not authenticate (wrong key, a flipped bit)
	DropReplay                           // DATA whose counter was seen before or is too old
	DropExpired                          // DATA on a keypair past RejectAfterTime or RejectAfterMessages
	DropFrames                           // DATA that authenticated but held invalid frames
	DropMAC1                             // handshake packet with a bad mac1: not for us, or another network
	DropHandshake                        // handshake packet that failed Noise (tampered, wrong keys)
	DropHelloReplay                      // HELLO with a timestamp not newer than the last one from that peer
	DropHelloFlood                       // HELLO from a peer less than 20 ms after its last one
	DropUnknownPeer                      // HELLO from a key that Config.AcceptPeer refused
	DropRateLimited                      // handshake packet over the per-address rate limit (under load)
	DropQueueFull                        // handshake queue, pending sessions or accept backlog full
	DropCookie                           // CHALLENGE that did not open
	DropDatagramQueue                    // received datagram with a full receive queue, or staged datagram displaced
	DropStaleHandshake                   // RESPONSE or CHALLENGE for a handshake already retried or finished
	numDropReasons
)

var dropNames = [numDropReasons]string{
	"malformed", "unknown_index", "auth", "replay", "expired", "frames", "mac1", "handshake",
	"hello_replay", "hello_flood", "unknown_peer", "rate_limited", "queue_full", "cookie", "datagram_queue",
	"stale_handshake",
}

func (r DropReason) String() string {
	if r < 0 || r >= numDropReasons {
		return "unknown"
	}
	return dropNames[r]
}

// Drops counts dropped packets by reason: Drops[DropAuth] and so on.
type Drops [numDropReasons]uint64

// Total is the sum over every reason.
func (d Drops) Total() uint64 {
	var t uint64
	for _, v := range d {
		t += v
	}
	return t
}

// Map returns the non-zero counters by name, for logs and JSON.
func (d Drops) Map() map[string]uint64 {
	m := make(map[string]uint64)
	for i, v := range d {
		if v != 0 {
			m[DropReason(i).String()] = v
		}
	}
	return m
}

type dropCounters [numDropReasons]atomic.Uint64

func (d *dropCounters) add(r DropReason) { d[r].Add(1) }

func (d *dropCounters) snapshot() Drops {
	var out Drops
	for i := range d {
		out[i] = d[i].Load()
	}
	return out
}

// NodeStats are a node's counters since it started.
type NodeStats struct {
	Sessions        int    // open sessions (confirmed or not)
	PendingSessions int    // sessions begun by a HELLO, not yet confirmed
	Indices         int    // live local indices (handshakes and keypairs)
	HandshakesDone  uint64 // handshakes completed, either role
	ChallengesSent  uint64 // CHALLENGE packets sent under load
	PacketsReceived uint64 // every packet read from the transport
	BytesReceived   uint64
	// Drops counts every packet that was dropped, by reason. Drops that can be
	// put down to a session are also in that session's Stats.
	Drops Drops
}

// Stats are a session's counters.
type Stats struct {
	Remote   stc.PublicKey
	Endpoint netip.AddrPort // where packets go: the source of the latest authenticated packet
	Suite    stc.Suite      // the AEAD of the current keypair

	Established   bool      // a keypair has been confirmed
	LastHandshake time.Time // when the current keypair was made
	KeyEpoch      uint64    // 1 for the first keypair, +1 for every rekey
	Handshakes    uint64    // handshakes completed (the first and every rekey)
	Roams         uint64    // times the endpoint changed without a handshake

	PacketsSent, PacketsReceived uint64 // DATA packets, keepalives included
	BytesSent, BytesReceived     uint64 // DATA packet bytes on the wire
	DatagramsSent                uint64
	DatagramsReceived            uint64
	// RTT is the latest round-trip time measured by a handshake or a path
	// probe; zero before the first.
	RTT   time.Duration
	Drops Drops

	// Streams.
	StreamsOpen     int    // streams not yet finished in both directions
	StreamsOpened   uint64 // streams this side opened
	StreamsAccepted uint64 // streams the peer opened
	// Loss recovery and congestion control of the stream traffic.
	StreamPacketsLost uint64        // packets declared lost (their frames sent again)
	ProbeTimeouts     uint64        // probe timeouts that fired
	CongestionWindow  uint64        // bytes
	SmoothedRTT       time.Duration // from acknowledgements; zero before the first
}

// HandshakeAge is how long ago the current keypair was made, at now.
func (s *Stats) HandshakeAge(now time.Time) time.Duration {
	if s.LastHandshake.IsZero() {
		return 0
	}
	return now.Sub(s.LastHandshake)
}

type sessionCounters struct {
	packetsSent, packetsReceived     atomic.Uint64
	bytesSent, bytesReceived         atomic.Uint64
	datagramsSent, datagramsReceived atomic.Uint64
	handshakes, roams                atomic.Uint64
	rtt                              atomic.Int64
	drops                            dropCounters
}
