package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netns"
)

const (
	// tcpPort is the port of b's TCP receiver.
	tcpPort = 5201
	// tcpChunk is the size of each write and read of the TCP push.
	tcpChunk = 256 << 10
	// dialTimeout bounds the TCP connect through the tunnel.
	dialTimeout = 5 * time.Second
	// drainTimeout bounds the wait, after the push, for the receiver to read
	// what the sockets still hold.
	drainTimeout = 15 * time.Second
)

// tcpResult is what the receiver of a TCP push counted.
type tcpResult struct {
	bytes   int64         // received, equal to what was sent
	elapsed time.Duration // from the first write to the receiver's EOF
}

// tcpPush listens on dst inside bNS, connects to it from aNS, writes zeros
// for d, closes the write side and waits until the receiver has read
// everything. It fails unless the receiver got exactly the bytes sent.
func tcpPush(ctx context.Context, aNS, bNS netns.NsHandle, dst netip.AddrPort, d time.Duration) (tcpResult, error) {
	var ln net.Listener
	err := inNS(bNS, func() (err error) {
		ln, err = net.Listen("tcp", dst.String())
		return err
	})
	if err != nil {
		return tcpResult{}, fmt.Errorf("listen on %v in b: %w", dst, err)
	}
	type received struct {
		n   int64
		end time.Time
		err error
	}
	// recvCtx ends the receiver: with ctx, or when tcpPush returns early.
	recvCtx, stopRecv := context.WithCancel(ctx)
	recvc := make(chan received, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			recvc <- received{err: err}
			return
		}
		defer c.Close()
		stop := context.AfterFunc(recvCtx, func() { _ = c.SetReadDeadline(past) })
		defer stop()
		n, err := readZeros(c)
		recvc <- received{n, time.Now(), err}
	}()

	var conn net.Conn
	defer func() {
		// Ends the receiver on every return: Accept fails, or its Read
		// hits the deadline stopRecv sets.
		ln.Close()
		if conn != nil {
			conn.Close()
		}
		stopRecv()
		if recvc != nil {
			<-recvc
		}
	}()
	err = inNS(aNS, func() (err error) {
		dialer := net.Dialer{Timeout: dialTimeout}
		conn, err = dialer.DialContext(ctx, "tcp", dst.String())
		return err
	})
	if err != nil {
		return tcpResult{}, fmt.Errorf("connect from a: %w", err)
	}
	tc := conn.(*net.TCPConn)
	stop := context.AfterFunc(ctx, func() { _ = tc.SetWriteDeadline(past) })
	defer stop()

	zeros := make([]byte, tcpChunk)
	start := time.Now()
	if err := tc.SetWriteDeadline(start.Add(d)); err != nil {
		return tcpResult{}, err
	}
	var sent int64
	for ctx.Err() == nil { // checked after the deadline is set: see AfterFunc above
		n, err := tc.Write(zeros)
		sent += int64(n)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break // the push time is over
		}
		if err != nil {
			return tcpResult{}, fmt.Errorf("send after %d bytes: %w", sent, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return tcpResult{}, err
	}
	if err := tc.CloseWrite(); err != nil {
		return tcpResult{}, fmt.Errorf("close write side: %w", err)
	}

	drain := time.NewTimer(drainTimeout)
	defer drain.Stop()
	var r received
	select {
	case r = <-recvc:
		recvc = nil
	case <-ctx.Done():
		return tcpResult{}, ctx.Err()
	case <-drain.C:
		return tcpResult{}, fmt.Errorf("receiver still reading %v after %d bytes were sent", drainTimeout, sent)
	}
	switch {
	case ctx.Err() != nil:
		return tcpResult{}, ctx.Err()
	case r.err != nil:
		return tcpResult{}, fmt.Errorf("receiver: %w", r.err)
	case r.n != sent:
		return tcpResult{}, fmt.Errorf("receiver got %d bytes, %d were sent", r.n, sent)
	}
	return tcpResult{bytes: r.n, elapsed: r.end.Sub(start)}, nil
}

// errNotZero means the receiver read a byte other than the zeros sent.
var errNotZero = errors.New("received data differs from the zeros sent")

// readZeros reads r to EOF, checking that every byte is zero, and returns
// how many bytes it read.
func readZeros(r io.Reader) (int64, error) {
	buf := make([]byte, tcpChunk)
	zeros := make([]byte, tcpChunk)
	var total int64
	for {
		n, err := r.Read(buf)
		if !bytes.Equal(buf[:n], zeros[:n]) {
			return total, fmt.Errorf("after %d bytes: %w", total, errNotZero)
		}
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
