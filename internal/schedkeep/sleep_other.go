//go:build !linux

package schedkeep

import "time"

// sleepInSyscall only sleeps where this package does not call nanosleep(2): the keeper then
// has no effect on the scheduler, but the loop behaves the same.
func sleepInSyscall(d time.Duration) { time.Sleep(d) }
