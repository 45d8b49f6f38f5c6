//go:build linux

package schedkeep

import (
	"time"

	"golang.org/x/sys/unix"
)

// sleepInSyscall blocks in nanosleep(2) for d (x/sys/unix has Nanosleep on
// Linux, not on every Unix). unix.Nanosleep enters the
// system call the way the runtime accounts for (entersyscall), so the P stays
// with this goroutine unless the runtime needs it elsewhere; time.Sleep would
// park the goroutine and leave the P idle.
func sleepInSyscall(d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	_ = unix.Nanosleep(&ts, nil) // EINTR only cuts one tick short
}
