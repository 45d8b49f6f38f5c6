package sttcore

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/flowcontrol"
	"github.com/seigr/stt-tun/sttcore/internal/reassembly"
	"github.com/seigr/stt-tun/sttcore/internal/sendbuf"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// Stream is a reliable, ordered, flow-controlled byte stream inside a
// session, in both directions. It implements net.Conn: Read, Write, Close
// and deadlines behave as net.Conn documents, so io.Copy, tls.Client and
// http.Server work on it. Its methods are safe for concurrent use; one
// reader and one writer at a time is the intended use.
//
// Close ends both directions (the peer reads EOF; local reads fail);
// CloseWrite ends only the sending direction. CancelRead and CancelWrite
// abandon a direction at once, telling the peer with an error code.
type Stream struct {
	sess *Session
	m    *streams
	id   wire.StreamID

	// Guarded by m.mu.
	readSig       signal // something changed for readers
	writeSig      signal // something changed for writers
	send          sendbuf.Buffer
	fc            *flowcontrol.Stream
	writeClosed   bool  // Close or CloseWrite: FIN queued
	writeErr      error // the send side was reset (locally or by STOP_SENDING)
	resetCode     wire.ErrorCode
	resetPending  bool // a RESET_STREAM waits to be sent (again)
	stopPending   bool // a STOP_SENDING waits to be sent (again)
	stopCode      wire.ErrorCode
	creditDue     bool           // a MAX_STREAM_DATA is due
	lostCredit    wire.ByteCount // a MAX_STREAM_DATA that was lost, to send again
	recv          reassembly.Sorter
	pending       []byte
	readErr       error // the receive side was reset, or Close was called
	readEOF       bool
	queued        bool // in m.active
	readDeadline  time.Time
	writeDeadline time.Time
	sendDone      bool // FIN acknowledged or reset sent: nothing more to send
	recvDone      bool // EOF read, reset received or read cancelled
	removed       bool

	bytesRead, bytesWritten uint64
}

func newStream(s *Session, m *streams, id wire.StreamID) *Stream {
	return &Stream{
		sess: s,
		m:    m,
		id:   id,
		fc:   flowcontrol.NewStream(m.connFC, m.cfg.streamWindow, m.cfg.maxStreamWindow, initialStreamCredit, m.rtt),
	}
}

// StreamID returns the stream's ID (docs/protocol.md §7.5).
func (st *Stream) StreamID() wire.StreamID { return st.id }

// signal wakes every goroutine waiting for a change: wait returns a channel
// that fire closes. Both are called with the streams lock held.
type signal struct{ ch chan struct{} }

func (s *signal) wait() <-chan struct{} {
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

func expired(deadline time.Time) bool { return !deadline.IsZero() && !time.Now().Before(deadline) }

// wait blocks until ch fires, the deadline passes or the session ends.
func (st *Stream) wait(ch <-chan struct{}, deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return deadlineError{}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
		return nil
	case <-timeout:
		return deadlineError{}
	case <-st.sess.ctx.Done():
		return closedError(context.Cause(st.sess.ctx))
	}
}

// Read reads data in order. It returns io.EOF once the peer closed its side
// and every byte was read.
func (st *Stream) Read(p []byte) (int, error) {
	m := st.m
	for {
		m.mu.Lock()
		if st.readErr != nil {
			err := st.readErr
			m.mu.Unlock()
			return 0, err
		}
		if expired(st.readDeadline) {
			m.mu.Unlock()
			return 0, deadlineError{} // net.Conn: a passed deadline fails even a read that would not block
		}
		if len(st.pending) == 0 {
			st.pending = st.recv.Pop()
		}
		if len(st.pending) > 0 {
			if len(p) == 0 {
				m.mu.Unlock()
				return 0, nil
			}
			n := copy(p, st.pending)
			st.pending = st.pending[n:]
			st.bytesRead += uint64(n)
			m.bytesRead(st, n)
			m.mu.Unlock()
			return n, nil
		}
		if st.recv.Done() {
			if !st.readEOF {
				st.readEOF = true
				m.recvFinished(st)
			}
			m.mu.Unlock()
			return 0, io.EOF
		}
		deadline, ch := st.readDeadline, st.readSig.wait()
		m.mu.Unlock()
		if err := st.sess.ctx.Err(); err != nil {
			return 0, closedError(context.Cause(st.sess.ctx))
		}
		if err := st.wait(ch, deadline); err != nil {
			return 0, err
		}
	}
}

// Write writes p to the stream. It blocks while the stream's send buffer is
// full (the peer reads slowly or the path is slow), until the write
// deadline, a cancellation or the end of the session.
func (st *Stream) Write(p []byte) (int, error) {
	m := st.m
	written := 0
	for len(p) > 0 {
		m.mu.Lock()
		switch {
		case st.writeErr != nil:
			err := st.writeErr
			m.mu.Unlock()
			return written, err
		case st.writeClosed:
			m.mu.Unlock()
			return written, errWriteClosed
		case expired(st.writeDeadline):
			m.mu.Unlock()
			return written, deadlineError{}
		}
		if space := m.cfg.sendBuffer - st.send.Len(); space > 0 {
			n := min(space, len(p))
			st.send.Write(p[:n])
			st.bytesWritten += uint64(n)
			p = p[n:]
			written += n
			m.schedule(st)
			m.mu.Unlock()
			st.sess.wake()
			continue
		}
		deadline, ch := st.writeDeadline, st.writeSig.wait()
		m.mu.Unlock()
		if err := st.sess.ctx.Err(); err != nil {
			return written, closedError(context.Cause(st.sess.ctx))
		}
		if err := st.wait(ch, deadline); err != nil {
			return written, err
		}
	}
	return written, nil
}

// CloseWrite ends the sending direction: the peer reads EOF after the data
// written so far. Reading goes on.
func (st *Stream) CloseWrite() error {
	m := st.m
	m.mu.Lock()
	if !st.writeClosed && st.writeErr == nil {
		st.writeClosed = true
		st.send.Close()
		m.schedule(st)
	}
	st.writeSig.fire()
	m.mu.Unlock()
	st.sess.wake()
	return nil
}

// Close ends both directions: what was written is still delivered and the
// peer reads EOF after it; reads fail from now on, and if the peer still
// sends, it is asked to stop.
func (st *Stream) Close() error {
	_ = st.CloseWrite()
	m := st.m
	m.mu.Lock()
	if st.readErr == nil {
		st.readErr = errReadClosed
		if !st.recv.Done() && !st.recvDone {
			st.stopCode, st.stopPending = 0, true
			m.schedule(st)
		}
		m.recvFinished(st)
	}
	st.readSig.fire()
	m.mu.Unlock()
	st.sess.wake()
	return nil
}

// CancelWrite abandons the sending direction at once: unsent and unacknowledged
// data is dropped and the peer's reads fail with code.
func (st *Stream) CancelWrite(code wire.ErrorCode) {
	m := st.m
	m.mu.Lock()
	m.resetSend(st, code, false)
	m.mu.Unlock()
	st.sess.wake()
}

// CancelRead abandons the receiving direction: the peer is asked to stop
// sending (its writes fail with code) and local reads fail.
func (st *Stream) CancelRead(code wire.ErrorCode) {
	m := st.m
	m.mu.Lock()
	if st.readErr == nil && !st.recvDone {
		st.readErr = &StreamError{StreamID: st.id, ErrorCode: code}
		st.stopCode, st.stopPending = code, true
		m.schedule(st)
		m.recvFinished(st)
	}
	st.readSig.fire()
	m.mu.Unlock()
	st.sess.wake()
}

// SetDeadline sets the read and write deadlines.
func (st *Stream) SetDeadline(t time.Time) error {
	_ = st.SetReadDeadline(t)
	return st.SetWriteDeadline(t)
}

// SetReadDeadline makes Read fail with a timeout (os.ErrDeadlineExceeded)
// after t; the zero time means no deadline.
func (st *Stream) SetReadDeadline(t time.Time) error {
	st.m.mu.Lock()
	st.readDeadline = t
	st.readSig.fire()
	st.m.mu.Unlock()
	return nil
}

// SetWriteDeadline makes Write fail with a timeout after t.
func (st *Stream) SetWriteDeadline(t time.Time) error {
	st.m.mu.Lock()
	st.writeDeadline = t
	st.writeSig.fire()
	st.m.mu.Unlock()
	return nil
}

// LocalAddr is the node's address.
func (st *Stream) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(st.sess.node.LocalAddr()) }

// RemoteAddr is the peer's address.
func (st *Stream) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(st.sess.RemoteAddr()) }

// Session returns the session the stream belongs to.
func (st *Stream) Session() *Session { return st.sess }

// StreamStats are one stream's counters.
type StreamStats struct {
	ID           wire.StreamID
	BytesWritten uint64 // accepted by Write
	BytesRead    uint64 // returned by Read
	Buffered     int    // written and not yet acknowledged
	ReadBuffered int    // received and not yet read
}

// Stats returns the stream's counters.
func (st *Stream) Stats() StreamStats {
	st.m.mu.Lock()
	defer st.m.mu.Unlock()
	return StreamStats{
		ID: st.id, BytesWritten: st.bytesWritten, BytesRead: st.bytesRead,
		Buffered: st.send.Len(), ReadBuffered: st.recv.Buffered() + len(st.pending),
	}
}

var _ net.Conn = (*Stream)(nil)
