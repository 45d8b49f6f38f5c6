package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// Call sends cmd with args (encoded with encoding/json; nil for none) to
// the daemon serving the control socket at path, and decodes the result
// into result (a pointer; nil to ignore it). It waits until ctx is done at
// most.
//
// Errors: ErrNotRunning if no socket exists at path or nobody listens on
// it; ErrPermission if the caller may not connect; *RemoteError if the
// daemon answered with an error (an unknown command too);
// ErrRequestTooLarge for a request over MaxRequestSize; ctx's error when it
// ends first.
func Call(ctx context.Context, path string, cmd string, args any, result any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("control %s: %w", cmd, err)
	}
	line, err := encodeRequest(cmd, args)
	if err != nil {
		return err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return dialError(ctx, path, cmd, err)
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		c.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	_, writeErr := c.Write(line)
	// Read even if the write failed: the server may have answered before
	// hanging up (a refused client, say).
	respLine, err := readLine(c, MaxResponseSize)
	if err != nil {
		if writeErr != nil {
			return ioError(ctx, path, cmd, "sending the request", writeErr)
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("the daemon closed the connection without answering")
		}
		return ioError(ctx, path, cmd, "reading the response", err)
	}
	resp, err := decodeResponse(respLine)
	if err != nil {
		return fmt.Errorf("control %s via %s: %w", cmd, path, err)
	}
	if !resp.OK {
		return &RemoteError{Msg: resp.Error}
	}
	if result != nil && len(resp.Result) > 0 {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("control %s via %s: decoding the result: %w", cmd, path, err)
		}
	}
	return nil
}

// dialError classifies a failed connection attempt.
func dialError(ctx context.Context, path, cmd string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("control %s: connecting to %s: %w", cmd, path, ctx.Err())
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTDIR):
		return notRunningError(path)
	case errors.Is(err, fs.ErrPermission):
		return permissionError(path)
	case errors.Is(err, syscall.EAGAIN):
		return fmt.Errorf("control %s: the daemon at %s is overloaded (listen backlog full); try again", cmd, path)
	}
	return fmt.Errorf("control %s: %w", cmd, err)
}

// ioError reports a failed exchange, as ctx's error if ctx ended it.
func ioError(ctx context.Context, path, cmd, doing string, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Every deadline on the connection comes from ctx; the one set from
		// ctx.Deadline may fire a moment before ctx itself is done.
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("control %s via %s: %s: %w", cmd, path, doing, ctx.Err())
	}
	return fmt.Errorf("control %s via %s: %s: %w", cmd, path, doing, err)
}
