// Package schedkeep keeps the Go scheduler's monitor thread awake while a
// latency-sensitive data path carries traffic.
//
// The runtime's monitor thread, sysmon, goes into a deep sleep whenever every
// P (the runtime's right to run Go code) is idle. The next goroutine that
// enters a system call must then wake it: a futex wake and a context switch,
// after which sysmon polls every 20 µs for about a millisecond, on the same
// CPUs that carry the packets. A tunnel at low packet rates, such as a ping,
// an interactive shell or a request and its response, goes idle between
// packets, so each packet paid this in each tunnel end. On this project's
// 2-core test machine ping through stt-tun took 0.42–0.50 ms with it and
// 0.34–0.37 ms with a Keeper (docs/performance.md).
//
// A P held by a goroutine in a system call is not idle. While traffic flows,
// Keeper.Run holds one P in a short blocking system call (a 5 ms nanosleep),
// again and again, so sysmon never finds every P idle. It yields between the
// calls: the runtime takes back a P that has run one goroutine for 10 ms,
// system calls or not. When the traffic stops, Run stops too, after Linger,
// and looks at the traffic again every Poll, or at once when the data path
// calls Nudge. GODEBUG=schedtrace keeps sysmon
// awake the same way, as a side effect, with output.
//
// The runtime takes the held P back only when other goroutines are waiting
// and no P is idle, and it may take up to 10 ms to notice. A program that
// runs a Keeper should therefore have one P more than it needs otherwise:
// stt-tun raises GOMAXPROCS by one.
package schedkeep
