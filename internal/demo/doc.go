// Package demo implements `stt-tun demo`, the first command a newcomer runs:
// on one Linux machine, as root, it shows an stt-tun VPN working between two
// hosts and then removes everything it made.
//
// [Run] builds the two hosts as network namespaces ("stt-demo-<pid>-<rand>-a"
// and "-b") joined by a veth pair (the underlay, 10.231.0.1 and .2), puts a
// TUN device stt0 with an overlay.Engine in each (the overlay, 10.232.0.1/.2
// and fd32::1/::2), and then measures, printing one plain line per step: the
// handshake time, five ICMP echoes over IPv4 and one over IPv6 through the
// tunnel, a TCP push of Options.Duration with its throughput, and the
// engines' own figures (packets, bytes, suite, key epoch, RTT, drops). Every
// device, socket and goroutine lives in this process; no external command is
// run.
//
// Whatever happens (a step fails, the context is cancelled by Ctrl-C), Run
// removes in reverse order what it created: the engines and their TUN
// devices, the veth pair and both namespaces, and says so in a last line.
// Namespaces left behind by a demo that was killed outright (SIGKILL runs no
// cleanup) are removed by the next Run once their process is gone.
//
// This package leaves to others: parsing flags and wiring signals to the
// context (cmd/stt-tun), the protocol (sttcore), the TUN device (tun) and the
// VPN engine (overlay). It configures namespaces and links through netlink
// (github.com/vishvananda/netlink and netns) and needs neither iproute2 nor
// ping.
//
// Concurrency: Run may be called from several goroutines at once; each call
// builds its own uniquely named namespaces. Namespace switches happen only on
// short-lived goroutines locked to their own OS thread, so the caller's
// thread never changes namespace.
//
// Only Linux is supported; elsewhere Run returns ErrNotSupported.
package demo
