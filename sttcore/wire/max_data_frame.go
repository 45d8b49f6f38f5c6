package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A MaxDataFrame grants session-wide flow-control credit.
type MaxDataFrame struct {
	Maximum ByteCount
}

var _ Frame = (*MaxDataFrame)(nil)

func parseMaxDataFrame(b []byte) (*MaxDataFrame, int, error) {
	v, n, err := parseVarint62(b, FrameTypeMaxData, "Maximum")
	if err != nil {
		return nil, 0, err
	}
	return &MaxDataFrame{Maximum: ByteCount(v)}, n, nil
}

// Append appends the frame to b.
func (f *MaxDataFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.Maximum), FrameTypeMaxData, "Maximum"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeMaxData))
	return varint.Append(b, uint64(f.Maximum)), nil
}

// Length is the number of bytes Append adds.
func (f *MaxDataFrame) Length() int {
	return 1 + varint.Len(uint64(f.Maximum))
}
