package wire

// A PingFrame asks the peer for an ACK. It has no fields.
type PingFrame struct{}

var _ Frame = (*PingFrame)(nil)

// Append appends the frame to b.
func (f *PingFrame) Append(b []byte) ([]byte, error) {
	return append(b, byte(FrameTypePing)), nil
}

// Length is the number of bytes Append adds.
func (f *PingFrame) Length() int { return 1 }
