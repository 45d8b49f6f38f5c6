// Package tunnelbench measures stt-tun against the raw veth path it runs
// over, in one run, so that anyone can reproduce the ratio on their own
// machine. It holds one benchmark, BenchmarkTunnel, and the parsers of the
// tools' output it relies on.
//
// # What it measures
//
// Two network namespaces (internal/netnstest) are joined by one veth pair
// (MTU 1500):
//
//	A 192.0.2.1/24 ── veth ── 192.0.2.2/24 B     the underlay (raw path)
//	A 10.77.0.1   ═══ stt0 ═══ 10.77.0.2    B     the overlay (the tunnel)
//
// The benchmark builds stt-tun from ./cmd/stt-tun, makes keys and the
// shared seed with its genkey, pubkey and genseed, writes each side's
// configuration (overlay MTU 1420, log level warn) and runs `stt-tun up`
// in each namespace, with an iperf3 server in B. Once a ping crosses the
// tunnel it measures, from A to B, each figure first on the raw path (to
// B's underlay address) and then through the tunnel (to its overlay
// address), back to back:
//
//   - iperf3 TCP, 1 stream and 4 streams (-P 4): the receiver's Gbit/s;
//   - iperf3 UDP at 500 Mbit/s in 1300-byte datagrams: loss in %;
//   - ping, 50 echoes 20 ms apart: average round trip in ms;
//
// and, just before stopping each daemon, its peak resident set size
// (VmHWM in /proc/PID/status). These are the figures and settings of
// ../shared/bench/netbench.sh, which compares stt-tun with wireguard-go,
// Nebula and tinc; this benchmark needs none of those.
//
// It reports, with testing.B.ReportMetric, both paths' Gbit/s for one and
// four TCP streams and their ratios stt/raw, both UDP losses, both ping
// averages and the larger daemon peak in MB (10^6 bytes), and logs a
// table that states the ratios in words. Every measurement must succeed:
// an iperf3 error, a run that moved nothing, a ping with no reply or a
// daemon that exits fails the benchmark instead of reporting a zero.
//
// # Running it
//
// As root, with iproute2 (ip, ss), iputils ping, iperf3 and /dev/net/tun:
//
//	go test -run '^$' -bench Tunnel -benchtime 1x ./internal/tunnelbench/
//	./scripts/bench-tunnel.sh          # the same, for users
//
// It skips, saying why, without them. One run takes about 40 s with the
// defaults: six iperf3 runs, four TCP warm-ups, two pings and the setup.
// -benchtime Nx repeats the measurements N times over the same tunnel and
// reports means; -count N repeats everything, tunnel included, for
// benchstat.
//
// Environment:
//
//	TUNNELBENCH_SECONDS=5     seconds per iperf3 run (1..3600)
//	TUNNELBENCH_OMIT=1        leading seconds of each TCP run left out (iperf3 -O)
//	TUNNELBENCH_UDP_RATE=500M target rate of the UDP run (iperf3 -b)
//	TUNNELBENCH_BIN=/abs/path a prebuilt stt-tun to measure instead of building one
//	STT_CPUPROFILE_DIR=/abs/dir  each daemon writes a CPU profile there
//	                          (A.pprof, B.pprof; stt-tun up --cpuprofile)
//
// # Reading the figures
//
// Throughput on a small shared machine (the project's is two cores, and
// other work runs beside it) is noisy: iperf3, both daemons and the kernel
// compete for the same cores, and a neighbour's burst moves any absolute
// figure by tens of percent. Quote the ratios stt/raw of one run, not the
// Gbit/s, and compare builds with several runs (-count) and benchstat.
// The raw path is an upper bound no tunnel reaches: the kernel hands 64 KiB
// TSO segments across a veth without ever cutting them into packets.
//
// # What it leaves to others
//
// The namespaces, veth pair and process handling are internal/netnstest's;
// the tunnel is cmd/stt-tun's; the comparison with other VPNs is
// netbench.sh's (through scripts/netbench-hook.sh). Correctness through the
// tunnel is the end-to-end tests' business (cmd/stt-tun): this package only
// measures, and asserts nothing about speed.
//
// # Concurrency
//
// The parsers are pure functions, safe for concurrent use. The benchmark
// runs its tools one after another: two benchmarks at once on one machine
// would measure each other. Everything it makes (namespaces, processes,
// temporary files) carries a unique name and is removed at cleanup even
// when it fails, and a last cleanup checks that none of it is left.
package tunnelbench
