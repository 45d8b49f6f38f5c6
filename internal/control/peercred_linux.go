package control

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// checkPeer admits a client only if it runs as root or as the server's own
// user (SO_PEERCRED). The 0600 socket keeps others out already; this closes
// the moment between bind and chmod, and a directory left open by mistake.
func checkPeer(c *net.UnixConn, euid int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("reading peer credentials: %w", err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("reading peer credentials: %w", err)
	}
	if credErr != nil {
		return fmt.Errorf("reading peer credentials: %w", credErr)
	}
	if cred.Uid != 0 && int64(cred.Uid) != int64(euid) {
		return fmt.Errorf("%w: uid %d may not use this control socket: run as root", ErrPermission, cred.Uid)
	}
	return nil
}
