// Package impair is an impairing UDP relay for tests: it forwards datagrams
// between clients and one target while dropping, delaying, jittering,
// reordering, duplicating, corrupting and rate-limiting them as a [Config]
// says. It stands in for netem, which the kernel this project tests on
// lacks, and runs in-process on loopback ([NewRelay]) or as a program in a
// middle network namespace (cmd/stt-impair).
//
// A [Relay] listens on one address. Each client address it hears from gets
// an upstream socket of its own connected to the target, so replies find
// their way back, and the target sees one distinct source per client, as
// behind a NAT. Clients silent in both directions for two minutes are
// forgotten. Both directions are impaired independently ([Up] is from
// clients to the target, [Down] back), each with its own random stream
// derived from Config.Seed, so a run with equal traffic makes equal
// decisions.
//
// Each direction is a delay line: the reading goroutine decides a
// datagram's fate on arrival and stores a copy in a min-heap ordered by
// release time; one scheduler goroutine per direction sleeps on a single
// timer until the earliest release and sends what is due. There is no
// goroutine or timer per datagram, the heap is bounded (Config.QueueLimit
// and 64 MiB per direction), and buffers are pooled.
//
// Corruption flips one byte of the payload before the relay resends it, so
// the kernel computes a valid UDP checksum over the altered bytes and the
// receiver really sees them: this is how a test reaches a tunnel's
// authentication, which a bit flipped on the wire would not (the UDP
// checksum would drop it first).
//
// What the relay leaves to others: it knows nothing of the protocol it
// carries, never parses payloads, and does not emulate NAT mapping rules or
// ICMP. Network-level loss and rate limits on real interfaces are
// internal/netnstest's (nftables, tbf).
//
// Concurrency: all methods of Relay are safe for concurrent use; Close
// stops every goroutine the relay started before it returns.
package impair
