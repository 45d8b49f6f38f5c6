//go:build linux

package streambench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore"
)

const (
	// ioBufSize is the size of every Write the sender makes and of the
	// reader's buffer, for streams and TCP alike.
	ioBufSize = 1 << 20
	// stallTimeout fails a transfer that has made no progress for this
	// long: a live stream on these paths delivers something every RTT.
	stallTimeout = 30 * time.Second
	// stallCheck is how often the watchdog looks at the progress.
	stallCheck = time.Second
	// progressEvery is how often a long transfer reports its progress.
	progressEvery = 30 * time.Second
)

// errStalled is the cause of a transfer the watchdog stopped.
var errStalled = errors.New("no byte received for " + stallTimeout.String())

// sender is the writing end of a transfer: a stream or a TCP connection.
type sender interface {
	io.Writer
	CloseWrite() error
	SetWriteDeadline(time.Time) error
	Close() error
}

// receiver is the reading end.
type receiver interface {
	io.Reader
	SetReadDeadline(time.Time) error
	Close() error
}

// route opens the two ends of one transfer.
type route struct {
	// open returns the sending end. It is called first, on the sender's
	// goroutine.
	open func(ctx context.Context) (sender, error)
	// accept returns the receiving end, on the receiver's goroutine.
	accept func(ctx context.Context) (receiver, error)
	// state describes the connection's inner state for failure messages;
	// nil if there is nothing to say.
	state func() string
	// losses returns the packets the sending side has sent and declared
	// lost so far; nil where they are not counted.
	losses func() (sent, lost uint64)
}

// result is what a transfer did.
type result struct {
	received int64         // bytes the receiver read
	elapsed  time.Duration // from the start to the receiver's EOF (or error)
	readErr  error         // what ended reading: io.EOF when all went well
	writeErr error         // the sender's error, nil when all went well
	stalled  bool          // the watchdog stopped the receiver
}

// goodput is the result's rate in MB/s (10^6 bytes per second).
func (r result) goodput() float64 { return float64(r.received) / r.elapsed.Seconds() / 1e6 }

// transfer copies size bytes of src from the sender to the receiver that r
// opens, reading into dst (which may be nil) until the stream ends. Both
// ends get limit as their deadline; the transfer also ends if no byte
// arrives for stallTimeout. If progress is not nil, it is called every
// progressEvery with the bytes received so far.
func transfer(r route, size int64, src io.Reader, dst io.Writer, limit time.Duration, progress func(received int64, elapsed time.Duration)) result {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	deadline, _ := ctx.Deadline()
	start := time.Now()

	var ws writerState
	writeDone := make(chan error, 1)
	go func() {
		w, err := r.open(ctx)
		if err != nil {
			writeDone <- fmt.Errorf("open: %w", err)
			return
		}
		defer w.Close()
		ws.set(w, deadline)
		buf := make([]byte, ioBufSize)
		_, err = io.CopyBuffer(onlyWriter{w}, io.LimitReader(src, size), buf)
		if err == nil {
			err = w.CloseWrite()
		}
		writeDone <- err
	}()

	res := result{}
	rd, err := r.accept(ctx)
	if err != nil {
		res.readErr = fmt.Errorf("accept: %w", err)
		res.elapsed = time.Since(start)
		cancel() // ends the sender's open
		ws.abort()
		res.writeErr = <-writeDone
		return res
	}
	defer rd.Close()
	_ = rd.SetReadDeadline(deadline)

	var received atomic.Int64
	var stalled atomic.Bool
	watchDone := make(chan struct{})
	watchStop := make(chan struct{})
	go func() {
		defer close(watchDone)
		tick := time.NewTicker(stallCheck)
		defer tick.Stop()
		last, lastChange, lastReport := int64(-1), time.Now(), time.Now()
		for {
			select {
			case <-watchStop:
				return
			case now := <-tick.C:
				n := received.Load()
				if progress != nil && now.Sub(lastReport) >= progressEvery {
					progress(n, now.Sub(start))
					lastReport = now
				}
				if n != last {
					last, lastChange = n, now
				} else if now.Sub(lastChange) >= stallTimeout {
					stalled.Store(true)
					_ = rd.SetReadDeadline(now) // Read returns at once
					return
				}
			}
		}
	}()

	buf := make([]byte, ioBufSize)
	for {
		n, err := rd.Read(buf)
		if n > 0 {
			res.received += int64(n)
			received.Store(res.received)
			if dst != nil {
				_, _ = dst.Write(buf[:n])
			}
		}
		if err != nil {
			res.readErr = err
			break
		}
	}
	res.elapsed = time.Since(start)
	close(watchStop)
	<-watchDone
	res.stalled = stalled.Load()
	if res.readErr != io.EOF {
		ws.abort() // the sender may be blocked on flow control
	}
	res.writeErr = <-writeDone
	return res
}

// writerState lets the receiving side stop a sender that is blocked in
// Write when the transfer failed.
type writerState struct {
	mu      sync.Mutex
	w       sender
	aborted bool
}

// set records w and gives it its deadline, or an expired one after abort.
func (s *writerState) set(w sender, deadline time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	if s.aborted {
		deadline = time.Now()
	}
	_ = w.SetWriteDeadline(deadline)
}

// abort makes the sender's writes fail at once.
func (s *writerState) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aborted = true
	if s.w != nil {
		_ = s.w.SetWriteDeadline(time.Now())
	}
}

// onlyWriter hides a writer's ReadFrom, so that streams and TCP are fed by
// the same io.CopyBuffer loop with the same buffer size.
type onlyWriter struct{ io.Writer }

// streamRoute carries each transfer on a new stream of one session from A to
// B, sent to via (B's address, or the relay's).
func streamRoute(a, b *sttcore.Node, via netip.AddrPort) route {
	var sa, sb *sttcore.Session
	var sendSt *sttcore.Stream
	return route{
		open: func(ctx context.Context) (sender, error) {
			s, err := a.DialAddrPort(ctx, b.PublicKey(), via)
			if err != nil {
				return nil, err
			}
			sa = s
			st, err := s.OpenStream(ctx)
			if err != nil {
				return nil, err
			}
			sendSt = st
			return st, nil
		},
		accept: func(ctx context.Context) (receiver, error) {
			if sb == nil { // the first transfer: B learns of the session
				s, err := b.Accept(ctx)
				if err != nil {
					return nil, err
				}
				sb = s
			}
			return sb.AcceptStream(ctx)
		},
		state: func() string {
			if sa == nil || sendSt == nil {
				return "no session or stream yet"
			}
			msg := fmt.Sprintf("sender stream %+v\nsender session %+v", sendSt.Stats(), sa.Stats())
			if sb != nil {
				msg += fmt.Sprintf("\nreceiver session %+v", sb.Stats())
			}
			return msg + fmt.Sprintf("\nnode A %+v\nnode B %+v", a.Stats(), b.Stats())
		},
		losses: func() (sent, lost uint64) {
			if sa == nil {
				return 0, 0
			}
			st := sa.Stats()
			return st.PacketsSent, st.StreamPacketsLost
		},
	}
}

// tcpRoute carries each transfer on a new TCP connection from a to l (on b).
func tcpRoute(p *path, l net.Listener) route {
	return route{
		open: func(ctx context.Context) (sender, error) {
			var c net.Conn
			err := p.a.Do(func() (err error) {
				var d net.Dialer
				c, err = d.DialContext(ctx, "tcp4", l.Addr().String())
				return err
			})
			if err != nil {
				return nil, err
			}
			return c.(*net.TCPConn), nil
		},
		accept: func(ctx context.Context) (receiver, error) {
			deadline, _ := ctx.Deadline()
			tl := l.(*net.TCPListener)
			_ = tl.SetDeadline(deadline)
			c, err := tl.AcceptTCP()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// requireComplete fails t unless res moved size bytes and ended with EOF.
func requireComplete(t testing.TB, r route, res result, size int64) {
	t.Helper()
	state := ""
	if r.state != nil && (res.readErr != io.EOF || res.writeErr != nil || res.received != size) {
		state = r.state()
	}
	require.False(t, res.stalled, "transfer stalled after %d of %d bytes (%v)\n%s", res.received, size, errStalled, state)
	require.ErrorIs(t, res.readErr, io.EOF, "reading must end with EOF; %d of %d bytes after %v\n%s", res.received, size, res.elapsed, state)
	require.NoError(t, res.writeErr, "sender\n%s", state)
	require.Equal(t, size, res.received, "bytes received\n%s", state)
}
