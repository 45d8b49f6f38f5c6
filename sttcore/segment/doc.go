// Package segment sends one large or live payload (a file, a video) over a
// byte stream as a sequence of length-prefixed segments, closed by an
// authenticated end marker, and receives it back with back-pressure.
//
// A program needs few names. The sender wraps its writer, normally an
// sttcore Stream, in an [Encoder] ([NewEncoder]), writes the payload and calls
// [Encoder.Close]; the receiver wraps its reader in a [Decoder] ([NewDecoder]),
// looks at [Decoder.Header] and reads until io.EOF, which the Decoder returns
// only once the end marker has been verified. [Send] and [Receive] do the
// whole transfer in one call and honour a context.
//
// # Format
//
// All integers are the varints of docs/protocol.md §2 (minimal LEB128), and
// the header is a value of the STT serialization (package serial, §8):
//
//	stream  = header data* end
//	header  = varint(L) map          1 ≤ L ≤ MaxHeaderSize
//	data    = varint(n) byte[n]      1 ≤ n ≤ chunk
//	end     = varint(0) byte[32]     the sum
//
// The header map holds "version" (unsigned, 1), "name" (string), "chunk"
// (unsigned, 1 … MaxChunkSize: the largest data segment to come), "size"
// (unsigned, the payload's length; absent for a live stream whose length is
// not known in advance) and "type" (string, a media type; absent when
// empty). Other keys are ignored, for extensions. The sum is
//
//	BLAKE2s-256(key, "STT segment v1\n" ‖ every byte of header, data and varint(0))
//
// with the key of [Options.Key] (an empty key means unkeyed BLAKE2s). Each
// STT stream is already encrypted and authenticated packet by packet; the end
// marker proves that the payload arrived whole and that its end is the
// sender's end, not a stream cut short, and, with a key that only the two
// sides know (derived for this transfer from a session secret), that it is
// the payload meant for this transfer.
//
// # Errors
//
// Everything wrong with the received bytes is a [*FormatError] holding the
// byte offset of the item at fault and wrapping a sentinel for errors.Is:
// [ErrIntegrity] (the sum does not match: corrupted data, a different key),
// io.ErrUnexpectedEOF (the stream ended before its end marker),
// [ErrSizeMismatch] (more or fewer bytes than the header declared),
// [ErrSegmentTooLarge] (a length above the chunk size or MaxHeaderSize),
// [ErrTooLarge] (a payload above [Options.MaxSize]), [ErrHeader] (a header
// that is not a valid header map), or a varint error of package varint.
// Every length is checked before anything is read or allocated for it: the
// Decoder reads data straight into the caller's buffer and allocates only
// the header (at most MaxHeaderSize bytes). Errors of the underlying reader
// or writer are returned as they are (a StreamError, a timeout), and
// misuse of an Encoder gives [ErrSizeMismatch], [ErrClosed], [ErrChunkSize],
// [ErrKeySize] or [ErrHeader], wrapped with a description.
//
// Data returned by [Decoder.Read] is not verified until Read returns io.EOF:
// a receiver that stores a file writes it under a temporary name and gives it
// its real name only then (as examples/filetransfer does).
//
// # What it leaves to others
//
// Opening and closing the stream is the caller's: the Encoder never closes
// its writer (call CloseWrite on an sttcore Stream after Encoder.Close), and
// the Decoder reads exactly up to the end of the end marker and never past
// it, so the stream can carry a reply afterwards. Deriving the key is the
// caller's too, as is what a name means (a receiver that writes files must
// refuse names with path separators). Compression and resumption are not
// provided.
//
// # Concurrency
//
// An Encoder or a Decoder is used by one goroutine at a time. Encoder.Write
// blocks while its writer blocks, so a receiver that reads slowly slows the
// sender down (back-pressure) with at most one chunk buffered by the
// Encoder. Send and Receive cancel a blocked write or read when the context
// ends by setting a deadline in the past on a writer or reader that has
// SetWriteDeadline, SetReadDeadline or SetDeadline (a net.Conn, an sttcore
// Stream); on other writers and readers they check the context between
// segments only.
package segment
