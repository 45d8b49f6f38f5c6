package flowcontrol

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Stream is one stream's flow-control account. Everything it counts it
// charges to its [Connection] as well. It is not safe for concurrent use
// (see the package documentation).
type Stream struct {
	receiver
	conn *Connection

	bytesSent     wire.ByteCount // bytes of stream data sent
	sendWindow    wire.ByteCount // the peer's MAX_STREAM_DATA
	lastBlockedAt wire.ByteCount // the send window of the last STREAM_DATA_BLOCKED

	finalReceived bool // highestReceived is the final size
	abandoned     bool // Abandon was called: nothing more will be read
}

// NewStream returns the account of a stream of conn: the peer may send
// receiveWindow bytes before the reader consumes any, auto-tuning may grow
// that up to maxReceiveWindow (a smaller value counts as receiveWindow), and
// we may send initialSendWindow bytes until a MAX_STREAM_DATA raises it. rtt
// is as for [NewConnection].
func NewStream(conn *Connection, receiveWindow, maxReceiveWindow, initialSendWindow wire.ByteCount, rtt func() time.Duration) *Stream {
	return &Stream{
		receiver:   newReceiver(receiveWindow, maxReceiveWindow, rtt),
		conn:       conn,
		sendWindow: initialSendWindow,
	}
}

// SendWindowSize returns how many bytes the stream may send now: the least
// of the stream's and the session's credit left.
func (s *Stream) SendWindowSize() wire.ByteCount {
	return min(s.sendWindow-min(s.bytesSent, s.sendWindow), s.conn.SendWindowSize())
}

// AddBytesSent records n bytes of new stream data sent, on the stream and
// on the session. The caller sends at most SendWindowSize bytes; should it
// send more, the window stays at zero until the peer's credit catches up.
func (s *Stream) AddBytesSent(n wire.ByteCount) {
	s.bytesSent += n
	s.conn.bytesSent += n
}

// UpdateSendWindow raises the stream's send limit to max, from a
// MAX_STREAM_DATA frame. It reports whether the limit grew, so that a writer
// waiting for credit may proceed; a smaller or equal max (a reordered or
// duplicate frame) changes nothing.
func (s *Stream) UpdateSendWindow(max wire.ByteCount) (updated bool) {
	if max <= s.sendWindow {
		return false
	}
	s.sendWindow = max
	return true
}

// IsNewlyBlocked reports whether the stream has used up the peer's
// MAX_STREAM_DATA and has not yet said so: it returns true, and the limit
// for the STREAM_DATA_BLOCKED frame, once for each limit. Blocking on the
// session's credit is [Connection.IsNewlyBlocked]'s business.
func (s *Stream) IsNewlyBlocked() (blocked bool, limit wire.ByteCount) {
	if s.bytesSent < s.sendWindow || s.sendWindow == s.lastBlockedAt {
		return false, 0
	}
	s.lastBlockedAt = s.sendWindow
	return true, s.sendWindow
}

// UpdateHighestReceived records that stream data up to offset (a STREAM
// frame's offset plus length) arrived; final says the frame carried FIN or
// was a RESET_STREAM, whose final size offset is. Duplicates and reordered
// frames below the highest offset are fine. It returns an [*Error], and
// changes nothing, when the data goes beyond the stream's or the session's
// credit (StreamLimit, ConnectionLimit), or when it contradicts a final size
// (FinalSize): a final size different from the one known, data beyond it,
// or a final size below data already received. now starts the auto-tuning
// epoch when the first data arrives.
func (s *Stream) UpdateHighestReceived(offset wire.ByteCount, final bool, now time.Time) error {
	if s.finalReceived {
		if (final && offset != s.highestReceived) || offset > s.highestReceived {
			return &Error{Kind: FinalSize, Limit: s.highestReceived, Offset: offset}
		}
		return nil
	}
	if offset <= s.highestReceived {
		if !final {
			return nil // reordered or duplicate
		}
		if offset < s.highestReceived {
			return &Error{Kind: FinalSize, Limit: s.highestReceived, Offset: offset}
		}
		s.finalReceived = true
		return nil
	}
	if offset > s.limit {
		return &Error{Kind: StreamLimit, Limit: s.limit, Offset: offset}
	}
	inc := offset - s.highestReceived
	if err := s.conn.checkIncrement(inc); err != nil {
		return err
	}
	if s.highestReceived == 0 { // the first data: auto-tuning starts now
		s.startEpoch(now)
	}
	s.highestReceived = offset
	s.finalReceived = final
	s.conn.addReceived(inc, now)
	if s.abandoned { // nobody will read it: return it to the session at once
		s.bytesRead = s.highestReceived
		s.conn.bytesRead += inc
	}
	return nil
}

// AddBytesRead records that the reader consumed n bytes, on the stream and
// on the session, and reports whether a MAX_STREAM_DATA (streamUpdate) or a
// MAX_DATA (connUpdate) is now due: once a quarter of the window has been
// consumed, as in quic-go. No MAX_STREAM_DATA is due once the final size is
// known. After Abandon it does nothing.
func (s *Stream) AddBytesRead(n wire.ByteCount) (streamUpdate, connUpdate bool) {
	if s.abandoned {
		return false, false
	}
	s.bytesRead += n
	s.conn.bytesRead += n
	return !s.finalReceived && s.hasWindowUpdate(), s.conn.hasWindowUpdate()
}

// GetWindowUpdate returns the new limit for a MAX_STREAM_DATA frame, or 0 if
// none is due (nor ever is, once the final size is known or the stream was
// abandoned). Calling it moves the limit. When the reader consumed the
// window fast, the window doubles first, up to its maximum, and the
// session's window grows to at least 1.5 times the stream's.
func (s *Stream) GetWindowUpdate(now time.Time) wire.ByteCount {
	if s.finalReceived || s.abandoned {
		return 0
	}
	old := s.windowSize
	limit := s.getWindowUpdate(now)
	if s.windowSize > old {
		// ⌊1.5·windowSize⌋: windowSize < 2^62, so this cannot overflow.
		s.conn.ensureMinimumWindowSize(s.windowSize+s.windowSize/2, now)
	}
	return limit
}

// Abandon gives up the stream's receiving side, when it was reset or the
// reader stopped: the bytes received but not read return to the session's
// window at once, and so will any that arrive later. To account for a
// RESET_STREAM, first pass its final size to UpdateHighestReceived, then
// call Abandon. A MAX_DATA may then be due: see [Connection.GetWindowUpdate].
// Calling it again does nothing.
func (s *Stream) Abandon() {
	if s.abandoned {
		return
	}
	s.abandoned = true
	unread := s.highestReceived - min(s.bytesRead, s.highestReceived)
	s.bytesRead = s.highestReceived
	s.conn.bytesRead += unread
}
