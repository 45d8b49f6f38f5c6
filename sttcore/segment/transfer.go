package segment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// copyBufSize is the most Receive reads at once.
const copyBufSize = 64 << 10

// Send writes the payload read from r to w as a segment stream named name:
// size bytes, or, if size is negative, a live stream read until r returns
// io.EOF. It ends with the end marker and does not close w (an sttcore
// Stream wants CloseWrite next).
//
// When ctx ends, Send stops: if w has SetWriteDeadline or SetDeadline, a
// blocked Write is interrupted (the deadline is cleared again before Send
// returns); otherwise Send stops before its next read of r. It then returns
// an error wrapping context.Cause(ctx), and the stream is unfinished: cancel
// it (CancelWrite). r holding fewer or more than size bytes fails with
// ErrSizeMismatch; errors of r and w are returned as they are.
func Send(ctx context.Context, w io.Writer, name string, r io.Reader, size int64, opts Options) error {
	enc, err := NewEncoder(w, Header{Name: name, Size: size}, opts)
	if err != nil {
		return err
	}
	stop := interruptOnDone(ctx, writeDeadline(w))
	err = send(ctx, enc, r)
	stop()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("segment: send of %q stopped: %w", name, context.Cause(ctx))
	}
	return err
}

func send(ctx context.Context, enc *Encoder, r io.Reader) error {
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		_, err := enc.fill(r)
		if err == io.EOF {
			return enc.Close()
		}
		if err != nil {
			return err
		}
	}
}

// Receive reads a segment stream from r and writes its payload to w. It
// returns the header, and nil once the end marker has been verified. The
// payload reaches w before it is verified: a caller that stores it should
// keep it under a temporary name until Receive returns nil.
//
// When ctx ends, Receive stops as Send does (with SetReadDeadline or
// SetDeadline on r) and returns an error wrapping context.Cause(ctx).
// Otherwise its errors are those of NewDecoder and Decoder.Read, or an
// error of w wrapped with a description. The header is returned with
// errors that come after it was read.
func Receive(ctx context.Context, r io.Reader, w io.Writer, opts Options) (Header, error) {
	stop := interruptOnDone(ctx, readDeadline(r))
	h, err := receive(ctx, r, w, opts)
	stop()
	var fe *FormatError
	if err != nil && ctx.Err() != nil && !errors.As(err, &fe) {
		return h, fmt.Errorf("segment: receive stopped: %w", context.Cause(ctx))
	}
	return h, err
}

func receive(ctx context.Context, r io.Reader, w io.Writer, opts Options) (Header, error) {
	d, err := NewDecoder(r, opts)
	if err != nil {
		return Header{}, err
	}
	size := min(d.h.Chunk, copyBufSize)
	if d.h.Size >= 0 {
		size = int(min(int64(size), max(d.h.Size, 1)))
	}
	buf := make([]byte, size)
	for {
		if ctx.Err() != nil {
			return d.h, context.Cause(ctx)
		}
		n, err := d.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return d.h, fmt.Errorf("segment: writing the payload of %q: %w", d.h.Name, werr)
			}
		}
		if err == io.EOF {
			return d.h, nil
		}
		if err != nil {
			return d.h, err
		}
	}
}

// interruptOnDone makes set(a past time) run when ctx ends, to interrupt a
// blocked Read or Write. The returned stop function cancels that, or, if it
// ran, waits for it and clears the deadline.
func interruptOnDone(ctx context.Context, set func(time.Time) error) (stop func()) {
	if set == nil || ctx.Done() == nil {
		return func() {}
	}
	ran := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		defer close(ran)
		_ = set(time.Unix(1, 0))
	})
	return func() {
		if cancel() {
			return
		}
		<-ran
		_ = set(time.Time{})
	}
}

func writeDeadline(w io.Writer) func(time.Time) error {
	switch d := w.(type) {
	case interface{ SetWriteDeadline(time.Time) error }:
		return d.SetWriteDeadline
	case interface{ SetDeadline(time.Time) error }:
		return d.SetDeadline
	}
	return nil
}

func readDeadline(r io.Reader) func(time.Time) error {
	switch d := r.(type) {
	case interface{ SetReadDeadline(time.Time) error }:
		return d.SetReadDeadline
	case interface{ SetDeadline(time.Time) error }:
		return d.SetDeadline
	}
	return nil
}
