package wire

// Index is a handshake participant's 32-bit index (§3): the sender index of
// HELLO and RESPONSE, the receiver index of RESPONSE, CHALLENGE and DATA.
type Index uint32

// PacketNumber is the counter of a DATA packet (§3.4), which ACK frames
// acknowledge (§5.3).
type PacketNumber uint64

// StreamID identifies a stream (§5.6). Valid IDs are at most MaxVarint62.
type StreamID uint64

// ByteCount is a stream offset, a length or a flow-control credit in bytes.
type ByteCount uint64

// ErrorCode is the error code of RESET_STREAM, STOP_SENDING and CLOSE frames.
type ErrorCode uint64

// Limits every receiver enforces (§5).
const (
	// MaxVarint62 is the largest stream ID, offset, error code or credit
	// value; offset plus length of a STREAM frame is at most this too.
	MaxVarint62 = 1<<62 - 1
	// MaxAckRanges is the largest number of ranges in one ACK frame, the
	// first range included (so Range Count is at most MaxAckRanges-1).
	MaxAckRanges = 256
	// MaxReasonLen is the longest CLOSE reason in bytes.
	MaxReasonLen = 1024
)
