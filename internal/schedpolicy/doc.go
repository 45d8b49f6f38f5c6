// Package schedpolicy sets the CPU scheduling policy of every thread of the
// running process.
//
// stt-tun runs its threads as SCHED_BATCH. Under Linux's fair scheduler a
// SCHED_BATCH thread has the same share of CPU time as a normal one, but its
// wake-ups never preempt the thread that is running. The tunnel keeps deep
// queues: the device's queue (4000 packets by default) and a socket buffer of
// several megabytes. The applications it carries often do not. iperf3's UDP
// socket, for one, holds about 90 datagrams, 2 ms at 500 Mbit/s. When both
// want the same CPU, the application should run first; the tunnel catches up
// from its queues without loss. docs/performance.md has the measurements.
//
// The policy is a property of each thread, and a new thread inherits its
// creator's. Set therefore changes every thread that exists, and again
// until a pass finds none left to change: the Go runtime may start a thread
// meanwhile from one that was not yet changed.
package schedpolicy
