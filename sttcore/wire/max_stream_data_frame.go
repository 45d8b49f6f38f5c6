package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A MaxStreamDataFrame grants flow-control credit on one stream.
type MaxStreamDataFrame struct {
	StreamID StreamID
	Maximum  ByteCount
}

var _ Frame = (*MaxStreamDataFrame)(nil)

func parseMaxStreamDataFrame(b []byte) (*MaxStreamDataFrame, int, error) {
	id, n1, err := parseVarint62(b, FrameTypeMaxStreamData, "Stream ID")
	if err != nil {
		return nil, 0, err
	}
	v, n2, err := parseVarint62(b[n1:], FrameTypeMaxStreamData, "Maximum")
	if err != nil {
		return nil, 0, err
	}
	return &MaxStreamDataFrame{StreamID: StreamID(id), Maximum: ByteCount(v)}, n1 + n2, nil
}

// Append appends the frame to b.
func (f *MaxStreamDataFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.StreamID), FrameTypeMaxStreamData, "Stream ID"); err != nil {
		return b, err
	}
	if err := check62(uint64(f.Maximum), FrameTypeMaxStreamData, "Maximum"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeMaxStreamData))
	b = varint.Append(b, uint64(f.StreamID))
	return varint.Append(b, uint64(f.Maximum)), nil
}

// Length is the number of bytes Append adds.
func (f *MaxStreamDataFrame) Length() int {
	return 1 + varint.Len(uint64(f.StreamID)) + varint.Len(uint64(f.Maximum))
}
