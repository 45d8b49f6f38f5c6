package control

import (
	"errors"
	"fmt"
)

// Sentinel errors. Listen and Call wrap them with the socket's path and a
// hint for the operator, so test them with errors.Is and print the wrapped
// error as is.
var (
	// ErrNotRunning is returned by Call when no daemon serves the socket:
	// the file does not exist or nothing listens on it.
	ErrNotRunning = errors.New("no stt-tun is running")

	// ErrInUse is returned by Listen when another process answers on the
	// socket path.
	ErrInUse = errors.New("another stt-tun is running")

	// ErrPermission is returned by Call (and by Listen's probe of an
	// existing socket) when the socket exists but the caller may not
	// connect to it.
	ErrPermission = errors.New("permission denied")

	// ErrNotSocket is returned by Listen when something other than a unix
	// socket occupies the path. Listen leaves it in place.
	ErrNotSocket = errors.New("not a unix socket")

	// ErrRequestTooLarge is returned by Call, before it connects, for a
	// request longer than MaxRequestSize; the server answers such a request
	// with a RemoteError.
	ErrRequestTooLarge = errors.New("control request too large")
)

// RemoteError is the error the daemon answered with ({"ok":false}): the
// command was unknown, its arguments invalid, or its handler failed. Call
// returns it as *RemoteError.
type RemoteError struct {
	Msg string // the daemon's message, meant for the operator
}

func (e *RemoteError) Error() string { return "daemon: " + e.Msg }

func notRunningError(path string) error {
	return fmt.Errorf("%w for this interface (no control socket at %s); start it with `stt-tun up --config FILE`",
		ErrNotRunning, path)
}

func inUseError(path string) error {
	return fmt.Errorf("%w with control socket %s: stop it with `stt-tun down` first", ErrInUse, path)
}

func permissionError(path string) error {
	return fmt.Errorf("%w on control socket %s: run as root", ErrPermission, path)
}
