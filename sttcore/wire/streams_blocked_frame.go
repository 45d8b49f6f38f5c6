package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A StreamsBlockedFrame says the sender wants to open a stream but is
// blocked by the peer's stream limit.
type StreamsBlockedFrame struct {
	Limit uint64
}

var _ Frame = (*StreamsBlockedFrame)(nil)

func parseStreamsBlockedFrame(b []byte) (*StreamsBlockedFrame, int, error) {
	v, n, err := parseVarint62(b, FrameTypeStreamsBlocked, "Limit")
	if err != nil {
		return nil, 0, err
	}
	return &StreamsBlockedFrame{Limit: v}, n, nil
}

// Append appends the frame to b.
func (f *StreamsBlockedFrame) Append(b []byte) ([]byte, error) {
	if err := check62(f.Limit, FrameTypeStreamsBlocked, "Limit"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeStreamsBlocked))
	return varint.Append(b, f.Limit), nil
}

// Length is the number of bytes Append adds.
func (f *StreamsBlockedFrame) Length() int {
	return 1 + varint.Len(f.Limit)
}
