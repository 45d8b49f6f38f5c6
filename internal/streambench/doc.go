// Package streambench is the end-to-end proof and benchmark of sttcore
// streams: one stream carrying a large transfer between two nodes over real
// UDP in Linux network namespaces, with random loss on the path and, where
// asked, 20 ms of one-way delay; and its goodput beside kernel TCP's over
// the same path in the same run. Each case names the congestion controller
// of the stream's sender (sttcore.Config.CongestionControl): the lossy
// end-to-end tests run with BBR, which random loss does not slow down, and
// the benchmarks measure CUBIC and BBR side by side.
//
// The package holds only tests and a benchmark. Every case builds the same
// three-namespace path (internal/netnstest):
//
//	a 192.0.2.1 ── 192.0.2.2 m 198.51.100.1 ── 198.51.100.2 b
//
// Node A (the sender) lives in a, node B (the receiver) in b, and m
// forwards between them like a router. Loss is an nftables rule on both of
// m's interfaces (postrouting, so it hits forwarded packets and what m
// itself sends), one rule per direction: a datagram is lost on the wire,
// after its sender handed it to the kernel, as on a real path. (A rule on
// the sender's own interface would not do: a local netfilter drop fails the
// send with EPERM, which TCP treats as "try again", not as loss.)
//
// Delay comes from an internal/impair relay in m: A's node sends to the
// relay's address on m, the relay holds every datagram 20 ms in each
// direction and forwards it to B from its own socket, so B sees the relay
// as A's address, as behind a NAT. The relay runs as a separate process
// inside m (the test binary started again with STREAMBENCH_RELAY=1; see
// main_linux_test.go), because a relay's sockets must all be opened inside
// m and an in-process relay opens its upstream sockets on goroutines that
// run in the test's own namespace. TCP cannot pass through a UDP relay, so
// streams and TCP are compared without the delay.
//
// What it leaves to others: the stream protocol itself is sttcore's, and its
// unit tests are there; the namespaces, veth links and nftables rules are
// internal/netnstest's; the impairing relay is internal/impair's.
//
// Everything needs Linux, root, ip(8) and nft(8); tests skip with a reason
// otherwise.
package streambench
