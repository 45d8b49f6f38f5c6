// Package transporttest is an in-process virtual network for deterministic
// protocol tests that need no root (DESIGN.md §6): a [Network] hands out
// [Conn]s, each a [transport.Conn] at an address of its own, and moves
// packets between them with the impairments its [Config] asks for: loss,
// delay with jitter, reordering, duplication, an MTU and bounded receive
// queues, per link if need be ([Network.SetLink]). [Network.Rebind] plays a
// NAT that gives a Conn a new public address, and [Network.Partition] cuts
// two Conns apart. [Network.Stats] counts what happened to every packet.
//
// Every random decision comes from one PCG generator seeded by
// [Config.Seed], drawn in the order packets are written, so a test that
// writes from one goroutine sees the same losses, copies and delays on every
// run. Delays are measured with the time package's clock; under
// testing/synctest they run on the bubble's fake clock, so a test with a
// second of delay finishes at once and times are exact (create and close the
// Network inside the bubble).
//
// Packets are copied when written. A packet with no delay goes straight to
// the receiver's queue inside WriteBatch; delayed packets wait in a min-heap
// ordered by release time, which one goroutine per Network drains with a
// single timer. A full receive queue drops the packet, as a socket buffer
// does. The package does not model bandwidth, congestion or corruption.
//
// Concurrency: all methods are safe for concurrent use. A Conn serves one
// reader and any number of writers, as transport.Conn asks. Closing a Conn
// unblocks its ReadBatch, which returns an error wrapping net.ErrClosed;
// closing the Network closes every Conn and stops its goroutine.
package transporttest
