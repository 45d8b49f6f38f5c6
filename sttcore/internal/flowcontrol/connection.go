package flowcontrol

import (
	"time"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// Connection is a session's flow-control account: the MAX_DATA credit the
// peer gave us (sending) and the one we give the peer (receiving). Streams
// charge it through their [Stream]; only the session-wide operations are
// methods of Connection. It is not safe for concurrent use (see the package
// documentation).
type Connection struct {
	receiver

	bytesSent     wire.ByteCount // stream bytes sent on all streams
	sendWindow    wire.ByteCount // the peer's MAX_DATA
	lastBlockedAt wire.ByteCount // the send window of the last DATA_BLOCKED
}

// NewConnection returns the account of a session that lets the peer send
// receiveWindow bytes of stream data before it reads any, growing the window
// up to maxReceiveWindow (a smaller maxReceiveWindow counts as
// receiveWindow). rtt returns the smoothed RTT for auto-tuning; nil, or a
// zero RTT, leaves the window at its size. Windows are capped at 2^62-1.
//
// The send window starts at zero: the peer's initial credit arrives through
// [Connection.UpdateSendWindow], like any MAX_DATA.
func NewConnection(receiveWindow, maxReceiveWindow wire.ByteCount, rtt func() time.Duration) *Connection {
	return &Connection{receiver: newReceiver(receiveWindow, maxReceiveWindow, rtt)}
}

// SendWindowSize returns how many more bytes of stream data the session may
// send under the peer's MAX_DATA.
func (c *Connection) SendWindowSize() wire.ByteCount {
	return c.sendWindow - min(c.bytesSent, c.sendWindow)
}

// UpdateSendWindow raises the send limit to max, from a MAX_DATA frame. It
// reports whether the limit grew; a smaller or equal max (a reordered or
// duplicate frame) changes nothing.
func (c *Connection) UpdateSendWindow(max wire.ByteCount) (updated bool) {
	if max <= c.sendWindow {
		return false
	}
	c.sendWindow = max
	return true
}

// IsNewlyBlocked reports whether the session has used up the peer's MAX_DATA
// and has not yet said so: it returns true, and the limit for the
// DATA_BLOCKED frame, once for each limit.
func (c *Connection) IsNewlyBlocked() (blocked bool, limit wire.ByteCount) {
	if c.bytesSent < c.sendWindow || c.sendWindow == c.lastBlockedAt {
		return false, 0
	}
	c.lastBlockedAt = c.sendWindow
	return true, c.sendWindow
}

// GetWindowUpdate returns the new limit for a MAX_DATA frame, or 0 if none
// is due. An update is due once a quarter of the window has been consumed
// (by readers, or returned by [Stream.Abandon]); the session may call it
// whenever it builds a packet. Calling it moves the limit.
func (c *Connection) GetWindowUpdate(now time.Time) wire.ByteCount {
	return c.getWindowUpdate(now)
}

// checkIncrement returns an error if inc more bytes would exceed the limit.
func (c *Connection) checkIncrement(inc wire.ByteCount) error {
	// highestReceived <= limit always holds: increments are checked first.
	if inc > c.limit-c.highestReceived {
		return &Error{Kind: ConnectionLimit, Limit: c.limit, Offset: c.highestReceived + inc}
	}
	return nil
}

// addReceived records inc more bytes received, checked by checkIncrement.
func (c *Connection) addReceived(inc wire.ByteCount, now time.Time) {
	if c.highestReceived == 0 { // the first data: auto-tuning starts now
		c.startEpoch(now)
	}
	c.highestReceived += inc
}

// ensureMinimumWindowSize grows the window to size, capped at its maximum,
// when a stream window grew past what the session window allows for.
func (c *Connection) ensureMinimumWindowSize(size wire.ByteCount, now time.Time) {
	if size <= c.windowSize {
		return
	}
	c.windowSize = max(c.windowSize, min(size, c.maxWindowSize))
	c.startEpoch(now)
}
