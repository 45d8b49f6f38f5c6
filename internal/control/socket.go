package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	// maxSocketPath is the longest path a unix socket address holds
	// (sun_path is 108 bytes on Linux, NUL included).
	maxSocketPath = 107

	// probeTimeout bounds Listen's connection attempt to an existing socket.
	probeTimeout = time.Second

	socketMode = 0o600
	dirMode    = 0o700
)

// createSocket makes path a fresh unix socket with mode 0600 and returns its
// listener and file info (to recognise the file at Close). It creates the
// parent directory 0700 if missing, replaces a stale socket and refuses a
// live one or a file that is not a socket. The parent directory is locked
// meanwhile, so two daemons starting at once cannot remove each other's
// socket.
func createSocket(path string) (*net.UnixListener, os.FileInfo, error) {
	if len(path) > maxSocketPath {
		return nil, nil, fmt.Errorf("control socket path %s is %d bytes, longer than the %d a unix socket allows",
			path, len(path), maxSocketPath)
	}
	dir := filepath.Dir(path)
	if err := ensureDir(dir); err != nil {
		return nil, nil, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()

	if err := removeStale(path); err != nil {
		return nil, nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("creating control socket: %w", err)
	}
	// Close unlinks only a file that is still ours (see Server.Close).
	ln.SetUnlinkOnClose(false)
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		ln.Close()
		os.Remove(path)
		return nil, nil, err
	}
	// The mode bind gives the file depends on the umask: set it, then check.
	if err := os.Chmod(path, socketMode); err != nil {
		return fail(fmt.Errorf("restricting control socket: %w", err))
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return fail(fmt.Errorf("checking control socket: %w", err))
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != socketMode {
		return fail(fmt.Errorf("control socket %s has mode %v after chmod %o", path, fi.Mode(), socketMode))
	}
	return ln, fi, nil
}

// ensureDir creates dir with mode 0700 if it does not exist. An existing
// directory is left as it is.
func ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("control socket directory %s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control socket directory: %w", err)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("creating control socket directory: %w", err)
	}
	// MkdirAll's mode passes through the umask: set it, then check.
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("restricting control socket directory: %w", err)
	}
	fi, err = os.Stat(dir)
	if err != nil {
		return fmt.Errorf("control socket directory: %w", err)
	}
	if fi.Mode().Perm() != dirMode {
		return fmt.Errorf("control socket directory %s has mode %v after chmod %o", dir, fi.Mode().Perm(), dirMode)
	}
	return nil
}

// removeStale clears path for bind: nothing there is fine; a socket that
// nobody answers on is a leftover of a killed daemon and is removed; a
// socket that answers belongs to a running daemon (ErrInUse); anything
// else is an error and stays.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is %w (mode %v): remove it or choose another control socket path",
			path, ErrNotSocket, fi.Mode())
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	switch {
	case err == nil:
		c.Close()
		return inUseError(path)
	case errors.Is(err, syscall.EAGAIN):
		// The backlog is full: someone is listening.
		return inUseError(path)
	case errors.Is(err, syscall.ECONNREFUSED):
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale control socket: %w", err)
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, fs.ErrPermission):
		return permissionError(path)
	}
	return fmt.Errorf("probing existing control socket %s: %w", path, err)
}
