package ackhandler

import "github.com/seigr/stt-tun/sttcore/wire"

// A FrameHandler learns the fate of the frames it put into packets: OnAcked
// when the packet carrying the frame was acknowledged, OnLost when it was
// declared lost (its data must then go out again in a new packet, if it is
// still needed). For every Frame passed to SentPacket at most one of the two
// is called, once; and one is, as long as later packets keep being
// acknowledged or, for ack-eliciting packets, the loss detection timer
// keeps being served. A packet acknowledged after it was declared lost (a
// spurious loss) gets no OnAcked.
//
// One handler typically serves many frames (a stream for all its STREAM
// frames), which is why the frame is passed back: nothing needs to be
// allocated per frame. The handler runs on the session's goroutine from
// within ReceivedAck or OnLossDetectionTimeout and must not call back into
// the SentPacketHandler.
type FrameHandler interface {
	OnAcked(wire.Frame)
	OnLost(wire.Frame)
}

// A Frame is a frame sent in a packet and the handler to tell of its fate. A
// nil Handler is never called; such a Frame only makes the packet tracked.
type Frame struct {
	Frame   wire.Frame
	Handler FrameHandler
}
