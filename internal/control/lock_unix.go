//go:build unix

package control

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// lockWait bounds how long Listen waits for another process's Listen in the
// same directory.
const lockWait = 5 * time.Second

// lockDir takes an exclusive flock on dir and returns its release. The lock
// is held only while Listen checks, removes and binds the socket.
func lockDir(dir string) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening control socket directory %s: %w", dir, err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			unix.Close(fd)
			return nil, fmt.Errorf("locking control socket directory %s: %w", dir, err)
		}
		if time.Now().After(deadline) {
			unix.Close(fd)
			return nil, fmt.Errorf("locking control socket directory %s: another process has held it for %v", dir, lockWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
