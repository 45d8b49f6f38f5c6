// Package wire is the byte codec of STT version 1: the four packet types
// (HELLO, RESPONSE, CHALLENGE, DATA) of docs/protocol.md §3 and the frames
// carried in a DATA packet's plaintext (§5).
//
// Handshake packets have a fixed size and are read and written with the
// Marshal and Unmarshal methods of Hello, Response and Challenge, which name
// every field's offset (HelloOffsetMAC1, …) as wireguard-go's noise-protocol.go
// does. A DATA packet is a 16-byte header (PutDataHeader, ParseDataHeader),
// then the sealed frames and a 16-byte tag. ParseType classifies a received
// datagram before anything else looks at it.
//
// Frames follow quic-go's internal/wire: one file per frame type, each with
// Append(b) to add it to a buffer and Length() to size it beforehand. A
// FrameParser reads a plaintext one frame at a time with ParseNext:
//
//	p := wire.NewFrameParser()
//	for len(plaintext) > 0 {
//		n, f, err := p.ParseNext(plaintext)
//		if err != nil {
//			return err // drop the whole packet (§5)
//		}
//		if f == nil {
//			break // only padding was left
//		}
//		plaintext = plaintext[n:]
//		// handle f: *wire.IPFrame, *wire.StreamFrame, *wire.AckFrame, …
//	}
//
// Every decoder checks every length against the bytes left before it slices
// and never allocates for a length it has not checked; every value the
// specification bounds is bounded here (MaxVarint62, MaxAckRanges,
// MaxReasonLen). Errors are sentinels (ErrTruncated, ErrInvalidFrame, …)
// for errors.Is; frame errors come as a *FrameError that names the frame type
// and the field. No input makes this package panic, except a buffer passed to
// a Marshal or Put function that is shorter than the documented size, which
// is a programming error.
//
// What this package leaves to others: encryption and the MACs (the Noise
// fields are opaque bytes here), the meaning of stream IDs, flow control and
// loss recovery (sttcore/session, sttcore/stream), and dispatching
// APPLICATION frames to handlers.
//
// Concurrency: the functions and the frame types' methods are safe for
// concurrent use as long as each frame value is used by one goroutine at a
// time. A FrameParser is not: give each receiving goroutine its own. The
// frames ParseNext returns for ACK, STREAM, IP, DATAGRAM and APPLICATION are
// owned by the parser, alias the parsed buffer and are valid only until the
// next call; copy what must outlive it.
package wire
