package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A MaxStreamsFrame sets the count of streams the peer may open.
type MaxStreamsFrame struct {
	Maximum uint64
}

var _ Frame = (*MaxStreamsFrame)(nil)

func parseMaxStreamsFrame(b []byte) (*MaxStreamsFrame, int, error) {
	v, n, err := parseVarint62(b, FrameTypeMaxStreams, "Maximum")
	if err != nil {
		return nil, 0, err
	}
	return &MaxStreamsFrame{Maximum: v}, n, nil
}

// Append appends the frame to b.
func (f *MaxStreamsFrame) Append(b []byte) ([]byte, error) {
	if err := check62(f.Maximum, FrameTypeMaxStreams, "Maximum"); err != nil {
		return b, err
	}
	b = append(b, byte(FrameTypeMaxStreams))
	return varint.Append(b, f.Maximum), nil
}

// Length is the number of bytes Append adds.
func (f *MaxStreamsFrame) Length() int {
	return 1 + varint.Len(f.Maximum)
}
