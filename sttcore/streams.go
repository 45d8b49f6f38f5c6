package sttcore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/flowcontrol"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// Stream defaults. The initial credits are what each side may send before
// the other grants more (docs/protocol.md §7.5): every receiver starts with
// at least these windows.
const (
	initialStreamCredit = 512 << 10
	initialConnCredit   = 768 << 10
	initialMaxStreams   = 100

	defaultMaxStreamWindow = 6 << 20
	defaultMaxConnWindow   = 15 << 20
	defaultStreamSendBuf   = 6 << 20
	defaultMaxStreams      = 1000
)

type streamConfig struct {
	streamWindow, maxStreamWindow wire.ByteCount
	connWindow, maxConnWindow     wire.ByteCount
	sendBuffer                    int
	maxStreams                    uint64 // concurrent streams the peer may open
}

// streams is a session's stream state. One mutex guards it all; the receive
// goroutine takes it to apply frames, the session goroutine to build
// packets, and stream methods briefly.
type streams struct {
	sess *Session
	cfg  streamConfig

	inUseFlag atomic.Bool // inUse, readable without mu

	mu             sync.Mutex
	byID           map[wire.StreamID]*Stream
	localParity    uint64 // 0: we open even IDs (our public key is the smaller)
	opened         uint64 // streams we opened
	peerGrant      uint64 // streams the peer lets us open
	peerOpened     uint64 // highest peer stream index seen + 1
	peerClosed     uint64 // peer streams finished in both directions
	advertised     uint64 // MAX_STREAMS we granted
	grantDue       bool
	connCreditDue  bool           // a MAX_DATA is due
	lostConnCredit wire.ByteCount // a MAX_DATA that was lost, to send again
	acceptQ        []*Stream
	active         []*Stream // streams with something to send, round-robin
	connFC         *flowcontrol.Connection
	err            error // set when the session ends: every stream fails with it

	acceptSig signal // guarded by mu
	openSig   signal // guarded by mu

	recovery // loss recovery, ACKs and congestion control (stream_send.go)
}

func newStreams(s *Session) *streams {
	m := &streams{
		sess: s,
		cfg: streamConfig{
			streamWindow: initialStreamCredit, maxStreamWindow: defaultMaxStreamWindow,
			connWindow: initialConnCredit, maxConnWindow: defaultMaxConnWindow,
			sendBuffer: defaultStreamSendBuf, maxStreams: defaultMaxStreams,
		},
		byID:       make(map[wire.StreamID]*Stream),
		peerGrant:  initialMaxStreams,
		advertised: initialMaxStreams,
	}
	if !s.node.identity.Public.Less(s.remote) {
		m.localParity = 1
	}
	m.recovery.init(m)
	m.connFC = flowcontrol.NewConnection(m.cfg.connWindow, m.cfg.maxConnWindow, m.rtt)
	m.connFC.UpdateSendWindow(initialConnCredit) // what the peer grants before saying more
	if m.cfg.maxStreams > m.advertised {
		m.grantDue = true // tell the peer our real limit with the first packet
	}
	return m
}

func (m *streams) rtt() time.Duration { return m.rttStats.SmoothedRTT() }

// OpenStream opens a new stream, waiting while the peer allows no more. The
// peer learns of it with its first data (or Close).
func (s *Session) OpenStream(ctx context.Context) (*Stream, error) {
	m := s.streams
	for {
		st, ch, err := m.open()
		if err != ErrStreamLimit {
			return st, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ctx.Done():
			return nil, closedError(context.Cause(s.ctx))
		}
	}
}

// OpenStreamNow opens a new stream, or fails with ErrStreamLimit at once.
func (s *Session) OpenStreamNow() (*Stream, error) {
	st, _, err := s.streams.open()
	return st, err
}

// open opens a stream, or returns ErrStreamLimit and a channel closed when
// the limit may have changed.
func (m *streams) open() (*Stream, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, nil, m.err
	}
	if m.opened >= m.peerGrant {
		return nil, m.openSig.wait(), ErrStreamLimit
	}
	id := wire.StreamID(m.opened<<1 | m.localParity)
	m.opened++
	m.inUse = true
	m.inUseFlag.Store(true)
	st := newStream(m.sess, m, id)
	m.byID[id] = st
	return st, nil, nil
}

// AcceptStream returns the next stream the peer opened.
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	m := s.streams
	for {
		m.mu.Lock()
		if len(m.acceptQ) > 0 {
			st := m.acceptQ[0]
			m.acceptQ = m.acceptQ[:copy(m.acceptQ, m.acceptQ[1:])]
			m.mu.Unlock()
			return st, nil
		}
		err, ch := m.err, m.acceptSig.wait()
		m.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ctx.Done():
			return nil, closedError(context.Cause(s.ctx))
		}
	}
}

// peerStream returns the stream id the peer names in a frame, creating it if
// the peer opens it now. It returns nil for a stream already finished, and
// an error for an ID the peer may not use.
func (m *streams) streamFor(id wire.StreamID) (*Stream, error) {
	if st := m.byID[id]; st != nil {
		return st, nil
	}
	index := uint64(id) >> 1
	if uint64(id)&1 == m.localParity {
		if index >= m.opened {
			return nil, fmt.Errorf("frame for stream %d, which we never opened", id)
		}
		return nil, nil // ours, finished and forgotten
	}
	if index < m.peerOpened {
		return nil, nil // the peer's, finished and forgotten
	}
	if index >= m.advertised {
		return nil, fmt.Errorf("peer opened stream %d beyond its limit of %d", id, m.advertised)
	}
	// Streams are opened in order: every lower one is opened too.
	for i := m.peerOpened; i <= index; i++ {
		sid := wire.StreamID(i<<1 | (m.localParity ^ 1))
		st := newStream(m.sess, m, sid)
		m.byID[sid] = st
		m.acceptQ = append(m.acceptQ, st) // bounded by the stream limit we advertised
	}
	m.peerOpened = index + 1
	m.acceptSig.fire()
	return m.byID[id], nil
}

// schedule puts st in the round of streams with something to send.
func (m *streams) schedule(st *Stream) {
	if !st.queued && !st.removed {
		st.queued = true
		m.active = append(m.active, st)
	}
}

// bytesRead accounts for data the application read. When new credit is
// due, the packer fetches it (GetWindowUpdate hands each update out once)
// and sends MAX_STREAM_DATA or MAX_DATA.
func (m *streams) bytesRead(st *Stream, n int) {
	streamUpdate, connUpdate := st.fc.AddBytesRead(wire.ByteCount(n))
	if streamUpdate {
		st.creditDue = true
		m.schedule(st)
	}
	if connUpdate {
		m.connCreditDue = true
	}
	if streamUpdate || connUpdate {
		m.sess.wake()
	}
}

// resetSend abandons st's sending side with code.
func (m *streams) resetSend(st *Stream, code wire.ErrorCode, remote bool) {
	if st.writeErr != nil || st.sendDone {
		return
	}
	st.writeErr = &StreamError{StreamID: st.id, ErrorCode: code, Remote: remote}
	st.resetCode, st.resetPending = code, true
	m.schedule(st)
	st.writeSig.fire()
}

// recvFinished marks st's receiving side as done and forgets the stream
// once both sides are.
func (m *streams) recvFinished(st *Stream) {
	if st.recvDone {
		return
	}
	st.recvDone = true
	if !st.recv.Done() {
		st.fc.Abandon() // unread bytes return to the connection window
	}
	m.maybeRemove(st)
}

// sendFinished marks st's sending side as done (FIN or RESET acknowledged).
func (m *streams) sendFinished(st *Stream) {
	if st.sendDone {
		return
	}
	st.sendDone = true
	m.maybeRemove(st)
}

func (m *streams) maybeRemove(st *Stream) {
	if !st.sendDone || !st.recvDone || st.removed {
		return
	}
	st.removed = true
	delete(m.byID, st.id)
	if uint64(st.id)&1 != m.localParity {
		m.peerClosed++
		if m.peerClosed+m.cfg.maxStreams >= m.advertised+m.cfg.maxStreams/2 {
			m.grantDue = true
		}
	}
}

// fail ends every stream with err (the session ended or the peer restarted).
func (m *streams) fail(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	for _, st := range m.byID {
		if st.readErr == nil {
			st.readErr = err
		}
		if st.writeErr == nil {
			st.writeErr = err
		}
		st.readSig.fire()
		st.writeSig.fire()
	}
	m.acceptSig.fire()
	m.openSig.fire()
	m.mu.Unlock()
}

// handleStreamFrame applies a STREAM frame. The caller holds m.mu.
func (m *streams) handleStreamFrame(f *wire.StreamFrame, now time.Time) error {
	st, err := m.streamFor(f.StreamID)
	if err != nil || st == nil {
		return err
	}
	end := f.Offset + wire.ByteCount(len(f.Data))
	if err := st.fc.UpdateHighestReceived(end, f.Fin, now); err != nil {
		return err
	}
	if st.recvDone {
		return nil // reading was cancelled: data is dropped (and credited by Abandon)
	}
	if err := st.recv.Push(uint64(f.Offset), f.Data, f.Fin); err != nil {
		return fmt.Errorf("stream %d: %w", st.id, err)
	}
	st.readSig.fire()
	return nil
}

// handleResetStream applies RESET_STREAM: the peer abandoned its sending side.
func (m *streams) handleResetStream(f *wire.ResetStreamFrame, now time.Time) error {
	st, err := m.streamFor(f.StreamID)
	if err != nil || st == nil {
		return err
	}
	if err := st.fc.UpdateHighestReceived(f.FinalSize, true, now); err != nil {
		return err
	}
	if st.readErr == nil {
		st.readErr = &StreamError{StreamID: st.id, ErrorCode: f.ErrorCode, Remote: true}
	}
	st.readSig.fire()
	m.recvFinished(st)
	return nil
}

// handleStopSending applies STOP_SENDING: the peer no longer reads.
func (m *streams) handleStopSending(f *wire.StopSendingFrame) error {
	st, err := m.streamFor(f.StreamID)
	if err != nil || st == nil {
		return err
	}
	m.resetSend(st, f.ErrorCode, true)
	return nil
}

func (m *streams) handleMaxStreamData(f *wire.MaxStreamDataFrame) error {
	st, err := m.streamFor(f.StreamID)
	if err != nil || st == nil {
		return err
	}
	if st.fc.UpdateSendWindow(f.Maximum) {
		m.schedule(st)
	}
	return nil
}

func (m *streams) handleMaxStreams(f *wire.MaxStreamsFrame) {
	if f.Maximum > m.peerGrant {
		m.peerGrant = f.Maximum
		m.openSig.fire()
	}
}

// tracking reports whether the session carries streams, so that every
// packet is recorded for ACKs. It is read without the lock: a stale false
// only means one datagram's number is left out of an ACK range.
func (m *streams) tracking() bool { return m.inUseFlag.Load() }

// handleFrame applies one stream-layer frame. The caller holds m.mu.
func (m *streams) handleFrame(f wire.Frame, now time.Time) error {
	if !m.inUse {
		m.inUse = true
	}
	m.inUseFlag.Store(true)
	switch f := f.(type) {
	case *wire.StreamFrame:
		return m.handleStreamFrame(f, now)
	case *wire.AckFrame:
		m.sph.SentUntracked(wire.PacketNumber(m.sess.sendCounter.Load() - 1))
		if err := m.sph.ReceivedAck(f, now); err != nil {
			return err
		}
	case *wire.ResetStreamFrame:
		return m.handleResetStream(f, now)
	case *wire.StopSendingFrame:
		return m.handleStopSending(f)
	case *wire.MaxDataFrame:
		if m.connFC.UpdateSendWindow(f.Maximum) {
			for _, st := range m.byID {
				if st.send.HasData() {
					m.schedule(st)
				}
			}
		}
	case *wire.MaxStreamDataFrame:
		return m.handleMaxStreamData(f)
	case *wire.MaxStreamsFrame:
		m.handleMaxStreams(f)
	}
	return nil // PING and BLOCKED frames only ask for an ACK
}

// restart drops every stream after the peer restarted: its stream state is
// gone, so ours must go too, and the packet numbers start again.
func (m *streams) restart() {
	m.mu.Lock()
	for _, st := range m.byID {
		if st.readErr == nil {
			st.readErr = ErrPeerRestarted
		}
		if st.writeErr == nil {
			st.writeErr = ErrPeerRestarted
		}
		st.removed = true
		st.readSig.fire()
		st.writeSig.fire()
	}
	m.byID = make(map[wire.StreamID]*Stream)
	m.opened, m.peerOpened, m.peerClosed = 0, 0, 0
	m.peerGrant, m.advertised = initialMaxStreams, initialMaxStreams
	m.grantDue = m.cfg.maxStreams > m.advertised
	m.acceptQ, m.active = nil, nil
	m.connCreditDue, m.lostConnCredit = false, 0
	m.connFC = flowcontrol.NewConnection(m.cfg.connWindow, m.cfg.maxConnWindow, m.rtt)
	m.connFC.UpdateSendWindow(initialConnCredit)
	m.recovery.init(m)
	m.inUse = false
	m.inUseFlag.Store(false)
	m.mu.Unlock()
}
