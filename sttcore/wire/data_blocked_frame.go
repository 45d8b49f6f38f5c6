package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A DataBlockedFrame says the sender has data to send but is blocked by the
// session-wide limit.
type DataBlockedFrame struct {
	Limit ByteCount
}

var _ Frame = (*DataBlockedFrame)(nil)

func parseDataBlockedFrame(b []byte) (*DataBlockedFrame, int, error) {
	v, n, err := parseVarint62(b, FrameTypeDataBlocked, "Limit")
	if err != nil {
		return nil, 0, err
	}
	return &DataBlockedFrame{Limit: ByteCount(v)}, n, nil
}

// Append appends the frame to b.
func (f *DataBlockedFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.Limit), FrameTypeDataBlocked, "Limit"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeDataBlocked))
	return varint.Append(b, uint64(f.Limit)), nil
}

// Length is the number of bytes Append adds.
func (f *DataBlockedFrame) Length() int {
	return 1 + varint.Len(uint64(f.Limit))
}
