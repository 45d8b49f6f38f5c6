// Package transport carries STT packets between nodes: one packet in one
// datagram. [Conn] is the batch interface the STT engine reads and writes;
// [UDPConn] implements it over a UDP socket with recvmmsg/sendmmsg (on Linux
// with UDP GSO and GRO: a run of equal-sized packets is one system call and
// one trip through the stack), and the
// sub-package transporttest an in-process virtual network with loss, delay,
// reordering, duplication and address rewriting for deterministic tests.
//
// A Conn is safe for concurrent use by one reader and any number of writers.
// After Close, ReadBatch returns an error that wraps net.ErrClosed.
package transport
