package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A StreamDataBlockedFrame says the sender has data for a stream but is
// blocked by that stream's limit.
type StreamDataBlockedFrame struct {
	StreamID StreamID
	Limit    ByteCount
}

var _ Frame = (*StreamDataBlockedFrame)(nil)

func parseStreamDataBlockedFrame(b []byte) (*StreamDataBlockedFrame, int, error) {
	id, n1, err := parseVarint62(b, FrameTypeStreamDataBlocked, "Stream ID")
	if err != nil {
		return nil, 0, err
	}
	v, n2, err := parseVarint62(b[n1:], FrameTypeStreamDataBlocked, "Limit")
	if err != nil {
		return nil, 0, err
	}
	return &StreamDataBlockedFrame{StreamID: StreamID(id), Limit: ByteCount(v)}, n1 + n2, nil
}

// Append appends the frame to b.
func (f *StreamDataBlockedFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.StreamID), FrameTypeStreamDataBlocked, "Stream ID"); err != nil {
		return b, err
	}
	if err := check62(uint64(f.Limit), FrameTypeStreamDataBlocked, "Limit"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeStreamDataBlocked))
	b = varint.Append(b, uint64(f.StreamID))
	return varint.Append(b, uint64(f.Limit)), nil
}

// Length is the number of bytes Append adds.
func (f *StreamDataBlockedFrame) Length() int {
	return 1 + varint.Len(uint64(f.StreamID)) + varint.Len(uint64(f.Limit))
}
