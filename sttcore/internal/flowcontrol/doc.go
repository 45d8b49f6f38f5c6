// Package flowcontrol keeps the credit accounts of STT's reliable streams:
// how many bytes a stream, and the session as a whole, may send and receive
// (docs/protocol.md §5: MAX_DATA, MAX_STREAM_DATA, DATA_BLOCKED,
// STREAM_DATA_BLOCKED, and the final size of RESET_STREAM and FIN). It is
// quic-go's flow controller (flow_controller_*.go in v0.65.0, formerly
// internal/flowcontrol) as two concrete types, with time passed in.
//
// A [Connection] holds the session-level account and a [Stream] the account
// of one stream; every Stream belongs to one Connection and charges every
// byte to both, so no stream can take more than the session's credit.
//
// Sending: the sender writes at most [Stream.SendWindowSize] bytes, records
// them with [Stream.AddBytesSent], raises the limits with
// [Stream.UpdateSendWindow] and [Connection.UpdateSendWindow] when MAX_STREAM_DATA
// and MAX_DATA arrive, and asks [Stream.IsNewlyBlocked] and
// [Connection.IsNewlyBlocked] whether a BLOCKED frame is due.
//
// Receiving: every STREAM frame (and RESET_STREAM's final size) goes through
// [Stream.UpdateHighestReceived], which returns an [*Error] when the peer
// overran its credit or changed a final size: the session must then close
// with a flow-control error. [Stream.AddBytesRead] records what the reader
// consumed; once a quarter of a window is consumed a new limit is due, which
// [Stream.GetWindowUpdate] and [Connection.GetWindowUpdate] return for the
// MAX_STREAM_DATA and MAX_DATA frames. Windows tune themselves as in quic-go:
// when the reader consumes data faster than the window allows at the
// smoothed RTT, the window doubles, up to its maximum, and the session window
// grows with it to at least 1.5 times the largest stream window.
//
// The package leaves to others the frames themselves (package wire), when to
// send them, the stream buffers, and the RTT estimate, which it reads through
// the function given to the constructors.
//
// Concurrency: the types are not safe for concurrent use. A Connection and
// all its Streams share state, so the session serialises every call on them,
// for instance under one mutex or on its run goroutine. No method allocates
// except to return an error.
package flowcontrol
