//go:build !unix

package schedkeep

import "time"

// sleepInSyscall only sleeps where there is no nanosleep(2): the keeper then
// has no effect on the scheduler, but the loop behaves the same.
func sleepInSyscall(d time.Duration) { time.Sleep(d) }
